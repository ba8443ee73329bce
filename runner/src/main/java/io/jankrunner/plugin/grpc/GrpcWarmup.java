package io.jankrunner.plugin.grpc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.HealthCheckResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.JsonValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and links the classes of a plugin call before the first command needs them. A fresh
 * worker's first call otherwise spends ~0.5 s loading gRPC, Netty, protobuf and the JSON
 * conversion (measured with {@code scripts/bench calls}: {@code first_call_ms}). One call to a
 * throwaway server on a private unix socket, the same transport, stub and conversions as a real
 * call, on a daemon thread, so nothing waits for it.
 *
 * <p>Then one mutual-TLS health check over a second throwaway server, set up as an auto-mTLS
 * plugin is (a throwaway P-521 server certificate like go-plugin's, the client presenting the
 * worker's own host identity, pinned to the server's, the JDK provider): the first TLS handshake
 * in a JVM initialises the JDK's TLS stack, its EC code and Netty's SSL handler, and this one
 * also makes the worker's host certificate and key managers ({@link AutoMtls.HostIdentity}),
 * all of which otherwise land on the first {@code auto_mtls} cold start.
 */
public final class GrpcWarmup {

  private static final Logger log = LoggerFactory.getLogger(GrpcWarmup.class);

  private GrpcWarmup() {}

  /** Starts the warm-up on a background thread and returns at once. */
  public static Thread inBackground() {
    return Thread.ofPlatform().name("grpc-warmup").daemon(true).start(GrpcWarmup::run);
  }

  /** One echo call and one health check over a throwaway server; failures are only logged. */
  static void run() {
    long start = System.nanoTime();
    Path dir = null;
    EventLoopGroup loop = new EpollEventLoopGroup(1, Thread.ofPlatform().name("grpc-warmup-loop").daemon(true)
        .factory());
    Server server = null;
    ManagedChannel channel = null;
    try {
      dir = Files.createTempDirectory("jank-warmup");
      DomainSocketAddress socket = new DomainSocketAddress(dir.resolve("warmup.sock").toString());
      server = NettyServerBuilder.forAddress(socket).channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(loop).workerEventLoopGroup(loop).directExecutor()
          .addService(new Echo()).build().start();
      channel = NettyChannelBuilder.forAddress(socket).channelType(EpollDomainSocketChannel.class)
          .eventLoopGroup(loop).overrideAuthority("localhost").usePlaintext().directExecutor().build();
      Metadata headers = new Metadata();
      headers.put(PluginClient.TRACEPARENT, "00-00000000000000000000000000000001-0000000000000001-01");
      PluginServiceGrpc.PluginServiceBlockingStub stub = PluginServiceGrpc.newBlockingStub(channel);
      ExecuteRequest request = ExecuteRequest.newBuilder().setMethod("echo")
          .putAllArgs(JsonValues.toAnyMap(JsonNodeFactory.instance.objectNode()
              .put("name", "warm-up").put("n", 1).put("ok", true))).build();
      ExecuteResponse response = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).execute(request);
      JsonValues.fromAnyMap(response.getDataMap());
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).healthCheck(HealthCheckRequest.getDefaultInstance());
      log.debug("gRPC call path warmed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      long tlsStart = System.nanoTime();
      warmTls(dir.resolve("warmup-tls.sock"), loop);
      log.debug("auto-mTLS path warmed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - tlsStart));
    } catch (IOException | RuntimeException e) {
      log.debug("gRPC warm-up failed (the first plugin call will be slower): {}", e.toString());
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (server != null) {
        server.shutdownNow();
      }
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      if (dir != null) {
        dir.resolve("warmup.sock").toFile().delete();
        dir.resolve("warmup-tls.sock").toFile().delete();
        dir.toFile().delete();
      }
    }
  }

  /** One health check over mutual TLS, shaped as {@link AutoMtls} talks to a plugin. */
  static void warmTls(Path socketPath, EventLoopGroup loop) throws IOException {
    // The server's certificate as go-plugin makes a plugin's (P-521, SHA-512), ours as AutoMtls does.
    EphemeralCertificate serverCert = EphemeralCertificate.generate("secp521r1", "SHA512withECDSA");
    // The worker's own identity: made here, in the background, rather than on the first start.
    AutoMtls.HostIdentity host = AutoMtls.HostIdentity.worker();
    DomainSocketAddress socket = new DomainSocketAddress(socketPath.toString());
    Server server = NettyServerBuilder.forAddress(socket).channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loop).workerEventLoopGroup(loop).directExecutor()
        .sslContext(GrpcSslContexts.configure(
                SslContextBuilder.forServer(serverCert.privateKey(), serverCert.certificate()), SslProvider.JDK)
            .trustManager(host.certificate()).clientAuth(ClientAuth.REQUIRE).build())
        .addService(new Echo()).build().start();
    ManagedChannel channel = null;
    try {
      channel = NettyChannelBuilder.forAddress(socket).channelType(EpollDomainSocketChannel.class)
          .eventLoopGroup(loop).overrideAuthority(EphemeralCertificate.HOST_NAME)
          .sslContext(AutoMtls.pinnedContext(serverCert.certificate(), host)).directExecutor().build();
      PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .healthCheck(HealthCheckRequest.getDefaultInstance());
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      server.shutdownNow();
    }
  }

  private static final class Echo extends PluginServiceGrpc.PluginServiceImplBase {
    @Override
    public void execute(ExecuteRequest request, StreamObserver<ExecuteResponse> response) {
      response.onNext(ExecuteResponse.newBuilder().putAllData(request.getArgsMap()).build());
      response.onCompleted();
    }

    @Override
    public void healthCheck(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
      response.onNext(HealthCheckResponse.newBuilder().setStatus("healthy").build());
      response.onCompleted();
    }
  }
}
