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
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import io.jankrunner.protocol.JsonValues;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.HealthCheckResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The server side of the go-plugin handshake for Java plugins: {@code PluginServer.serve(handler)}
 * from {@code main} is all a plugin needs.
 *
 * <p>It refuses to run without the magic cookie (a plugin is not a program to start by hand),
 * listens on a unix socket in a private temporary directory (speaking TLS with a client
 * certificate required when the host asks for auto-mTLS), prints the handshake line, serves
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
    NettyForAShortLife.configure();
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
    // One event loop thread accepts and serves: a plugin has one host, which keeps one connection.
    EventLoopGroup loop = new EpollEventLoopGroup(1);
    ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus(HEALTH_SERVICE, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    // auto-mTLS, as go-plugin does it: the host's certificate in the environment means "TLS, and
    // only that client"; ours goes back in the handshake.
    String clientCert = System.getenv(Handshake.CLIENT_CERT_ENV);
    Optional<EphemeralCertificate> serverCert = Optional.empty();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()));
    if (clientCert != null && !clientCert.isBlank()) {
      serverCert = Optional.of(EphemeralCertificate.generate());
      builder.sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(serverCert.get().privateKey(),
              serverCert.get().certificate()))
          .trustManager(EphemeralCertificate.parsePem(clientCert))
          .clientAuth(ClientAuth.REQUIRE)
          .build());
    }
    Server server = builder
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loop)
        .workerEventLoopGroup(loop)
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
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      deleteQuietly(socketDir);
    }));
    Handshake handshake = Handshake.unix(socket.toString());
    return new Running(server, new Handshake(handshake.coreVersion(), handshake.appVersion(), handshake.network(),
        handshake.address(), handshake.protocol(), serverCert.map(EphemeralCertificate::handshakeField)));
  }

  /**
   * A directory only this user can enter, so no other user can connect to the socket. Named by
   * this process's id and the clock rather than by {@link Files#createTempDirectory}, whose
   * {@code SecureRandom} costs a cold JVM more than anything else before the handshake but the
   * server itself: a guessable name is as safe here, because {@code mkdir} fails on any name that
   * exists (a file, a directory or a symlink an attacker made) and a taken name is skipped.
   */
  static Path privateSocketDir() throws IOException {
    String base = System.getenv(Handshake.UNIX_SOCKET_DIR_ENV);
    Path parent = base != null && !base.isBlank() ? Path.of(base) : Path.of(System.getProperty("java.io.tmpdir"));
    var ownerOnly = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    long pid = ProcessHandle.current().pid();
    FileAlreadyExistsException taken = null;
    for (int attempt = 0; attempt < 100; attempt++) {
      try {
        return Files.createDirectory(parent.resolve("plugin" + pid + "-" + Long.toHexString(System.nanoTime())), ownerOnly);
      } catch (FileAlreadyExistsException e) {
        taken = e;
      }
    }
    throw taken;
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
