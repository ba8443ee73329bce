package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
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
 * it, each a √2 sweep and then a bisection to within 5 %; the median is reported. Each worker runs
 * as users run it ({@code scripts/runner worker}) in its own JVM, and so does the pipeline floor
 * (with a worker's JVM options): their CPU per command is read from {@code /proc}, the floor's at
 * the rates the workers sustained. {@code --quick}: 3 s phases and one repeat.
 * {@code BENCH_SYSTEMS=floor,share} runs a subset; {@code BENCH_AUTO_MTLS=true} keeps the
 * example's mTLS for the workers (the floors are plaintext); {@code BENCH_P99_LIMIT_MS} moves the
 * 100 ms limit. The last line printed is one JSON object with every figure.
 */
public final class E2eBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Every system, in the order they run. */
  static final List<String> SYSTEMS = List.of("floor", "share", "group", "pipeline");

  private final String bootstrap;
  private final Path plugins;
  private final BenchLengths lengths;
  private Path workerPlugins;

  private E2eBench(String bootstrap, Path plugins, BenchLengths lengths) {
    this.bootstrap = bootstrap;
    this.plugins = plugins.toAbsolutePath().normalize();
    this.lengths = lengths;
  }

  public static void main(String[] args) throws Exception {
    new E2eBench(args[0], Path.of(args[1]), BenchLengths.parse(args, 2)).run();
    System.exit(0);
  }

  private void run() throws Exception {
    Map<String, Object> figures = new LinkedHashMap<>();
    List<String> systems = systems(System.getenv().getOrDefault("BENCH_SYSTEMS", String.join(",", SYSTEMS)));
    long started = System.nanoTime();
    try (LoadPhases load = new LoadPhases(bootstrap); BenchPlugins benchPlugins = new BenchPlugins()) {
      for (String system : systems) {
        try (BenchTarget target = target(system, benchPlugins)) {
          // Warm-up, not reported: long enough for a fresh worker JVM's JIT to compile the hot
          // path (with 3 s at 500/s its C2 compiler was still busy through the latency phases,
          // which then measured compilation as much as the worker), and alike for every system.
          load.run(target, 1000, lengths.warmUp());
          latency(load, target, figures);
          int rate = throughput(load, target, figures);
          if (target.name().equals("pipeline")) {
            pipelineCpu(load, target, rate, figures);
          }
        }
      }
    }
    ratios(systems, figures);
    figures.put("p99_limit_ms", LoadPhases.P99_LIMIT_MS);
    figures.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
    System.out.println(JSON.writeValueAsString(figures));
  }

  /**
   * The systems asked for, in the order they run: the pipeline floor after the workers, because
   * its CPU per command is measured at the rates they sustained (at the same offered rate).
   */
  static List<String> systems(String asked) {
    List<String> names = List.of(asked.split(","));
    for (String name : names) {
      if (!SYSTEMS.contains(name)) {
        throw new IllegalArgumentException("unknown system " + name + " " + SYSTEMS);
      }
    }
    return SYSTEMS.stream().filter(names::contains).toList();
  }

  private BenchTarget target(String system, BenchPlugins benchPlugins) throws Exception {
    return switch (system) {
      case "floor" -> new EchoFloor(bootstrap);
      case "pipeline" -> new PipelineProcess(bootstrap, plugins.resolve("hello-go"));
      default -> new WorkerProcess(bootstrap, plugins.getParent(), workerPlugins(benchPlugins), system);
    };
  }

  /**
   * The plugins directory the workers use: the Go example as built, with its {@code auto_mtls}
   * turned off unless {@code BENCH_AUTO_MTLS=true}, because the floors speak plaintext gRPC to
   * the same binary: like is compared with like (mTLS costs both sides CPU on every call).
   */
  private Path workerPlugins(BenchPlugins benchPlugins) throws IOException {
    if (workerPlugins == null) {
      boolean mtls = Boolean.parseBoolean(System.getenv().getOrDefault("BENCH_AUTO_MTLS", "false"))
          && BenchPlugins.shippedAutoMtls(plugins);
      benchPlugins.goExample(plugins, "hello-go", Commands.PLUGIN, mtls);
      System.out.printf(Locale.ROOT, "workers call the Go example with auto_mtls %s%n", mtls);
      workerPlugins = benchPlugins.dir();
    }
    return workerPlugins;
  }

  private void latency(LoadPhases load, BenchTarget target, Map<String, Object> figures) throws Exception {
    for (int rate : new int[] {100, 1000}) {
      LoadPhases.Phase phase = load.run(target, rate, lengths.latency());
      String prefix = target.name() + (rate == 100 ? "_100" : "");
      figures.put(prefix + "_p50_ms", round(phase.p50()));
      figures.put(prefix + "_p99_ms", round(phase.p99()));
      figures.put(prefix + "_p999_ms", round(phase.p999()));
      System.out.printf(Locale.ROOT, "%-8s latency at %s%n", target.name(), phase);
    }
  }

  /**
   * The median over the repeats of the highest sustained rate, returned; CPU per command from that
   * phase (for the pipeline floor, {@code pipeline_cpu_us_per_command_own_rate}).
   */
  private int throughput(LoadPhases load, BenchTarget target, Map<String, Object> figures) throws Exception {
    int probed = load.probe(target, lengths.probe());
    List<LoadPhases.Phase> sustained = new ArrayList<>();
    List<Integer> rates = new ArrayList<>();
    for (int i = 0; i < lengths.repeats(); i++) {
      LoadPhases.Phase phase = load.sustainedRate(target, probed, lengths.phase());
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
    String cpuKey = target.name().equals("pipeline") ? "pipeline_cpu_us_per_command_own_rate"
        : target.name() + "_worker_cpu_us_per_command";
    sustained.stream().filter(phase -> phase.rate() == median && !Double.isNaN(phase.cpuSeconds()))
        .max(Comparator.comparingInt(LoadPhases.Phase::answered)).ifPresent(phase -> {
          figures.put(cpuKey, round(phase.cpuMillisPerCommand() * 1000));
          System.out.printf(Locale.ROOT, "%-8s JVM CPU: %.6f CPU-seconds per command at %d/s%n",
              target.name(), phase.cpuMillisPerCommand() / 1000, phase.rate());
        });
    return median;
  }

  /**
   * The pipeline floor's JVM CPU per command at each worker mode's sustained rate (the median
   * over the repeats of full-length phases there), so that each mode's CPU per command is set
   * against the floor's at the same offered rate: CPU per command falls as the rate rises (fuller
   * batches, idle costs spread thinner). {@code pipeline_cpu_us_per_command} is the one at the
   * better mode's rate; without a worker in the run, at the floor's own sustained rate.
   */
  private void pipelineCpu(LoadPhases load, BenchTarget target, int ownRate, Map<String, Object> figures)
      throws Exception {
    Map<Integer, Double> atRate = new LinkedHashMap<>();
    String best = null;
    for (String mode : List.of("share", "group")) {
      if (!(figures.get(mode + "_throughput") instanceof Integer rate) || rate == 0) {
        continue;
      }
      if (best == null || rate > (int) figures.get(best + "_throughput")) {
        best = mode;
      }
      if (!atRate.containsKey(rate)) {
        double[] cpu = new double[lengths.repeats()];
        for (int i = 0; i < lengths.repeats(); i++) {
          LoadPhases.Phase phase = load.run(target, rate, lengths.phase());
          System.out.printf(Locale.ROOT, "%-8s CPU at %s's rate %s%s%n", target.name(), mode, phase,
              phase.sustained() ? "" : "  (not sustained)");
          cpu[i] = phase.cpuMillisPerCommand() * 1000;
        }
        atRate.put(rate, round(ChildJvms.median(cpu)));
      }
      figures.put("pipeline_cpu_us_per_command_" + mode, atRate.get(rate));
    }
    Object own = figures.get("pipeline_cpu_us_per_command_own_rate");
    if (best != null) {
      figures.put("pipeline_cpu_us_per_command", figures.get("pipeline_cpu_us_per_command_" + best));
      figures.put("pipeline_cpu_rate", figures.get(best + "_throughput"));
    } else if (own != null) {
      figures.put("pipeline_cpu_us_per_command", own);
      figures.put("pipeline_cpu_rate", ownRate);
    }
  }

  /** The ratios the figures allow (all of them only when every system ran). */
  static void ratios(List<String> systems, Map<String, Object> figures) {
    // Each mode's worker CPU per command over the pipeline floor's at the same offered rate.
    for (String mode : List.of("share", "group")) {
      if (figures.get(mode + "_worker_cpu_us_per_command") instanceof Double worker
          && figures.get("pipeline_cpu_us_per_command_" + mode) instanceof Double pipeline) {
        figures.put(mode + "_cpu_ratio", ratio(worker, pipeline));
      }
    }
    if (!systems.containsAll(SYSTEMS)) {
      return; // a subset: no other ratios
    }
    Double floorP50 = latency(figures, "floor_p50_ms");
    Double floorP99 = latency(figures, "floor_p99_ms");
    Double worseP50 = worse(latency(figures, "share_p50_ms"), latency(figures, "group_p50_ms"));
    Double worseP99 = worse(latency(figures, "share_p99_ms"), latency(figures, "group_p99_ms"));
    int best = Math.max((int) figures.get("share_throughput"), (int) figures.get("group_throughput"));
    figures.put("p50_ratio", ratio(worseP50, floorP50));
    figures.put("p99_ratio", ratio(worseP99, floorP99));
    figures.put("throughput_ratio", ratio(best, (int) figures.get("floor_throughput")));
    figures.put("pipeline_ratio", ratio(best, (int) figures.get("pipeline_floor_throughput")));
    figures.put("share_vs_group_ratio", ratio((int) figures.get("share_throughput"),
        (int) figures.get("group_throughput")));
    // The same latencies over the pipeline floor: what the runner adds to a service that also
    // calls a plugin process (the echo floor calls none).
    figures.put("p50_vs_pipeline_ratio", ratio(worseP50, latency(figures, "pipeline_p50_ms")));
    figures.put("p99_vs_pipeline_ratio", ratio(worseP99, latency(figures, "pipeline_p99_ms")));
    figures.put("p50_vs_pipeline_ratio_100", ratio(worse(latency(figures, "share_100_p50_ms"),
        latency(figures, "group_100_p50_ms")), latency(figures, "pipeline_100_p50_ms")));
    figures.put("p99_vs_pipeline_ratio_100", ratio(worse(latency(figures, "share_100_p99_ms"),
        latency(figures, "group_100_p99_ms")), latency(figures, "pipeline_100_p99_ms")));
    for (String mode : List.of("share", "group")) {
      figures.put(mode + "_100_p50_ratio", ratio(latency(figures, mode + "_100_p50_ms"),
          latency(figures, "floor_100_p50_ms")));
      figures.put(mode + "_100_p99_ratio", ratio(latency(figures, mode + "_100_p99_ms"),
          latency(figures, "floor_100_p99_ms")));
    }
    System.out.printf(Locale.ROOT, "runner / echo floor at 1000/s: p50 %s×  p99 %s× (worse mode); best mode's"
            + " throughput %s× the echo floor, %s× the pipeline floor%n", figures.get("p50_ratio"),
        figures.get("p99_ratio"), figures.get("throughput_ratio"), figures.get("pipeline_ratio"));
    System.out.printf(Locale.ROOT, "runner / pipeline floor at 1000/s: p50 %s×  p99 %s×; at 100/s: p50 %s×  p99 %s×"
            + " (worse mode); worker CPU per command over the floor's: share %s×  group %s×%n",
        figures.get("p50_vs_pipeline_ratio"), figures.get("p99_vs_pipeline_ratio"),
        figures.get("p50_vs_pipeline_ratio_100"), figures.get("p99_vs_pipeline_ratio_100"),
        figures.get("share_cpu_ratio"), figures.get("group_cpu_ratio"));
  }

  /** {@code a / b} rounded, or null (JSON null) when {@code b} is 0: no rate was sustained. */
  private static Double ratio(double a, double b) {
    return b == 0 ? null : round(a / b);
  }

  /** The same for latencies, which are null where a phase left commands unanswered. */
  private static Double ratio(Double a, Double b) {
    return a == null || b == null ? null : ratio(a.doubleValue(), b.doubleValue());
  }

  private static Double latency(Map<String, Object> figures, String key) {
    return (Double) figures.get(key);
  }

  /** The higher of two latencies; unknown (null: commands unanswered) is worse than any. */
  private static Double worse(Double a, Double b) {
    return a == null || b == null ? null : Math.max(a, b);
  }

  /**
   * Rounded to 0.01, or null (JSON null) for a percentile with no finite value: it fell on a
   * command never answered (not Long.MAX_VALUE ns read as 9.22e16 ms).
   */
  static Double round(double value) {
    return Double.isFinite(value) ? Math.round(value * 100.0) / 100.0 : null;
  }
}
