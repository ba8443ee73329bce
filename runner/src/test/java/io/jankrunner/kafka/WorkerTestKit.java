package io.jankrunner.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.worker.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What a worker test arranges: a caller's client, a topic prefix of its own (tests share one
 * broker without seeing each other), a reply topic, and in-process workers that are closed at
 * the end.
 */
public final class WorkerTestKit implements AutoCloseable {

  public static final Duration WAIT = Duration.ofSeconds(90);

  private final Path plugins;
  private final Path state;
  private final TestClient client = new TestClient(TestBroker.bootstrap());
  private final Topics topics;
  private final String replyTo;
  private final List<Worker> workers = new ArrayList<>();

  /** @param prefix a few letters naming the test; a random suffix keeps runs apart */
  public WorkerTestKit(Path plugins, Path state, String prefix) {
    this.plugins = plugins;
    this.state = state;
    this.topics = new Topics(prefix + UUID.randomUUID().toString().substring(0, 8));
    this.replyTo = topics.prefix() + ".my-app.replies";
    client.createTopic(replyTo); // workers only answer on reply topics that exist
  }

  public TestClient client() {
    return client;
  }

  public Topics topics() {
    return topics;
  }

  public String replyTo() {
    return replyTo;
  }

  public List<Worker> workers() {
    return workers;
  }

  /** Starts an in-process worker with its own state dir, one execute consumer per {@code consumers}. */
  public Worker start(String id, WorkerConfig.Mode mode, boolean exactlyOnce, int consumers, int maxInFlight,
                      Duration shutdownGrace, Duration maxPollInterval) throws Exception {
    Worker worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), plugins, id, mode, exactlyOnce, topics,
        consumers, maxInFlight, 1024 * 1024, Duration.ofSeconds(1), shutdownGrace, state.resolve(id),
        maxPollInterval));
    workers.add(worker);
    return worker;
  }

  /** Sends a control command and waits for its result. */
  public JsonNode control(String type, String plugin) {
    String id = type + "-" + UUID.randomUUID();
    client.send(topics.control(), plugin, TestClient.control(id, type, plugin, replyTo));
    return client.result(replyTo, id, WAIT);
  }

  @Override
  public void close() {
    workers.forEach(Worker::close);
    client.close();
  }
}
