package io.jankrunner.plugin;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.HealthCheckResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.proto.goplugin.Empty;
import io.jankrunner.proto.goplugin.GRPCControllerGrpc;
import io.jankrunner.proto.goplugin.GRPCStdioGrpc;
import io.jankrunner.proto.goplugin.StdioData;
import io.jankrunner.protocol.Handshake;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;

/**
 * A plugin that behaves as a go-plugin >= 1.4 server towards its host: what it "prints" goes
 * out only as {@code StdioData} on {@code plugin.GRPCStdio/StreamStdio}, through a small buffer
 * its writers block on while no host reads (as go-plugin's pipe copy does), and
 * {@code plugin.GRPCController/Shutdown} stops its server and ends the process with exit code 0,
 * writing the file named by its first argument first (so a test can tell that from a signal).
 */
public final class GoPluginServer {

  /** go-plugin's pipe is 64 KiB; chunks of 4 KiB, 16 of them. */
  private static final BlockingQueue<StdioData> stdio = new ArrayBlockingQueue<>(16);
  private static volatile Server server;
  private static volatile Thread stdioSender;
  private static volatile String marker;

  public static void main(String[] args) throws Exception {
    Path shutdownMarker = Path.of(args[0]);
    marker = args[0];
    // Where go-plugin puts its socket: in PLUGIN_UNIX_SOCKET_DIR (the host accepts no other place).
    String socketDir = System.getenv("PLUGIN_UNIX_SOCKET_DIR");
    Path dir = Files.createTempDirectory(socketDir != null ? Path.of(socketDir) : Path.of(System.getProperty("java.io.tmpdir")),
        "go-plugin-server");
    Path socket = dir.resolve("plugin.sock");
    server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(new EpollEventLoopGroup(1))
        .workerEventLoopGroup(new EpollEventLoopGroup(2))
        .executor(Executors.newVirtualThreadPerTaskExecutor())
        .addService(new Plugin())
        .addService(new Stdio())
        .addService(new Controller())
        .build()
        .start();
    System.out.println(Handshake.unix(socket.toString()).toLine());
    System.out.flush();
    server.awaitTermination();
    Files.writeString(shutdownMarker, "stopped by GRPCController/Shutdown");
    System.exit(0);
  }

  private static void print(StdioData.Channel channel, String text) throws InterruptedException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int at = 0; at < bytes.length; at += 4096) {
      stdio.put(StdioData.newBuilder().setChannel(channel)
          .setData(ByteString.copyFrom(bytes, at, Math.min(4096, bytes.length - at))).build());
    }
  }

  private static final class Plugin extends PluginServiceGrpc.PluginServiceImplBase {
    @Override
    public void execute(ExecuteRequest request, StreamObserver<ExecuteResponse> answer) {
      try {
        switch (request.getMethod()) {
          case "flood-stdio" -> {
            // 10 MiB in ~128-byte lines, half to each channel.
            String line = "flood line " + "x".repeat(116) + "\n";
            StringBuilder block = new StringBuilder();
            while (block.length() < 64 * 1024) {
              block.append(line);
            }
            int blocks = 0;
            for (long written = 0; written < 10L * 1024 * 1024; written += block.length()) {
              print(blocks++ % 2 == 0 ? StdioData.Channel.STDOUT : StdioData.Channel.STDERR, block.toString());
            }
          }
          case "slow" -> {
            Files.writeString(Path.of(marker + ".call"), "in flight");
            Thread.sleep(3000);
          }
          default -> { }
        }
        answer.onNext(ExecuteResponse.newBuilder().putAllData(request.getArgsMap()).build());
        answer.onCompleted();
      } catch (Exception e) {
        answer.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
      }
    }

    @Override
    public void healthCheck(HealthCheckRequest request, StreamObserver<HealthCheckResponse> answer) {
      answer.onNext(HealthCheckResponse.newBuilder().setStatus("healthy").build());
      answer.onCompleted();
    }
  }

  private static final class Stdio extends GRPCStdioGrpc.GRPCStdioImplBase {
    @Override
    public void streamStdio(com.google.protobuf.Empty request, StreamObserver<StdioData> out) {
      stdioSender = Thread.currentThread();
      try {
        while (true) {
          out.onNext(stdio.take());
        }
      } catch (InterruptedException e) {
        out.onCompleted();
      } catch (RuntimeException e) {
        // the host went away
      }
    }
  }

  private static final class Controller extends GRPCControllerGrpc.GRPCControllerImplBase {
    @Override
    public void shutdown(Empty request, StreamObserver<Empty> answer) {
      answer.onNext(Empty.getDefaultInstance());
      answer.onCompleted();
      // go-plugin stops its server on Shutdown; gracefully here, so in-flight calls finish.
      Thread.ofPlatform().start(() -> {
        server.shutdown();
        if (stdioSender != null) {
          stdioSender.interrupt(); // the stream stays open otherwise, and so the server
        }
      });
    }
  }
}
