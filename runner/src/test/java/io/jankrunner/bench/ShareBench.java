package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * {@code scripts/bench share [S] [--quick]}: one share-mode worker with its defaults, the Go
 * example's {@code echo} as the short commands, and the short commands' throughput (the highest
 * rate with p99 under 100 ms and every command answered, as {@code scripts/bench e2e} finds it)
 * without and then with one long command running beside every phase: a {@code sleep} of the
 * phase's length plus 10 s (20 s by default) on another plugin ({@link SleepPlugin}), sent before
 * the phase and running when it starts. Also p50/p99 at 1,000/s without and with. The worker's
 * first long command is sent and answered before the measured ones, so the extra share
 * consumers it opens on a hold have joined (a one-off wait of a few seconds, not what is
 * measured here). The last line printed is one JSON object with every figure.
 */
public final class ShareBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Past the phase: the long command still runs while its last commands are answered. */
  private static final Duration LONGER_THAN_PHASE = Duration.ofSeconds(10);

  private final String bootstrap;
  private final Path plugins;
  private final BenchLengths lengths;

  private ShareBench(String bootstrap, Path plugins, BenchLengths lengths) {
    this.bootstrap = bootstrap;
    this.plugins = plugins.toAbsolutePath().normalize();
    this.lengths = lengths;
  }

  public static void main(String[] args) throws Exception {
    new ShareBench(args[0], Path.of(args[1]), BenchLengths.parse(args, 2)).run();
    System.exit(0);
  }

  private void run() throws Exception {
    Map<String, Object> figures = new LinkedHashMap<>();
    long started = System.nanoTime();
    try (BenchPlugins copies = new BenchPlugins(); LoadPhases load = new LoadPhases(bootstrap);
         KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      copies.goExample(plugins, "hello-go", Commands.PLUGIN, false); // plaintext, as in scripts/bench e2e
      TestPlugins.javaPlugin(copies.dir(), "sleep", SleepPlugin.ID, SleepPlugin.class, "",
          "\"runner\": {\"timeout_ms\": 3600000, \"max_concurrency\": 4}");
      // The sleep plugin runs from this JVM's classpath (~/.m2), which the default plugin user
      // cannot read: plugins run as the worker's own user here, as in the tests.
      try (WorkerProcess worker = new WorkerProcess(bootstrap, plugins.getParent(), copies.dir(), "share",
          Map.of("JANK_PLUGIN_USER", "worker"))) {
        worker.register(SleepPlugin.ID);
        load.run(worker, 1000, lengths.warmUp());
        LoadPhases.Phase alone = load.run(worker, 1000, lengths.latency());
        System.out.printf(Locale.ROOT, "short commands alone at %s%n", alone);
        List<Integer> without = new ArrayList<>();
        int probed = load.probe(worker, lengths.probe());
        for (int i = 0; i < lengths.repeats(); i++) {
          LoadPhases.Phase phase = load.sustainedRate(worker, probed, lengths.phase());
          without.add(phase == null ? 0 : phase.rate());
        }
        // A first long command, not measured: the worker opens its extra share consumers once one
        // is held, and they take a few seconds to join the share group.
        try (LongCommand first = new LongCommand(bootstrap, producer, worker, lengths.phase().plus(LONGER_THAN_PHASE))) {
          System.out.println("a first long command runs: the worker opens its extra consumers");
        }
        LoadPhases.Phase beside = withLongCommand(load, worker, producer, 1000, lengths.latency());
        System.out.printf(Locale.ROOT, "short commands beside a long one at %s%n", beside);
        List<Integer> with = new ArrayList<>();
        int withoutMedian = median(without);
        for (int i = 0; i < lengths.repeats(); i++) {
          LoadPhases.Phase phase = load.sustainedRate("share+long", withoutMedian,
              rate -> withLongCommand(load, worker, producer, rate, lengths.phase()));
          with.add(phase == null ? 0 : phase.rate());
        }
        figures.put("share_p50_ms", round(alone.p50()));
        figures.put("share_p99_ms", round(alone.p99()));
        figures.put("share_long_command_p50_ms", round(beside.p50()));
        figures.put("share_long_command_p99_ms", round(beside.p99()));
        figures.put("share_throughput", withoutMedian);
        figures.put("share_throughput_runs", without);
        figures.put("share_long_command_throughput", median(with));
        figures.put("share_long_command_throughput_runs", with);
        figures.put("share_long_command_throughput_ratio",
            withoutMedian == 0 ? null : round(median(with) / (double) withoutMedian));
        figures.put("long_command_ms", lengths.phase().plus(LONGER_THAN_PHASE).toMillis());
        figures.put("extra_consumers_opened", worker.logged("is held by a running command: opening"));
      }
    }
    figures.put("p99_limit_ms", LoadPhases.P99_LIMIT_MS);
    figures.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
    System.out.printf(Locale.ROOT, "share mode, short commands' throughput (p99 < %.0f ms): %s/s alone %s, %s/s beside"
            + " a long command %s: %s×%n", LoadPhases.P99_LIMIT_MS, figures.get("share_throughput"),
        figures.get("share_throughput_runs"), figures.get("share_long_command_throughput"),
        figures.get("share_long_command_throughput_runs"), figures.get("share_long_command_throughput_ratio"));
    System.out.println(JSON.writeValueAsString(figures));
  }

  /** A phase of short commands with one long command running from before its start to after its end. */
  private LoadPhases.Phase withLongCommand(LoadPhases load, WorkerProcess worker, KafkaProducer<byte[], byte[]> producer,
                                           int rate, Duration length) throws Exception {
    try (LongCommand longOne = new LongCommand(bootstrap, producer, worker, length.plus(LONGER_THAN_PHASE))) {
      LoadPhases.Phase phase = load.run(worker, rate, length);
      if (longOne.finished()) {
        System.err.printf(Locale.ROOT, "  the long command ended before the phase's answers were in (%s)%n", phase);
      }
      return phase;
    }
  }

  private static int median(List<Integer> rates) {
    return rates.stream().sorted().toList().get(rates.size() / 2);
  }

  private static Double round(double value) {
    return E2eBench.round(value);
  }
}
