package io.jankrunner.bench;

import io.jankrunner.config.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A worker as users run it, {@code scripts/runner worker} in its own JVM (its CPU time read from
 * {@code /proc}), on topics of its own, with the Go plugin registered through the control topic.
 */
final class WorkerProcess implements BenchTarget {

  private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

  private final String mode;
  private final Topics topics = new Topics("bench" + UUID.randomUUID().toString().substring(0, 8));
  private final Process process;
  private final Path log;

  WorkerProcess(String bootstrap, Path repo, Path pluginsDir, String mode) throws Exception {
    this.mode = mode;
    log = Files.createTempFile("bench-worker-" + mode, ".log");
    ProcessBuilder builder = new ProcessBuilder("bash", repo.resolve("scripts/runner").toString(), "worker",
        "--worker-id", "bench-" + mode, "--topic-prefix", topics.prefix(), "--mode", mode,
        "--plugins-dir", pluginsDir.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    builder.environment().put("JANK_LOG_LEVEL", "INFO"); // its "consuming" line says it is ready
    process = builder.start();
    try {
      awaitLog("consuming", 120);
      register(bootstrap);
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  private void awaitLog(String text, int seconds) throws IOException, InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!Files.readString(log).contains(text)) {
      if (!process.isAlive() || System.nanoTime() > until) {
        throw new IllegalStateException("the " + mode + " worker did not start:\n" + Files.readString(log));
      }
      Thread.sleep(100);
    }
  }

  /** Registers the Go plugin through the control topic, as a user would, and waits for the answer. */
  private void register(String bootstrap) throws Exception {
    String id = "register-" + UUID.randomUUID();
    CountDownLatch answered = new CountDownLatch(1);
    try (Replies replies = new Replies(bootstrap, topics.results(), (key, now) -> {
      if (key.equals(id)) {
        answered.countDown();
      }
    }); KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      producer.send(new ProducerRecord<>(topics.control(), Commands.PLUGIN.getBytes(StandardCharsets.UTF_8),
          Commands.register(id, topics.results()))).get();
      if (!answered.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no answer to register from the " + mode + " worker:\n" + Files.readString(log));
      }
    }
  }

  @Override
  public String name() {
    return mode;
  }

  @Override
  public String requestTopic() {
    return topics.execute();
  }

  @Override
  public String replyTopic() {
    return topics.results();
  }

  /** utime + stime of the worker's JVM (scripts/runner execs java, so the pid is the JVM's). */
  @Override
  public double workerCpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After "pid (comm) ", field 3 (state) is index 0: utime (14) is index 11, stime (15) index 12.
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  @Override
  public void close() {
    process.destroy(); // SIGTERM: the worker finishes in-flight work and stops its plugins
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temp file
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s worker (pid %d)", mode, process.pid());
  }
}
