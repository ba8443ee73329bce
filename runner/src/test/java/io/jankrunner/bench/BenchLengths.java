package io.jankrunner.bench;

import java.time.Duration;

/**
 * The lengths a bench through Kafka runs with, from its {@code [S] [--quick]} arguments: latency
 * phases of S s (default 10), 10 s throughput phases after 3 s probes, 3 repeats and a 20 s
 * warm-up; {@code --quick}: at most 3 s of latency, 3 s phases, 2 s probes, one repeat, 5 s of
 * warm-up.
 */
record BenchLengths(Duration latency, Duration phase, Duration probe, int repeats, Duration warmUp) {

  /** From {@code args[from]} on. */
  static BenchLengths parse(String[] args, int from) {
    int seconds = 10;
    boolean quick = false;
    for (int i = from; i < args.length; i++) {
      if (args[i].equals("--quick")) {
        quick = true;
      } else {
        seconds = Integer.parseInt(args[i]);
      }
    }
    return new BenchLengths(Duration.ofSeconds(quick ? Math.min(3, seconds) : seconds),
        Duration.ofSeconds(quick ? 3 : 10), Duration.ofSeconds(quick ? 2 : 3), quick ? 1 : 3,
        Duration.ofSeconds(quick ? 5 : 20));
  }
}
