package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.grpc.GrpcWarmup;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.protocol.JsonValues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/bench calls}: the cost of a call through the plugin manager, against the floor
 * of a raw grpc-java call over a unix socket to an in-process server, measured in one run.
 * Sequential calls (one in flight), {@code echo} with a small argument, after a warm-up. Cold
 * starts are compared with a bare JVM printing one line ({@code jvm_hello_ms}), and a fresh JVM's
 * first call with and without the worker's gRPC warm-up. The last line printed is one JSON
 * object with every figure.
 */
public final class CallsBench {

  private static final String GO = "com.jank.plugins.hello-world";
  private static final String JAVA = "com.jank.plugins.hello-java";
  /** The id of the bench's copy of the Go example with auto_mtls on (the plaintext copy keeps {@link #GO}). */
  private static final String GO_MTLS = "com.jank.plugins.hello-world-mtls";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int COLD_RUNS = 7;
  private static final int FIRST_CALL_RUNS = 3;

  private CallsBench() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int warmup = Math.max(2_000, calls / 4);
    Path plugins = Path.of(args.length > 1 ? args[1] : "plugins").toAbsolutePath();
    Map<String, Object> figures = new LinkedHashMap<>();
    ObjectNode payload = JSON.createObjectNode().put("name", "Ada").put("n", 42);

    long[] raw = rawGrpc(payload, warmup, calls);
    figures.put("raw_p50_us", micros(percentile(raw, 50)));
    figures.put("raw_p99_us", micros(percentile(raw, 99)));
    long[] direct = directToGoPlugin(plugins.resolve("hello-go"), payload, warmup, calls);
    figures.put("go_direct_p50_us", micros(percentile(direct, 50)));
    figures.put("go_direct_p99_us", micros(percentile(direct, 99)));

    // As a worker does while it connects to Kafka: the plaintext and the mutual-TLS call paths
    // loaded before the first plugin starts, so the cold starts below are a warmed worker's.
    GrpcWarmup.inBackground().join();
    try (BenchPlugins copies = new BenchPlugins()) {
      // The Go example twice, under two ids: plaintext, like both floors (so go_* is like for
      // like), and with auto_mtls, as it ships and as Jank's hello-world asks (go_mtls_*).
      copies.goExample(plugins, "hello-go", GO, false);
      copies.goExample(plugins, "hello-go-mtls", GO_MTLS, true);
      try (PluginManager goManager = new PluginManager(PluginManagerConfig.defaults(copies.dir())
              .withStateDir(Files.createTempDirectory("bench-state")), PluginStateListener.NONE);
           PluginManager manager = new PluginManager(PluginManagerConfig.defaults(plugins)
              .withStateDir(Files.createTempDirectory("bench-state")), PluginStateListener.NONE)) {
        for (Object[] plugin : new Object[][] {{"go", GO, goManager}, {"go_mtls", GO_MTLS, goManager},
            {"java", JAVA, manager}}) {
          String name = (String) plugin[0];
          String id = (String) plugin[1];
          PluginManager through = (PluginManager) plugin[2];
          through.register(id, false, line -> System.err.println("[build " + name + "] " + line));
          long coldStart = coldStart(through, id);
          long[] latencies = measure(warmup, calls, () -> through.execute(id, "echo", payload));
          figures.put(name + "_p50_us", micros(percentile(latencies, 50)));
          figures.put(name + "_p99_us", micros(percentile(latencies, 99)));
          figures.put(name + "_cold_start_ms", round(coldStart / 1_000_000.0));
          figures.put(name + "_handshake_ms",
              through.coldStart(id).map(Duration::toNanos).orElse(0L) / 1_000_000.0);
        }
      }
      double jvmHello = ChildJvms.jvmHelloMillis(COLD_RUNS);
      figures.put("jvm_hello_ms", round(jvmHello));
      figures.put("java_cold_start_ratio", round((double) figures.get("java_cold_start_ms") / jvmHello));
      figures.put("go_cold_start_ratio", round((double) figures.get("go_cold_start_ms") / jvmHello));
      figures.put("go_mtls_cold_start_ratio",
          round((double) figures.get("go_mtls_cold_start_ms") / (double) figures.get("go_cold_start_ms")));
      // Fresh JVMs with the worker's options, the Go example over mTLS: the first call without
      // and with the worker's warm-up, and (warmed) the whole first start, launch included.
      ChildJvms.FirstCalls cold = ChildJvms.firstCallMillis(copies.dir(), GO_MTLS, false, FIRST_CALL_RUNS);
      ChildJvms.FirstCalls warmed = ChildJvms.firstCallMillis(copies.dir(), GO_MTLS, true, FIRST_CALL_RUNS);
      figures.put("first_call_ms", round(cold.firstCall()));
      figures.put("first_call_warmed_ms", round(warmed.firstCall()));
      figures.put("second_call_ms", round(cold.secondCall()));
      figures.put("go_mtls_first_cold_start_ms", round(warmed.coldStart()));
      figures.put("go_mtls_first_cold_start_unwarmed_ms", round(cold.coldStart()));
      figures.put("go_mtls_second_cold_start_ms", round(warmed.secondColdStart()));
      figures.put("go_mtls_first_cold_start_ratio",
          round(warmed.coldStart() / (double) figures.get("go_mtls_cold_start_ms")));
    }
    double rawP50 = (double) figures.get("raw_p50_us");
    figures.put("go_ratio", round((double) figures.get("go_p50_us") / rawP50));
    figures.put("java_ratio", round((double) figures.get("java_p50_us") / rawP50));
    figures.put("go_overhead_p50_us", round((double) figures.get("go_p50_us") - rawP50));
    figures.put("go_mtls_ratio", round((double) figures.get("go_mtls_p50_us") / rawP50));
    figures.put("go_mtls_overhead_p50_us", round((double) figures.get("go_mtls_p50_us") - rawP50));
    figures.put("java_overhead_p50_us", round((double) figures.get("java_p50_us") - rawP50));
    figures.put("go_vs_direct_ratio", round((double) figures.get("go_p50_us") / (double) figures.get("go_direct_p50_us")));
    figures.put("go_overhead_vs_direct_p50_us",
        round((double) figures.get("go_p50_us") - (double) figures.get("go_direct_p50_us")));
    figures.put("calls", calls);

