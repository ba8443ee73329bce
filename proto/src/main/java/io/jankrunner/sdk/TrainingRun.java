package io.jankrunner.sdk;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jankrunner.protocol.Handshake;
import io.jankrunner.protocol.JsonValues;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import java.util.concurrent.TimeUnit;

/**
 * The training run of a plugin's start-up cache. A build that caches the classes a plugin loads
 * (JDK 25's AOT cache, {@code java -XX:AOTCacheOutput}, or a class-data archive,
 * {@code -XX:ArchiveClassesAtExit}) starts it with {@code JANK_PLUGIN_TRAINING=1}: the plugin then
 * calls itself once over its own socket (both health checks) and exits, so the cache holds the
 * classes of serving a call too, not only those of starting up. No handler method is
 * called (a training run has no side effects a plugin could notice): an {@code Execute}
 * request's and response's messages and JSON conversions are exercised without the network.
 */
final class TrainingRun {

  static final String ENV = "JANK_PLUGIN_TRAINING";

  private TrainingRun() {}

  static boolean requested() {
    return "1".equals(System.getenv(ENV));
  }

  /** Calls the server that {@code handshake} announces, then exits the JVM (which writes the cache). */
  static void callSelfAndExit(Handshake handshake) {
    EventLoopGroup loop = new EpollEventLoopGroup(1);
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(handshake.address()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).usePlaintext()
        .overrideAuthority("localhost").build();
    int status = 0;
    try {
      PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .healthCheck(io.jankrunner.proto.HealthCheckRequest.getDefaultInstance());
      HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(PluginServer.HEALTH_SERVICE).build());
      convertLikeAnExecuteCall();
    } catch (RuntimeException | InvalidProtocolBufferException e) {
      System.err.println("training run: calling the plugin failed: " + e);
      status = 1;
    } finally {
      channel.shutdownNow();
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    System.exit(status);
  }

  /** What serving {@code Execute} does around the handler: parse, unpack, pack, serialize. */
  private static void convertLikeAnExecuteCall() throws InvalidProtocolBufferException {
    ObjectNode args = JsonNodeFactory.instance.objectNode().put("text", "training").put("int", 42)
        .put("real", 1.5).put("flag", true).putNull("nothing");
    args.putArray("list").add(1).add("two");
    args.putObject("object").put("key", "value");
    byte[] wire = ExecuteRequest.newBuilder().setMethod("training").putAllArgs(JsonValues.toAnyMap(args)).build()
        .toByteArray();
    ObjectNode parsed = JsonValues.fromAnyMap(ExecuteRequest.parseFrom(wire).getArgsMap());
    ExecuteResponse.parseFrom(ExecuteResponse.newBuilder().putAllData(JsonValues.toAnyMap(parsed)).build()
        .toByteArray());
  }
}
