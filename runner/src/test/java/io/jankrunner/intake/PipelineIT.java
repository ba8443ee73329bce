package io.jankrunner.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.kafka.WorkerTestKit;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The pipelined intakes against a real broker and a real plugin process: long commands do not
 * get a worker evicted, a fenced producer is rebuilt, order per key holds, backpressure bounds
 * the work in flight, and every command gets exactly one answer, even one whose result is too
 * large to publish or whose id was reused.
 */
class PipelineIT {

  static final String PLUGIN = "test.plugins.pipeline";
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;
  private TestClient client;
  private Topics topics;
  private String replyTo;

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "pipeline", PLUGIN, PipelinePlugin.class, "",
        "\"runner\": {\"max_concurrency\": 500, \"max_instances\": 1, \"timeout_ms\": 60000}");
    kit = new WorkerTestKit(plugins, state, "p");
    client = kit.client();
    topics = kit.topics();
    replyTo = kit.replyTo();
  }

  @AfterEach
  void tearDown() {
    kit.close();
  }

  private Worker startWorker(String id, WorkerConfig.Mode mode, boolean exactlyOnce, int maxInFlight,
                             Duration maxPollInterval) throws Exception {
    return kit.start(id, mode, exactlyOnce, 1, maxInFlight, Duration.ofSeconds(10), maxPollInterval);
  }

  private Worker startWorker(String id, WorkerConfig.Mode mode) throws Exception {
    return startWorker(id, mode, false, 64, WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
  }

  private void register() {
    assertEquals("ok", kit.control("register", PLUGIN).path("status").asText());
  }

  private ObjectNode execute(String id, String method) {
    return TestClient.execute(id, PLUGIN, method, replyTo);
  }

  @Test
  void aCommandLongerThanMaxPollIntervalRunsOnceAndTheWorkerIsNotEvicted() throws Exception {
    startWorker("w-long", WorkerConfig.Mode.GROUP, false, 64, Duration.ofSeconds(3));
    register();
    ObjectNode longOne = execute("long-1", "sleep");
    longOne.putObject("args").put("ms", 9000);
    client.send(topics.execute(), "k-long", longOne);
    // While it runs, other commands keep flowing through the same worker.
    for (int i = 0; i < 20; i++) {
      client.send(topics.execute(), "k-" + i, execute("short-" + i, "echo"));
    }
    Map<String, List<JsonNode>> results = client.results(replyTo, 22, WAIT);
    // A few seconds more: an evicted worker's partitions would be read again and "long-1" re-run.
    Thread.sleep(5000);
    results = client.results(replyTo, 22, Duration.ofSeconds(10));
    assertEquals(1, results.get("long-1").size(), "the long command is answered once: " + results.get("long-1"));
    assertEquals("ok", results.get("long-1").getFirst().path("status").asText());
    for (int i = 0; i < 20; i++) {
      assertEquals(1, results.get("short-" + i).size());
    }
  }

  @Test
  void aFencedExactlyOnceProducerIsRebuiltAndNoResultIsLostOrDuplicated() throws Exception {
    Worker worker = startWorker("w-eos", WorkerConfig.Mode.GROUP, true, 64, WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    register();
    for (int i = 0; i < 200; i++) {
      client.sendAsync(topics.execute(), "k-" + (i % 7), execute("before-" + i, "echo"));
    }
    client.flush();
    client.results(replyTo, 201, WAIT);
    // Another producer with the worker's transactional id fences the worker's producer.
    try (KafkaProducer<byte[], byte[]> zombie = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, Worker.transactionalId(worker.config(), 0)),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      zombie.initTransactions();
    }
    for (int i = 0; i < 200; i++) {
      client.sendAsync(topics.execute(), "k-" + (i % 7), execute("after-" + i, "echo"));
    }
    client.flush();
    Map<String, List<JsonNode>> results = client.results(replyTo, 401, WAIT);
    for (String phase : List.of("before-", "after-")) {
      for (int i = 0; i < 200; i++) {
        List<JsonNode> answers = results.get(phase + i);
        assertTrue(answers != null, "no result for " + phase + i);
        assertEquals(1, answers.size(), "read_committed callers see one result for " + phase + i);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerConfig.Mode.class)
  void aReusedIdWithDifferentArgsIsAnsweredInvalidCommand(WorkerConfig.Mode mode) throws Exception {
    startWorker("w-reuse", mode);
    register();
    ObjectNode first = execute("same-id", "echo");
    first.putObject("args").put("n", 1);
    client.send(topics.execute(), "k", first);
    assertEquals("ok", client.result(replyTo, "same-id", WAIT).path("status").asText());
    ObjectNode second = execute("same-id", "echo");
    second.putObject("args").put("n", 2);
    client.send(topics.execute(), "k", second);
    List<JsonNode> answers = client.read(replyTo, WAIT, read -> read.stream()
        .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("same-id")).count() >= 2).stream()
        .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("same-id"))
        .map(r -> TestClient.parse(r.value())).toList();
    assertEquals(2, answers.size(), answers.toString());
    assertEquals("INVALID_COMMAND", answers.get(1).path("error").path("code").asText(), answers.get(1).toString());
    assertTrue(answers.get(1).path("error").path("message").asText().contains("already used"));
  }

  @ParameterizedTest
  @EnumSource(WorkerConfig.Mode.class)
  void aTwelveMebibyteResultIsAnsweredResultTooLarge(WorkerConfig.Mode mode) throws Exception {
    startWorker("w-big", mode);
    register();
    ObjectNode big = execute("big-1", "big");
    big.putObject("args").put("bytes", 12 * 1024 * 1024);
    client.send(topics.execute(), "k", big);
    ObjectNode small = execute("small-1", "big");
    small.putObject("args").put("bytes", 100 * 1024);
    client.send(topics.execute(), "k", small);
    Map<String, List<JsonNode>> results = client.results(replyTo, 3, WAIT); // with the register's
    JsonNode tooLarge = results.get("big-1").getFirst();
    assertEquals("RESULT_TOO_LARGE", tooLarge.path("error").path("code").asText(), tooLarge.toString());
    assertTrue(tooLarge.path("error").path("message").asText().contains("bytes"), tooLarge.toString());
    assertEquals(1, results.get("big-1").size());
    assertEquals("ok", results.get("small-1").getFirst().path("status").asText());
  }

  @Test
  void resultsKeepTheOrderOfTheirKeysUnderThePipeline() throws Exception {
    String ordered = replyTo + "-ordered";
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()))) {
      // One partition: the reply topic's order is the order results were written in. (The kit's
      // reply topic has three.)
      admin.createTopics(List.of(new NewTopic(ordered, 1, (short) 1))).all().get();
    }
    startWorker("w-order", WorkerConfig.Mode.GROUP);
    register();
    int perKey = 100;
    for (int n = 0; n < perKey; n++) {
      for (int key = 0; key < 10; key++) {
        ObjectNode command = execute("order-" + key + "-" + n, "concurrency");
        command.putObject("args").put("key", key).put("n", n).put("ms", (n * 7 + key) % 3);
        command.put("reply_to", ordered);
        client.sendAsync(topics.execute(), "key-" + key, command);
      }
    }
    client.flush();
    List<ConsumerRecord<byte[], byte[]>> records = client.read(ordered, WAIT, read -> read.size() >= 10 * perKey);
    Map<Integer, Integer> next = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      JsonNode result = TestClient.parse(record.value());
      if (!"concurrency".equals(result.path("method").asText())) {
        continue;
      }
      int key = result.path("data").path("key").asInt();
      int n = result.path("data").path("n").asInt();
      assertEquals(next.getOrDefault(key, 0), n, "key " + key + " out of order");
      next.put(key, n + 1);
    }
    for (int key = 0; key < 10; key++) {
      assertEquals(perKey, next.getOrDefault(key, 0));
    }
  }

  @Test
  void theRegistryReaderSurvivesPoisonRecordsAndALateWorkerCatchesUp() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()))) {
      admin.createTopics(List.of(new NewTopic(topics.registry(), 1, (short) 1))).all().get();
    }
    client.send(topics.registry(), "test.plugins.garbage", "{not json".getBytes(StandardCharsets.UTF_8),
        new org.apache.kafka.common.header.internals.RecordHeaders());
    client.send(topics.registry(), null, "[]".getBytes(StandardCharsets.UTF_8),
        new org.apache.kafka.common.header.internals.RecordHeaders());
    client.send(topics.registry(), "../../escape", "{\"build_id\":\"x\"}".getBytes(StandardCharsets.UTF_8),
        new org.apache.kafka.common.header.internals.RecordHeaders());
    startWorker("w-first", WorkerConfig.Mode.SHARE);
    register();
    // More poison after the registration: the reader must go on reading past it.
    client.send(topics.registry(), "test.plugins.garbage2", new byte[] {0, 1, 2},
        new org.apache.kafka.common.header.internals.RecordHeaders());
    Worker late = startWorker("w-late", WorkerConfig.Mode.SHARE);
    assertTrue(late.plugins().isRegistered(PLUGIN), "the late worker caught up with the registration");
    kit.workers().getFirst().close();
    client.send(topics.execute(), "k", execute("after-poison", "echo"));
    JsonNode result = client.result(replyTo, "after-poison", WAIT);
    assertEquals("w-late", result.path("worker").asText());
    assertEquals("ok", result.path("status").asText());
  }

  @Test
  void backpressureKeepsCommandsInFlightWithinMaxInFlight() throws Exception {
    int maxInFlight = 12;
    startWorker("w-bp", WorkerConfig.Mode.GROUP, false, maxInFlight, WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    register();
    for (int i = 0; i < 300; i++) {
      ObjectNode command = execute("bp-" + i, "concurrency");
      command.putObject("args").put("ms", 20);
      client.sendAsync(topics.execute(), null, command); // no key: nothing orders them
    }
    client.flush();
    Map<String, List<JsonNode>> results = client.results(replyTo, 301, WAIT);
    int most = results.values().stream().map(List::getFirst)
        .filter(result -> result.path("method").asText().equals("concurrency"))
        .mapToInt(result -> result.path("data").path("most_in_flight").asInt()).max().orElse(0);
    assertTrue(most <= maxInFlight, "at most " + maxInFlight + " commands ran at once, saw " + most);
    assertTrue(most > 1, "commands ran in parallel: " + most);
  }
}
