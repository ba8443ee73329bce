package io.jankrunner.sdk;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.jankrunner.protocol.Handshake;
import io.jankrunner.protocol.JsonValues;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.HealthCheckResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The server side of the go-plugin handshake for Java plugins: {@code PluginServer.serve(handler)}
 * from {@code main} is all a plugin needs.
 *
 * <p>It refuses to run without the magic cookie (a plugin is not a program to start by hand),
 * listens on a unix socket in a private temporary directory, prints the handshake line, serves
 * {@code plugin.PluginService} and {@code grpc.health.v1.Health} (service {@code plugin}), and
 * exits on SIGTERM or when the host process that started it is gone.
 */
public final class PluginServer {

  /** The health service name go-plugin registers; hosts probe it. */
  public static final String HEALTH_SERVICE = "plugin";

  private PluginServer() {}

  /** Serves {@code handler} until the host stops this process. Never returns normally. */
  public static void serve(PluginHandler handler) {
    PrintStream stdout = System.out;
    String cookie = System.getenv(Handshake.MAGIC_COOKIE_KEY);
    if (!Handshake.MAGIC_COOKIE_VALUE.equals(cookie)) {
      System.err.println("This binary is a jank-runner plugin. It is not meant to be run directly:"
          + " start it through the runner (scripts/runner plugins exec ID METHOD).");
      System.exit(1);
    }
    String versions = System.getenv(Handshake.PROTOCOL_VERSIONS_ENV);
    if (versions != null && !versions.isBlank() && Arrays.stream(versions.split(","))
        .map(String::strip).noneMatch(String.valueOf(Handshake.APP_PROTOCOL_VERSION)::equals)) {
      System.err.println("The host speaks plugin protocol versions " + versions
          + "; this plugin speaks " + Handshake.APP_PROTOCOL_VERSION + ".");
      System.exit(1);
    }
    // The handshake line must be the first thing on stdout; anything a plugin prints goes to stderr.
    System.setOut(System.err);
    try {
      Running running = start(handler);
      stdout.println(running.handshake().toLine());
      stdout.flush();
      if (TrainingRun.requested()) {
        TrainingRun.callSelfAndExit(running.handshake());
      }
      exitWhenHostIsGone();
      running.server().awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      System.err.println("plugin failed to start: " + e);
      System.exit(1);
    }
    System.exit(0);
  }

  private record Running(Server server, Handshake handshake) {}

  private static Running start(PluginHandler handler) throws IOException {
    Path socketDir = privateSocketDir();
    Path socket = socketDir.resolve("plugin.sock");
    EventLoopGroup boss = new EpollEventLoopGroup(1);
    EventLoopGroup workers = new EpollEventLoopGroup(2);
    ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus(HEALTH_SERVICE, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .executor(calls)
        .addService(new Service(handler))
        .addService(health.getHealthService())
        .build()
        .start();
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
      health.enterTerminalState();
      server.shutdown();
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
      }
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      deleteQuietly(socketDir);
    }));
    return new Running(server, Handshake.unix(socket.toString()));
  }

  /** A directory only this user can enter, so no other user can connect to the socket. */
  private static Path privateSocketDir() throws IOException {
    String base = System.getenv(Handshake.UNIX_SOCKET_DIR_ENV);
    Path parent = base != null && !base.isBlank() ? Path.of(base) : Path.of(System.getProperty("java.io.tmpdir"));
    return Files.createTempDirectory(parent, "plugin",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  // The host normally kills us (SIGTERM, or the kernel's parent-death signal); this covers a
  // host that started us without one and then vanished.
  private static void exitWhenHostIsGone() {
    ProcessHandle.current().parent().ifPresent(host -> host.onExit().thenRun(() -> {
      System.err.println("host process " + host.pid() + " is gone; plugin exiting");
      System.exit(0);
    }));
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a stale socket dir in tmp is harmless
    }
  }

  private static final class Service extends PluginServiceGrpc.PluginServiceImplBase {
    private final PluginHandler handler;

    Service(PluginHandler handler) {
      this.handler = handler;
    }

    @Override
    public void execute(ExecuteRequest request, StreamObserver<ExecuteResponse> response) {
      try {
        var args = JsonValues.fromAnyMap(request.getArgsMap());
        var data = handler.execute(request.getMethod(), args);
        Map<String, com.google.protobuf.Any> packed = JsonValues.toAnyMap(data);
        response.onNext(ExecuteResponse.newBuilder().putAllData(packed).build());
        response.onCompleted();
      } catch (PluginException e) {
        response.onError(status(e.kind()).withDescription(e.getMessage()).asRuntimeException());
      } catch (IllegalArgumentException e) {
        response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      } catch (Exception e) {
        response.onError(Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
      }
    }

    @Override
    public void healthCheck(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
      response.onNext(HealthCheckResponse.newBuilder()
          .setStatus(handler.healthy() ? "healthy" : "unhealthy").build());
      response.onCompleted();
    }

    private static Status status(PluginException.Kind kind) {
      return switch (kind) {
        case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
        case NOT_FOUND -> Status.NOT_FOUND;
        case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
        case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
        case INTERNAL -> Status.INTERNAL;
      };
    }
  }
}
