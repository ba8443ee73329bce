package io.jankrunner.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Offered load at a fixed rate, and the search for the highest rate a system sustains. Latency
 * is timed from each command's intended send time, so a stall (of the system or of this
 * sender) is not hidden (no coordinated omission); a command never answered counts as slower
 * than any answered one.
 */
final class LoadPhases implements AutoCloseable {

  /**
   * A rate is sustained when every command is answered and p99 stays under this: 100 ms, or
   * {@code BENCH_P99_LIMIT_MS} (on a machine so loaded that even the floors miss 100 ms).
   */
  static final double P99_LIMIT_MS = Double.parseDouble(System.getenv().getOrDefault("BENCH_P99_LIMIT_MS", "100"));
  private static final int LOWEST_RATE = 100;
  private static final int HIGHEST_RATE = 256_000;

  /** One phase at a fixed offered rate; CPU seconds of the system's worker process, NaN if none. */
  record Phase(int rate, int sent, int answered, double p50, double p99, double p999, double cpuSeconds) {
    boolean sustained() {
      return answered == sent && p99 < P99_LIMIT_MS;
    }

    double cpuMillisPerCommand() {
      return answered == 0 ? Double.NaN : cpuSeconds * 1000 / answered;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%6d/s: p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  %d/%d answered%s",
          rate, p50, p99, p999, answered, sent, Double.isNaN(cpuSeconds) ? ""
              : String.format(Locale.ROOT, "  worker CPU %.3f ms/command", cpuMillisPerCommand()));
    }
  }

  private final String bootstrap;
  private final KafkaProducer<byte[], byte[]> producer;

  LoadPhases(String bootstrap) {
    this.bootstrap = bootstrap;
    this.producer = KafkaClients.producer(bootstrap);
  }

  /** Offers {@code rate} commands/s for {@code length}, then waits (bounded) for the answers. */
  Phase run(BenchTarget target, int rate, Duration length) throws Exception {
    int count = (int) Math.max(1, rate * length.toMillis() / 1000);
    long[] latency = new long[count];
    Arrays.fill(latency, Long.MAX_VALUE);
    String run = UUID.randomUUID().toString().substring(0, 8) + "-";
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
    AtomicInteger answered = new AtomicInteger();
    double cpuBefore = target.workerCpuSeconds();
    try (Replies replies = new Replies(bootstrap, target.replyTopic(), (key, now) -> {
      if (key.startsWith(run)) {
        int i = Integer.parseInt(key, run.length(), key.length(), 10);
        if (latency[i] == Long.MAX_VALUE) {
          latency[i] = now - (start + i * interval);
          answered.incrementAndGet();
        }
      }
    })) {
      for (int i = 0; i < count; i++) {
        long wait = start + i * interval - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        String id = run + i;
        producer.send(new ProducerRecord<>(target.requestTopic(), id.getBytes(StandardCharsets.UTF_8),
            target.request(id)));
      }
      // Long enough for a backlog to drain, so the next phase starts on an idle system.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(10, Math.min(30, length.toSeconds() * 2)));
      while (answered.get() < count && System.nanoTime() < until) {
        Thread.sleep(20);
      }
    }
    double cpu = target.workerCpuSeconds() - cpuBefore;
    long[] sorted = latency.clone();
    Arrays.sort(sorted);
    return new Phase(rate, count, answered.get(), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)),
        ms(percentile(sorted, 99.9)), cpu);
  }

  /**
   * A quick first look at where the system saturates: short phases doubling from 1,000/s while
   * sustained, one miss tried again (halving from 500/s if 1,000/s is not sustained). Returns the
   * highest sustained rate, or 0.
   */
  int probe(BenchTarget target, Duration length) throws Exception {
    int sustained = 0;
    boolean retried = false;
    for (int rate = 1000; rate <= HIGHEST_RATE; rate *= 2) {
      Phase phase = run(target, rate, length);
      report(target.name(), "probe", phase);
      if (!phase.sustained()) {
        if (retried) {
          break;
        }
        // Once per probe, a miss is tried again: one noisy short phase must not cap the search.
        retried = true;
        rate /= 2;
        continue;
      }
      sustained = rate;
    }
    for (int rate = 500; sustained == 0 && rate >= LOWEST_RATE; rate /= 2) {
      Phase phase = run(target, rate, length);
      report(target.name(), "probe", phase);
      if (phase.sustained()) {
        sustained = rate;
      }
    }
    return sustained;
  }

  /** One phase at an offered rate, however the system is loaded around it. */
  @FunctionalInterface
  interface Trial {
    Phase at(int rate) throws Exception;
  }

  /** {@link #sustainedRate(String, int, Trial)} with plain phases of {@code length}. */
  Phase sustainedRate(BenchTarget target, int around, Duration length) throws Exception {
    return sustainedRate(target.name(), around, rate -> run(target, rate, length));
  }

  /**
   * One measured repeat around the probe's rate: a phase at {@code around}, then steps of √2 up
   * while sustained (at most six) or down until sustained (at most two), then a bisection between
   * the last sustained and the first failed step to within 5 % ({@link RateBisection}). Returns
   * the highest sustained phase, or null when none was.
   */
  static Phase sustainedRate(String name, int around, Trial trial) throws Exception {
    if (around == 0) {
      return null;
    }
    Phase phase = measured(name, "measure", trial, around);
    Phase failed = null;
    if (phase.sustained()) {
      // Up in steps of √2 while sustained (at most 6): a probe in a noisy moment is not a ceiling.
      for (int step = 0; step < 6; step++) {
        Phase higher = measured(name, "measure", trial, (int) Math.round(phase.rate() * Math.sqrt(2)));
        if (!higher.sustained()) {
          failed = higher;
          break;
        }
        phase = higher;
      }
    } else {
      failed = phase;
      phase = null;
      // At most two steps down (to half the probed rate), so a noisy repeat cannot take minutes.
      for (int rate = (int) Math.round(around / Math.sqrt(2)); rate >= Math.max(LOWEST_RATE, around / 2 - 1);
           rate = (int) Math.round(rate / Math.sqrt(2))) {
        Phase lower = measured(name, "measure", trial, rate);
        if (lower.sustained()) {
          phase = lower;
          break;
        }
        failed = lower;
      }
    }
    if (phase == null || failed == null) {
      return phase; // none sustained, or no failed step above (six steps up all held): nothing to bisect
    }
    Map<Integer, Phase> sustained = new HashMap<>(Map.of(phase.rate(), phase));
    int highest = RateBisection.highestSustained(phase.rate(), failed.rate(), rate -> {
      Phase tried = measured(name, "bisect", trial, rate);
      if (tried.sustained()) {
        sustained.put(rate, tried);
      }
      return tried.sustained();
    });
    return sustained.get(highest);
  }

  private static Phase measured(String name, String step, Trial trial, int rate) throws Exception {
    Phase phase = trial.at(rate);
    report(name, step, phase);
    return phase;
  }

  private static void report(String name, String step, Phase phase) {
    System.err.printf(Locale.ROOT, "  %-8s %-7s %s%s%n", name, step, phase, phase.sustained() ? "" : "  (not sustained)");
  }

  private static long percentile(long[] sorted, double p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double ms(long nanos) {
    return nanos == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : nanos / 1e6;
  }

  @Override
  public void close() {
    producer.close();
  }
}
