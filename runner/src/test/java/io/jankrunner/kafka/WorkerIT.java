package io.jankrunner.kafka;

import static io.jankrunner.kafka.TestClient.JSON;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Workers against a real broker: commands in on Kafka, results out on the caller's reply topic,
 * bad records in the DLQ, registrations shared through the registry topic. Each test has its
 * own topic prefix, so tests share one broker without seeing each other.
 */
class WorkerIT {

  static final String PLUGIN = "test.plugins.echo";
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;
  private TestClient client;
  private Topics topics;
  private String replyTo;

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 4, \"timeout_ms\": 60000}");
    kit = new WorkerTestKit(plugins, state, "t");
    client = kit.client();
    topics = kit.topics();
    replyTo = kit.replyTo();
  }

  @AfterEach
  void tearDown() {
    kit.close();
  }

  Worker startWorker(String id, WorkerConfig.Mode mode, boolean exactlyOnce) throws Exception {
    return kit.start(id, mode, exactlyOnce, 2, 64, Duration.ofSeconds(10), WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
  }

  JsonNode control(String type, String plugin) {
    return kit.control(type, plugin);
  }

  @ParameterizedTest
  @EnumSource(WorkerConfig.Mode.class)
  void anExecuteCommandIsAnsweredOnTheCallersReplyTopicKeyedByItsId(WorkerConfig.Mode mode) throws Exception {
    startWorker("w-1", mode, false);
    assertEquals("ok", control("register", PLUGIN).path("status").asText());

    ObjectNode command = TestClient.execute("cmd-1", PLUGIN, "echo", replyTo);
    command.putObject("args").put("name", "Ada").put("n", 42);
    RecordHeaders headers = new RecordHeaders();
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    headers.add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    client.send(topics.execute(), "order-7", TestClient.bytes(command), headers);

    List<ConsumerRecord<byte[], byte[]>> records = client.read(replyTo, WAIT, read -> read.stream()
        .anyMatch(r -> new String(r.key(), StandardCharsets.UTF_8).equals("cmd-1")));
    ConsumerRecord<byte[], byte[]> record = records.stream()
        .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("cmd-1")).findFirst().orElseThrow();
    JsonNode result = TestClient.parse(record.value());
    assertEquals("ok", result.path("status").asText(), result.toString());
    assertEquals(JSON.readTree("{\"name\":\"Ada\",\"n\":42}"), result.path("data"));
    assertEquals("execute", result.path("type").asText());
    assertEquals(PLUGIN, result.path("plugin").asText());
    assertEquals("w-1", result.path("worker").asText());
    assertEquals(1, result.path("attempts").asInt());
    assertEquals(1, result.path("delivery_count").asInt());
    assertNotNull(record.headers().lastHeader("traceparent"));
    assertEquals(traceparent, new String(record.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8));
    assertTrue(result.path("cold_start_ms").isIntegralNumber(), "the first call paid a cold start: " + result);

    client.send(topics.execute(), "order-7", TestClient.execute("cmd-2", PLUGIN, "echo", replyTo));
    JsonNode warm = client.result(replyTo, "cmd-2", WAIT);
    assertFalse(warm.has("cold_start_ms"), "a warm call paid none: " + warm);
  }

  @Test
  void anUnknownPluginIsAnsweredPluginNotFound() throws Exception {
    startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    client.send(topics.execute(), "k", TestClient.execute("cmd-unknown", "com.example.nobody", "x", replyTo));

    JsonNode result = client.result(replyTo, "cmd-unknown", WAIT);

    assertEquals("error", result.path("status").asText());
    assertEquals("PLUGIN_NOT_FOUND", result.path("error").path("code").asText());
    assertFalse(result.path("error").path("retriable").asBoolean());
  }

  @Test
  void anExpiredCommandIsNotRun() throws Exception {
    startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    control("register", PLUGIN);
    ObjectNode command = TestClient.execute("cmd-expired", PLUGIN, "pid", replyTo)
        .put("deadline", Instant.now().minusSeconds(5).toString());
    client.send(topics.execute(), "k", command);

    JsonNode result = client.result(replyTo, "cmd-expired", WAIT);

    assertEquals("EXPIRED", result.path("error").path("code").asText());
    assertEquals(0, result.path("attempts").asInt());
  }

  @Test
  void badRecordsGoToTheDeadLetterTopicWithTheirBytesAndTheCallerIsToldWhenPossible() throws Exception {
    startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
    client.send(topics.execute(), "k1", garbage, new RecordHeaders());
    client.send(topics.execute(), "k2", TestClient.execute("cmd-badtype", PLUGIN, "echo", replyTo).put("type", "explode"));
    ObjectNode oversize = TestClient.execute("cmd-big", PLUGIN, "echo", replyTo);
    oversize.putObject("args").put("blob", "x".repeat(1024 * 1024 + 10));
    client.send(topics.execute(), "k3", oversize);
    client.send(topics.execute(), "k4", TestClient.execute("cmd-noplugin", PLUGIN, "echo", replyTo).putNull("plugin"));

    List<ConsumerRecord<byte[], byte[]>> dead = client.read(topics.dlq(), WAIT, read -> read.size() >= 4);
    assertEquals(4, dead.size());
    ConsumerRecord<byte[], byte[]> first = dead.stream()
        .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("k1")).findFirst().orElseThrow();
    assertTrue(java.util.Arrays.equals(garbage, first.value()), "original bytes kept");
    assertEquals("INVALID_COMMAND", header(first, "runner.error.code"));
    assertTrue(header(first, "runner.error.message").contains("not valid JSON"));
    assertEquals(topics.execute(), header(first, "runner.error.topic"));
    assertNotNull(header(first, "runner.error.partition"));
    assertNotNull(header(first, "runner.error.offset"));

    Map<String, List<JsonNode>> results = client.results(replyTo, 3, WAIT);
    for (String id : List.of("cmd-badtype", "cmd-big", "cmd-noplugin")) {
      JsonNode result = results.get(id).getFirst();
      assertEquals("INVALID_COMMAND", result.path("error").path("code").asText(), result.toString());
    }
    assertTrue(results.get("cmd-badtype").getFirst().path("error").path("message").asText().contains("unknown type"));

    // and the worker is still serving
    control("register", PLUGIN);
    client.send(topics.execute(), "k", TestClient.execute("cmd-after", PLUGIN, "echo", replyTo));
    assertEquals("ok", client.result(replyTo, "cmd-after", WAIT).path("status").asText());
  }

  @Test
  void registrationsReachEveryWorkerAndALateWorkerCatchesUp() throws Exception {
    Worker first = startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    Worker second = startWorker("w-2", WorkerConfig.Mode.SHARE, false);

    JsonNode registered = control("register", PLUGIN);

    assertEquals("ok", registered.path("status").asText(), registered.toString());
    await().atMost(WAIT).until(() -> first.plugins().isRegistered(PLUGIN) && second.plugins().isRegistered(PLUGIN));
    Worker late = startWorker("w-3", WorkerConfig.Mode.SHARE, false);
    assertTrue(late.plugins().isRegistered(PLUGIN), "a worker started later catches up before taking commands");

    JsonNode listed = control("list", null);
    assertTrue(listed.path("data").path("plugins").toString().contains(PLUGIN));
    JsonNode got = control("get", PLUGIN);
    assertEquals("ok", got.path("status").asText());
    assertEquals("closed", got.path("data").path("circuit").asText());
    // This test plugin ships its binary and no build script: the build is refused, with the reason.
    JsonNode built = control("build", PLUGIN);
    assertEquals("BUILD_FAILED", built.path("error").path("code").asText(), built.toString());
    assertTrue(built.path("error").path("message").asText().contains("no scripts/build.sh"));

    JsonNode unregistered = control("unregister", PLUGIN);
    assertEquals("ok", unregistered.path("status").asText(), unregistered.toString());
    await().atMost(WAIT).until(() -> !first.plugins().isRegistered(PLUGIN) && !second.plugins().isRegistered(PLUGIN)
        && !late.plugins().isRegistered(PLUGIN));
    assertEquals("PLUGIN_NOT_FOUND", control("unregister", PLUGIN).path("error").path("code").asText());
  }

  @Test
  void statusEventsTellPluginStatesAndWorkerLifecycle() throws Exception {
    Worker worker = startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    control("register", PLUGIN);
    client.send(topics.execute(), "k", TestClient.execute("cmd-s", PLUGIN, "echo", replyTo));
    client.result(replyTo, "cmd-s", WAIT);
    worker.close();

    List<JsonNode> events = client.read(topics.status(), WAIT, read -> read.stream()
            .anyMatch(r -> new String(r.value(), StandardCharsets.UTF_8).contains("\"stopped\"") && new String(r.value(),
                StandardCharsets.UTF_8).contains("\"worker\"")))
        .stream().map(r -> TestClient.parse(r.value())).toList();
    List<String> pluginStates = events.stream().filter(e -> e.path("kind").asText().equals("plugin"))
        .map(e -> e.path("state").asText()).toList();
    // busy/idle is not a status event (no "running" per call); each instance's changes are, named by instance id
    assertTrue(pluginStates.containsAll(List.of("stopped", "starting", "ready", "stopping")), pluginStates.toString());
    assertFalse(pluginStates.contains("running"), pluginStates.toString());
    // Some instance (#1, or #2 when a loaded machine made #1 miss its start_timeout) was ready, with its pid.
    assertTrue(events.stream().anyMatch(e -> e.path("instance").asText().startsWith(PLUGIN + "#")
        && e.path("state").asText().equals("ready") && e.has("pid")), events.toString());
    List<String> workerStates = events.stream().filter(e -> e.path("kind").asText().equals("worker"))
        .map(e -> e.path("state").asText()).distinct().toList();
    assertTrue(workerStates.containsAll(List.of("started", "draining", "stopped")), workerStates.toString());
  }

  @ParameterizedTest
  @EnumSource(WorkerConfig.Mode.class)
  void aSlowPluginWithAFullBulkheadHoldsFetchingBackAndEveryCommandIsAnsweredOnce(WorkerConfig.Mode mode)
      throws Exception {
    // Share mode gives records back while the bulkhead is full; group mode waits for it. Either
    // way no command is answered OVERLOADED while its deadline is far off.
    TestPlugins.javaPlugin(plugins, "slow", "test.plugins.slow", MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 2}");
    // The worker's second group consumer joins while the first one's commands wait for cold
    // starts (11-14 s on a loaded machine): a revoked partition's commands get this long to finish
    // before its records go to the next owner, which would run them again (at-least-once, by
    // design), so "once" holds however slow the starts are.
    kit.start("w-1", mode, false, 2, 64, Duration.ofSeconds(90), WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    control("register", "test.plugins.slow");
    for (int i = 0; i < 40; i++) {
      ObjectNode command = TestClient.execute("slow-" + i, "test.plugins.slow", "slow", replyTo);
      command.putObject("args").put("ms", 300);
      client.sendAsync(topics.execute(), "k" + i, command);
    }
    client.flush();

    Map<String, List<JsonNode>> results = client.results(replyTo, 41, Duration.ofSeconds(120));
    results.keySet().removeIf(id -> !id.startsWith("slow-"));

    assertEquals(40, results.size(), "every command answered");
    results.forEach((id, answers) -> {
      assertEquals(1, answers.size(), id + " answered more than once");
      assertEquals("ok", answers.getFirst().path("status").asText(), answers.getFirst().toString());
    });
  }

  @Test
  void aCommandRunningLongerThanItsShareLockKeepsItAndRunsOnce() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()))) {
      // The shortest lock the broker allows by default, so the test stays short.
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, topics.workersGroup()),
          List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", "15000"),
              AlterConfigOp.OpType.SET)))).all().get();
    }
    startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    startWorker("w-2", WorkerConfig.Mode.SHARE, false);
    control("register", PLUGIN);
    ObjectNode command = TestClient.execute("cmd-long", PLUGIN, "slow", replyTo).put("timeout_ms", 60_000);
    command.putObject("args").put("ms", 24_000);
    client.send(topics.execute(), "k", command);

    // Well past the 15 s lock: had it expired, the other worker (or this one) would run it again.
    List<ConsumerRecord<byte[], byte[]>> records = client.read(replyTo, Duration.ofSeconds(45), read -> false);
    List<JsonNode> answers = records.stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("cmd-long"))
        .map(r -> TestClient.parse(r.value())).toList();

    assertEquals(1, answers.size(), answers.toString());
    assertEquals("ok", answers.getFirst().path("status").asText(), answers.getFirst().toString());
    assertEquals(1, answers.getFirst().path("delivery_count").asInt());
  }

  @Test
  void gracefulShutdownLeavesNoPluginProcess() throws Exception {
    Worker worker = startWorker("w-1", WorkerConfig.Mode.SHARE, false);
    control("register", PLUGIN);
    client.send(topics.execute(), "k", TestClient.execute("cmd-pid", PLUGIN, "pid", replyTo));
    long pid = client.result(replyTo, "cmd-pid", WAIT).path("data").path("pid").asLong();
    assertTrue(ProcessHandle.of(pid).isPresent());

    worker.close();

    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
