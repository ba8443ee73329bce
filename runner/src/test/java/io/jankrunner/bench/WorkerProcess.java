package io.jankrunner.bench;

import io.jankrunner.config.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
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

  private final String bootstrap;
  private final String mode;
  private final Topics topics = new Topics("bench" + UUID.randomUUID().toString().substring(0, 8));
  private final ChildProcess process;

  WorkerProcess(String bootstrap, Path repo, Path pluginsDir, String mode) throws Exception {
    this(bootstrap, repo, pluginsDir, mode, Map.of());
  }

  /** With {@code environment} added to the worker's (e.g. {@code JANK_PLUGIN_USER}). */
  WorkerProcess(String bootstrap, Path repo, Path pluginsDir, String mode, Map<String, String> environment)
      throws Exception {
    this.bootstrap = bootstrap;
    this.mode = mode;
    ProcessBuilder builder = new ProcessBuilder("bash", repo.resolve("scripts/runner").toString(), "worker",
        "--worker-id", "bench-" + mode, "--topic-prefix", topics.prefix(), "--mode", mode,
        "--plugins-dir", pluginsDir.toString());
    builder.environment().putAll(environment);
    builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    builder.environment().put("JANK_LOG_LEVEL", "INFO"); // its "consuming" line says it is ready
    process = new ChildProcess(mode + " worker", builder);
    try {
      process.awaitLog("consuming", 120);
      register(Commands.PLUGIN);
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /** Registers a plugin through the control topic, as a user would, and waits for the answer. */
  void register(String plugin) throws Exception {
    String id = "register-" + UUID.randomUUID();
    CountDownLatch answered = new CountDownLatch(1);
    try (Replies replies = new Replies(bootstrap, topics.results(), (key, now) -> {
      if (key.equals(id)) {
        answered.countDown();
      }
    }); KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      producer.send(new ProducerRecord<>(topics.control(), plugin.getBytes(StandardCharsets.UTF_8),
          Commands.register(id, plugin, topics.results()))).get();
      if (!answered.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no answer to register " + plugin + " from the " + mode + " worker:\n"
            + process.log());
      }
    }
  }

  /** Whether the worker's log has {@code text} (INFO and above). */
  boolean logged(String text) throws java.io.IOException {
    return process.log().contains(text);
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
    return process.cpuSeconds();
  }

  @Override
  public void close() {
    process.close(); // SIGTERM: the worker finishes in-flight work and stops its plugins
  }

  @Override
  public String toString() {
    return process.toString();
  }
}
