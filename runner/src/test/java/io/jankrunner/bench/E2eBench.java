package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code scripts/bench e2e [S] [--quick]}: command → result through Kafka and a worker running
 * the Go plugin's {@code echo}, against two floors on the same broker in the same run:
 *
 * <ul>
 *   <li>the echo floor, a raw consumer that produces each request back as its reply (Kafka's
 *       round trip alone, no plugin);
 *   <li>the pipeline floor, a minimal hand-written consumer → asynchronous gRPC {@code Execute}
 *       → producer service around the same Go plugin (what a worker could cost at best).
 * </ul>
 *
 * <p>Latency: p50/p99 at 100 and 1,000 commands/s for S seconds each (both floors and both worker
 * modes). Throughput: the highest offered rate whose p99 stays under 100 ms with every command
 * answered, from a quick probe and then 3 measured repeats of full-length phases (10 s) around
 * it; the median is reported. Each worker runs as users run it ({@code scripts/runner worker}) in its
 * own JVM, whose CPU per command is read from {@code /proc}. {@code --quick}: 3 s phases and one
 * repeat. {@code BENCH_SYSTEMS=floor,share} runs a subset; {@code BENCH_AUTO_MTLS=true} keeps the
 * example's mTLS for the workers (the floors are plaintext); {@code BENCH_P99_LIMIT_MS} moves the
 * 100 ms limit. The last line printed is one JSON object with every figure.
 */