    System.out.printf(Locale.ROOT, "raw grpc (unix socket, in-process server): p50 %.1f µs  p99 %.1f µs%n",
        figures.get("raw_p50_us"), figures.get("raw_p99_us"));
    System.out.printf(Locale.ROOT, "raw grpc straight to the Go plugin process:  p50 %.1f µs  p99 %.1f µs%n",
        figures.get("go_direct_p50_us"), figures.get("go_direct_p99_us"));
    for (String name : new String[] {"go", "go_mtls", "java"}) {
      System.out.printf(Locale.ROOT, "%-4s through the manager: p50 %.1f µs  p99 %.1f µs  = %.2f× raw p50 "
              + "(+%.1f µs); cold start %.1f ms%n", name, figures.get(name + "_p50_us"), figures.get(name + "_p99_us"),
          figures.get(name + "_ratio"), figures.get(name + "_overhead_p50_us"), figures.get(name + "_cold_start_ms"));
    }
    System.out.printf(Locale.ROOT, "the manager's own cost on the Go plugin: +%.1f µs p50 (%.2f× a direct call)%n",
        figures.get("go_overhead_vs_direct_p50_us"), figures.get("go_vs_direct_ratio"));
    System.out.printf(Locale.ROOT, "cold starts (median of %d): java %.1f ms (handshake %.1f), go %.1f ms (handshake %.1f);"
            + " a bare JVM printing one line %.1f ms: java = %.2f× that%n", COLD_RUNS, figures.get("java_cold_start_ms"),
        figures.get("java_handshake_ms"), figures.get("go_cold_start_ms"), figures.get("go_handshake_ms"), figures.get("jvm_hello_ms"),
        figures.get("java_cold_start_ratio"));
    System.out.printf(Locale.ROOT, "go with auto_mtls: cold start %.1f ms = %.2f× the plaintext one (median of %d, warmed);"
            + " the first in a fresh warmed worker JVM %.1f ms (%.1f ms unwarmed; median of %d JVMs)%n",
        figures.get("go_mtls_cold_start_ms"), figures.get("go_mtls_cold_start_ratio"), COLD_RUNS,
        figures.get("go_mtls_first_cold_start_ms"), figures.get("go_mtls_first_cold_start_unwarmed_ms"), FIRST_CALL_RUNS);
    System.out.printf(Locale.ROOT, "a fresh worker JVM's first call (plugin start excluded, median of %d): %.1f ms,"
            + " %.1f ms after the gRPC warm-up; its second call %.1f ms%n", FIRST_CALL_RUNS, figures.get("first_call_ms"),
        figures.get("first_call_warmed_ms"), figures.get("second_call_ms"));
    System.out.println(JSON.writeValueAsString(figures));
  }

  /**
   * Unregistered → first call answered: process launch, handshake, connect, first call. The
   * median of {@link #COLD_RUNS}, as the bare JVM's start it is compared with.
   */
  private static long coldStart(PluginManager manager, String id) throws Exception {
    double[] nanos = new double[COLD_RUNS];
    for (int i = 0; i < COLD_RUNS; i++) {
      manager.unregister(id);
      manager.register(id);
      long start = System.nanoTime();
      manager.execute(id, "echo", JSON.createObjectNode());
      nanos[i] = System.nanoTime() - start;
    }
    return (long) ChildJvms.median(nanos);
  }

  private static long[] rawGrpc(ObjectNode payload, int warmup, int calls) throws Exception {
    Path dir = Files.createTempDirectory("bench-raw");
    Path socket = dir.resolve("raw.sock");
    EventLoopGroup serverLoop = new EpollEventLoopGroup(2);
    EventLoopGroup clientLoop = new EpollEventLoopGroup(2);
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(serverLoop)
        .workerEventLoopGroup(serverLoop).directExecutor()
        .addService(new PluginServiceGrpc.PluginServiceImplBase() {
          @Override
          public void execute(ExecuteRequest request, StreamObserver<ExecuteResponse> response) {
            response.onNext(ExecuteResponse.newBuilder().putAllData(request.getArgsMap()).build());
            response.onCompleted();
          }
        }).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(clientLoop).usePlaintext().directExecutor()
        .overrideAuthority("localhost").build();
    try {
      PluginServiceGrpc.PluginServiceBlockingStub stub = PluginServiceGrpc.newBlockingStub(channel);
      ExecuteRequest request = ExecuteRequest.newBuilder().setMethod("echo")
          .putAllArgs(JsonValues.toAnyMap(payload)).build();
      return measure(warmup, calls, () -> stub.withDeadlineAfter(30, TimeUnit.SECONDS).execute(request));
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /**
   * The second floor: the built Go plugin launched by hand (same handshake environment) and
   * called with a raw grpc-java stub on its socket. The difference to the manager's figure is
   * what the manager itself costs.
   */
  private static long[] directToGoPlugin(Path dir, ObjectNode payload, int warmup, int calls) throws Exception {
    try (DirectPlugin plugin = new DirectPlugin(dir)) {
      PluginServiceGrpc.PluginServiceBlockingStub stub = PluginServiceGrpc.newBlockingStub(plugin.channel());
      ExecuteRequest request = ExecuteRequest.newBuilder().setMethod("echo")
          .putAllArgs(JsonValues.toAnyMap(payload)).build();
      return measure(warmup, calls, () -> stub.withDeadlineAfter(30, TimeUnit.SECONDS).execute(request));
    }
  }

  @FunctionalInterface
  private interface Call {
    Object run() throws Exception;
  }

  private static long[] measure(int warmup, int calls, Call call) throws Exception {
    for (int i = 0; i < warmup; i++) {
      call.run();
    }
    long[] nanos = new long[calls];
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      call.run();
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static long percentile(long[] sorted, double p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double micros(long nanos) {
    return round(nanos / 1_000.0);
  }

  private static double round(double value) {
    return Math.round(value * 100.0) / 100.0;
  }
}
