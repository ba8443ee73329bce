package io.jankrunner.kafka;

import static io.jankrunner.contract.ContractSchemas.COMMAND;
import static io.jankrunner.contract.ContractSchemas.DLQ_HEADERS;
import static io.jankrunner.contract.ContractSchemas.REGISTRY_RECORD;
import static io.jankrunner.contract.ContractSchemas.RESULT;
import static io.jankrunner.contract.ContractSchemas.STATUS_EVENT;
import static io.jankrunner.contract.ContractSchemas.assertInvalid;
import static io.jankrunner.contract.ContractSchemas.assertValid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.cli.Main;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.contract.ContractSchemas;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.worker.Worker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records a real worker writes, read back from the broker, against proto/contract's JSON
 * Schemas: a result for success and for every error code a command can provoke (OVERLOADED and
 * INTERNAL are covered through the same serializer in ContractSchemasTest), status events,
 * registry records, dead letters' headers, and the commands {@code runner send} writes.
 */
class ContractSchemaIT {

  static final String PLUGIN = "test.plugins.contract";
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;
  private TestClient client;
  private Topics topics;
  private String replyTo;

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "contract", PLUGIN, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 4, \"timeout_ms\": 60000,"
            + " \"methods\": {\"slow\": {\"args\": {\"properties\": {\"ms\": {\"type\": \"integer\"}}}}}}");
    kit = new WorkerTestKit(plugins, state, "cs");
    client = kit.client();
    topics = kit.topics();
    replyTo = kit.replyTo();
  }

  @AfterEach
  void tearDown() {
    kit.close();
  }

  @Test
  void everyRecordAWorkerWritesMatchesItsSchema() throws Exception {
    Worker worker = kit.start("w-contract", WorkerConfig.Mode.SHARE, false, 2, 64, Duration.ofSeconds(10),
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    // A reply topic that takes small records only: the worker answers RESULT_TOO_LARGE there.
    String smallReplies = topics.prefix() + ".small.replies";
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()))) {
      admin.createTopics(List.of(new NewTopic(smallReplies, 1, (short) 1)
          .configs(Map.of("max.message.bytes", "20000")))).all().get(30, TimeUnit.SECONDS);
    }

    assertEquals("ok", kit.control("register", PLUGIN).path("status").asText());
    kit.control("list", null);
    kit.control("get", PLUGIN);
    kit.control("build", PLUGIN); // BUILD_FAILED: the test plugin has no build script
    ObjectNode echo = TestClient.execute("c-ok", PLUGIN, "echo", replyTo);
    echo.putObject("args").put("name", "Ada");
    RecordHeaders traced = new RecordHeaders();
    traced.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".getBytes(StandardCharsets.UTF_8));
    client.send(topics.execute(), PLUGIN, TestClient.bytes(echo), traced);
    client.send(topics.execute(), PLUGIN, TestClient.execute("c-fail", PLUGIN, "fail", replyTo));
    ObjectNode badArgs = TestClient.execute("c-badargs", PLUGIN, "slow", replyTo); // INVALID_ARGS by its schema
    badArgs.putObject("args").put("ms", "soon");
    client.send(topics.execute(), PLUGIN, badArgs);
    client.send(topics.execute(), "k", TestClient.execute("c-nobody", "com.example.nobody", "x", replyTo));
    client.send(topics.execute(), PLUGIN, TestClient.execute("c-expired", PLUGIN, "echo", replyTo)
        .put("deadline", Instant.now().minusSeconds(5).toString()));
    client.send(topics.execute(), PLUGIN, TestClient.execute("c-timeout", PLUGIN, "sleep", replyTo)
        .put("timeout_ms", 1000));
    client.send(topics.execute(), PLUGIN, TestClient.execute("c-badtype", PLUGIN, "echo", replyTo)
        .put("type", "explode"));
    client.send(topics.execute(), PLUGIN, TestClient.control("c-wrongtopic", "list", null, replyTo));
    ObjectNode large = TestClient.execute("c-large", PLUGIN, "echo", smallReplies);
    large.putObject("args").put("blob", "x".repeat(40_000));
    client.send(topics.execute(), PLUGIN, large);
    client.send(topics.execute(), "k", "{not json".getBytes(StandardCharsets.UTF_8), new RecordHeaders());
    client.send(topics.execute(), PLUGIN, TestClient.execute("c-noreply", PLUGIN, "echo",
        topics.prefix() + ".nobody.listens"));
    client.result(replyTo, "c-timeout", WAIT);
    // c-large's answer before the crash: a crash while its call is in flight would answer it
    // PLUGIN_UNAVAILABLE instead (the commands run concurrently), however busy the machine.
    List<ConsumerRecord<byte[], byte[]>> tooLarge = client.read(smallReplies, WAIT, read -> !read.isEmpty());
    assertEquals(1, tooLarge.size(), "c-large answered once on its small reply topic");
    assertEquals("RESULT_TOO_LARGE", TestClient.parse(tooLarge.getFirst().value()).path("error").path("code").asText(),
        new String(tooLarge.getFirst().value(), StandardCharsets.UTF_8));
    client.send(topics.execute(), PLUGIN, TestClient.execute("c-crash", PLUGIN, "crash", replyTo));
    client.result(replyTo, "c-crash", WAIT);
    kit.control("unregister", PLUGIN);
    worker.close();

    Set<String> codes = new TreeSet<>();
    // register, list, get, build and unregister, and the executes answered on this topic
    List<ConsumerRecord<byte[], byte[]>> results = client.read(replyTo, WAIT, read -> read.stream()
        .map(r -> new String(r.key(), StandardCharsets.UTF_8)).distinct().count() >= 14);
    results.addAll(tooLarge);
    for (ConsumerRecord<byte[], byte[]> record : results) {
      JsonNode result = TestClient.parse(record.value());
      assertValid(RESULT, result);
      assertEquals(result.path("id").asText(), new String(record.key(), StandardCharsets.UTF_8), "keyed by id");
      codes.add(result.path("status").asText().equals("ok") ? "ok" : result.path("error").path("code").asText());
    }
    assertEquals(new TreeSet<>(Set.of("ok", "INVALID_COMMAND", "INVALID_ARGS", "PLUGIN_NOT_FOUND", "PLUGIN_UNAVAILABLE",
        "PLUGIN_ERROR", "TIMEOUT", "EXPIRED", "BUILD_FAILED", "RESULT_TOO_LARGE")), codes);

    List<ConsumerRecord<byte[], byte[]>> dead = client.read(topics.dlq(), WAIT, read -> read.size() >= 4);
    Set<String> deadCodes = new TreeSet<>();
    for (ConsumerRecord<byte[], byte[]> record : dead) {
      ObjectNode headers = ContractSchemas.headersAsJson(record.headers());
      assertValid(DLQ_HEADERS, headers);
      deadCodes.add(headers.path("runner.error.code").asText());
    }
    assertEquals(new TreeSet<>(Set.of("INVALID_COMMAND", "REPLY_TOPIC_UNAVAILABLE")), deadCodes);

    List<ConsumerRecord<byte[], byte[]>> registry = client.read(topics.registry(), WAIT,
        read -> read.stream().anyMatch(r -> r.value() == null));
    int registrations = 0;
    int tombstones = 0;
    for (ConsumerRecord<byte[], byte[]> record : registry) {
      assertEquals(PLUGIN, new String(record.key(), StandardCharsets.UTF_8));
      if (record.value() == null) {
        tombstones++;
      } else {
        JsonNode value = TestClient.parse(record.value());
        assertValid(REGISTRY_RECORD, value);
        assertEquals(PLUGIN, value.path("plugin").asText(), "the key is the value's plugin");
        registrations++;
      }
    }
    assertTrue(registrations >= 1 && tombstones == 1, registry.size() + " registry records");

    List<ConsumerRecord<byte[], byte[]>> status = client.read(topics.status(), WAIT, read -> read.stream()
        .anyMatch(r -> new String(r.value(), StandardCharsets.UTF_8).contains("\"stopped\"")
            && new String(r.value(), StandardCharsets.UTF_8).contains("\"kind\":\"worker\"")));
    Set<String> kinds = new TreeSet<>();
    for (ConsumerRecord<byte[], byte[]> record : status) {
      JsonNode event = TestClient.parse(record.value());
      assertValid(STATUS_EVENT, event);
      String key = new String(record.key(), StandardCharsets.UTF_8);
      assertEquals(event.path("kind").asText().equals("worker") ? "w-contract" : event.path("plugin").asText(), key);
      kinds.add(event.path("kind").asText() + ":" + event.path("state").asText());
    }
    assertTrue(kinds.containsAll(Set.of("worker:started", "worker:draining", "worker:stopped", "plugin:ready",
        "plugin:starting")), kinds.toString());

    JsonNode anyResult = TestClient.parse(results.getFirst().value());
    assertInvalid(RESULT, ((ObjectNode) anyResult.deepCopy()).without("id"));
  }

  @Test
  void theCommandsRunnerSendWritesMatchTheCommandSchema() throws Exception {
    client.createTopic(topics.execute());
    client.createTopic(topics.control());
    String[] common = {"send", "--bootstrap", TestBroker.bootstrap(), "--topic-prefix", topics.prefix(), "--no-wait"};
    List<List<String>> sends = List.of(
        List.of("--plugin", PLUGIN, "--method", "echo", "--args", "{\"name\":\"Ada\"}", "--reply-to", replyTo),
        List.of("--plugin", PLUGIN, "--method", "echo", "--id", "cli-1", "--timeout-ms", "5000"),
        List.of("--type", "register", "--plugin", PLUGIN, "--rebuild"),
        List.of("--type", "unregister", "--plugin", PLUGIN),
        List.of("--type", "build", "--plugin", PLUGIN),
        List.of("--type", "get", "--plugin", PLUGIN),
        List.of("--type", "list"));
    for (List<String> send : sends) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(common), send.stream())
          .toArray(String[]::new);
      assertEquals(0, Main.run(new PrintWriter(out), new PrintWriter(err), args), err.toString());
    }

    List<ConsumerRecord<byte[], byte[]>> written = client.read(topics.execute(), WAIT, read -> read.size() >= 2);
    written.addAll(client.read(topics.control(), WAIT, read -> read.size() >= 5));
    Set<String> types = new TreeSet<>();
    for (ConsumerRecord<byte[], byte[]> record : written) {
      JsonNode command = TestClient.parse(record.value());
      assertValid(COMMAND, command);
      types.add(command.path("type").asText());
    }
    assertEquals(7, written.size());
    assertEquals(new TreeSet<>(Set.of("execute", "register", "unregister", "build", "get", "list")), types);
  }
}