public final class E2eBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String bootstrap;
  private final Path plugins;
  private final Duration latencyLength;
  private final Duration phaseLength;
  private final Duration probeLength;
  private final int repeats;
  private final Duration warmUpLength;
  private Path workerPlugins;

  private E2eBench(String bootstrap, Path plugins, int latencySeconds, boolean quick) {
    this.bootstrap = bootstrap;
    this.plugins = plugins.toAbsolutePath().normalize();
    this.latencyLength = Duration.ofSeconds(quick ? Math.min(3, latencySeconds) : latencySeconds);
    this.phaseLength = Duration.ofSeconds(quick ? 3 : 10);
    this.probeLength = Duration.ofSeconds(quick ? 2 : 3);
    this.repeats = quick ? 1 : 3;
    this.warmUpLength = Duration.ofSeconds(quick ? 5 : 20);
  }

  public static void main(String[] args) throws Exception {
    int seconds = 10;
    boolean quick = false;
    for (int i = 2; i < args.length; i++) {
      if (args[i].equals("--quick")) {
        quick = true;
      } else {
        seconds = Integer.parseInt(args[i]);
      }
    }
    new E2eBench(args[0], Path.of(args[1]), seconds, quick).run();
    System.exit(0);
  }

  private void run() throws Exception {
    Map<String, Object> figures = new LinkedHashMap<>();
    List<String> systems = List.of(System.getenv().getOrDefault("BENCH_SYSTEMS", "floor,pipeline,share,group")
        .split(","));
    long started = System.nanoTime();
    try (LoadPhases load = new LoadPhases(bootstrap)) {
      for (String system : systems) {
        try (BenchTarget target = target(system)) {
          // Warm-up, not reported: long enough for a fresh worker JVM's JIT to compile the hot
          // path (with 3 s at 500/s its C2 compiler was still busy through the latency phases,
          // which then measured compilation as much as the worker), and alike for every system.
          load.run(target, 1000, warmUpLength);
          latency(load, target, figures);
          throughput(load, target, figures);
        }
      }
    }
    if (workerPlugins != null) {
      try (var paths = Files.walk(workerPlugins)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
    ratios(systems, figures);
    figures.put("p99_limit_ms", LoadPhases.P99_LIMIT_MS);
    figures.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
    System.out.println(JSON.writeValueAsString(figures));
  }

  private BenchTarget target(String system) throws Exception {
    return switch (system) {
      case "floor" -> new EchoFloor(bootstrap);
      case "pipeline" -> new PipelineFloor(bootstrap, plugins.resolve("hello-go"));
      case "share", "group" -> new WorkerProcess(bootstrap, plugins.getParent(), workerPlugins(), system);
      default -> throw new IllegalArgumentException("unknown system " + system + " (floor, pipeline, share, group)");
    };
  }

  /**
   * The plugins directory the workers use: the Go example as built, with its {@code auto_mtls}
   * turned off unless {@code BENCH_AUTO_MTLS=true}, because the floors speak plaintext gRPC to
   * the same binary: like is compared with like (mTLS costs both sides CPU on every call).
   */
  private Path workerPlugins() throws IOException {
    if (workerPlugins != null) {
      return workerPlugins;
    }
    boolean mtls = Boolean.parseBoolean(System.getenv().getOrDefault("BENCH_AUTO_MTLS", "false"));
    Path dir = Files.createTempDirectory("bench-plugins");
    Path copy = Files.createDirectories(dir.resolve("hello-go/bin"));
    Files.copy(plugins.resolve("hello-go/bin/hello-world"), copy.resolve("hello-world"),
        StandardCopyOption.COPY_ATTRIBUTES);
    ObjectNode manifest = (ObjectNode) JSON.readTree(plugins.resolve("hello-go/plugin.json").toFile());
    manifest.put("auto_mtls", mtls && manifest.path("auto_mtls").asBoolean());
    JSON.writeValue(dir.resolve("hello-go/plugin.json").toFile(), manifest);
    for (Path path : List.of(dir, dir.resolve("hello-go"), copy)) {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x")); // the plugin user reads it
    }
    System.out.printf(Locale.ROOT, "workers call the Go example with auto_mtls %s%n", manifest.get("auto_mtls"));
    workerPlugins = dir;
    return dir;
  }

  private void latency(LoadPhases load, BenchTarget target, Map<String, Object> figures) throws Exception {
    for (int rate : new int[] {100, 1000}) {
      LoadPhases.Phase phase = load.run(target, rate, latencyLength);
      String prefix = target.name() + (rate == 100 ? "_100" : "");
      figures.put(prefix + "_p50_ms", round(phase.p50()));
      figures.put(prefix + "_p99_ms", round(phase.p99()));
      figures.put(prefix + "_p999_ms", round(phase.p999()));
      System.out.printf(Locale.ROOT, "%-8s latency at %s%n", target.name(), phase);
    }
  }

  /** The median over the repeats of the highest sustained rate; CPU per command from that phase. */
  private void throughput(LoadPhases load, BenchTarget target, Map<String, Object> figures) throws Exception {
    int probed = load.probe(target, probeLength);
    List<LoadPhases.Phase> sustained = new ArrayList<>();
    List<Integer> rates = new ArrayList<>();
    for (int i = 0; i < repeats; i++) {
      LoadPhases.Phase phase = load.sustainedRate(target, probed, phaseLength);
      rates.add(phase == null ? 0 : phase.rate());
      if (phase != null) {
        sustained.add(phase);
      }
    }
    List<Integer> sorted = rates.stream().sorted().toList();
    int median = sorted.get(sorted.size() / 2);
    String key = target.name().equals("pipeline") ? "pipeline_floor_throughput" : target.name() + "_throughput";
    figures.put(key, median);
    figures.put(target.name() + "_throughput_runs", rates);
    System.out.printf(Locale.ROOT, "%-8s throughput (highest rate with p99 < %.0f ms, median of %s): %d commands/s%n",
        target.name(), LoadPhases.P99_LIMIT_MS, rates, median);
    sustained.stream().filter(phase -> phase.rate() == median && !Double.isNaN(phase.cpuSeconds()))
        .max(Comparator.comparingInt(LoadPhases.Phase::answered)).ifPresent(phase -> {
          figures.put(target.name() + "_worker_cpu_us_per_command", round(phase.cpuMillisPerCommand() * 1000));
          System.out.printf(Locale.ROOT, "%-8s worker JVM CPU: %.6f CPU-seconds per command at %d/s%n",
              target.name(), phase.cpuMillisPerCommand() / 1000, phase.rate());
        });
  }

  private static void ratios(List<String> systems, Map<String, Object> figures) {
    if (!systems.containsAll(List.of("floor", "pipeline", "share", "group"))) {
      return; // a subset: no ratios
    }
    double floorP50 = (double) figures.get("floor_p50_ms");
    double floorP99 = (double) figures.get("floor_p99_ms");
    double worseP50 = Math.max((double) figures.get("share_p50_ms"), (double) figures.get("group_p50_ms"));
    double worseP99 = Math.max((double) figures.get("share_p99_ms"), (double) figures.get("group_p99_ms"));
    int best = Math.max((int) figures.get("share_throughput"), (int) figures.get("group_throughput"));
    figures.put("p50_ratio", ratio(worseP50, floorP50));
    figures.put("p99_ratio", ratio(worseP99, floorP99));
    figures.put("throughput_ratio", ratio(best, (int) figures.get("floor_throughput")));
    figures.put("pipeline_ratio", ratio(best, (int) figures.get("pipeline_floor_throughput")));
    figures.put("share_vs_group_ratio", ratio((int) figures.get("share_throughput"),
        (int) figures.get("group_throughput")));
    // The same latencies over the pipeline floor: what the runner adds to a service that also
    // calls a plugin process (the echo floor calls none).
    figures.put("p50_vs_pipeline_ratio", ratio(worseP50, (double) figures.get("pipeline_p50_ms")));
    figures.put("p99_vs_pipeline_ratio", ratio(worseP99, (double) figures.get("pipeline_p99_ms")));
    for (String mode : List.of("share", "group")) {
      figures.put(mode + "_100_p50_ratio", ratio((double) figures.get(mode + "_100_p50_ms"),
          (double) figures.get("floor_100_p50_ms")));
      figures.put(mode + "_100_p99_ratio", ratio((double) figures.get(mode + "_100_p99_ms"),
          (double) figures.get("floor_100_p99_ms")));
    }
    System.out.printf(Locale.ROOT, "runner / echo floor at 1000/s: p50 %s×  p99 %s× (worse mode); best mode's"
            + " throughput %s× the echo floor, %s× the pipeline floor%n", figures.get("p50_ratio"),
        figures.get("p99_ratio"), figures.get("throughput_ratio"), figures.get("pipeline_ratio"));
    System.out.printf(Locale.ROOT, "runner / pipeline floor at 1000/s: p50 %s×  p99 %s× (worse mode)%n",
        figures.get("p50_vs_pipeline_ratio"), figures.get("p99_vs_pipeline_ratio"));
  }

  /** {@code a / b} rounded, or null (JSON null) when {@code b} is 0: no rate was sustained. */
  private static Double ratio(double a, double b) {
    return b == 0 ? null : round(a / b);
  }

  private static double round(double value) {
    return Math.round(value * 100.0) / 100.0;
  }
}
