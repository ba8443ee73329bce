package io.jankrunner.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.result.OutputRecords;
import io.jankrunner.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks by a producer that may write the execute topic, against a real broker (which
 * auto-creates topics, Kafka's default) and a real worker: each is refused, and the worker goes
 * on serving.
 */
class TopicAuthorityIT {

  static final String PLUGIN = "test.plugins.echo";

  @TempDir Path plugins;
  @TempDir Path state;
  WorkerTestKit kit;
  TestClient client;
  Worker worker;

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "", "");
    kit = new WorkerTestKit(plugins, state, "ta");
    client = kit.client();
    worker = kit.start("ta-1", WorkerConfig.Mode.SHARE, false, 1, 16, Duration.ofSeconds(5),
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    assertEquals("ok", kit.control("register", PLUGIN).path("status").asText());
  }

  @AfterEach
  void tearDown() {
    kit.close();
  }

  private void assertStillServing(String id) {
    client.send(kit.topics().execute(), id, TestClient.execute(id, PLUGIN, "echo", kit.replyTo()));
    assertEquals("ok", client.result(kit.replyTo(), id, WorkerTestKit.WAIT).path("status").asText());
  }

  private List<ConsumerRecord<byte[], byte[]>> deadLetters(int count) {
    return client.read(kit.topics().dlq(), WorkerTestKit.WAIT, read -> read.size() >= count);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
  }

  @Test
  void registerBuildAndUnregisterSentToTheExecuteTopicAreRefusedNamingTheControlTopic() {
    for (String type : List.of("register", "build", "unregister")) {
      client.send(kit.topics().execute(), PLUGIN, TestClient.control("x-" + type, type, PLUGIN, kit.replyTo()));
      JsonNode result = client.result(kit.replyTo(), "x-" + type, WorkerTestKit.WAIT);
      assertEquals("INVALID_COMMAND", result.path("error").path("code").asText(), result.toString());
      assertTrue(result.path("error").path("message").asText().contains(kit.topics().control()), result.toString());
    }
    assertTrue(worker.plugins().isRegistered(PLUGIN), "the unregister was not obeyed");
    assertStillServing("after-control-types");
  }

  @Test
  void aReplyToTheRegistryControlOrStatusTopicIsRefusedAndTheRegistryUnchanged() {
    List<String> refused = List.of(kit.topics().registry(), kit.topics().control(), kit.topics().status(),
        "__consumer_offsets");
    for (String topic : refused) {
      // The attack of the issue: an invalid command keyed by a plugin id, its error aimed at the registry.
      client.send(kit.topics().execute(), "test.plugins.poison", TestClient.JSON.createObjectNode()
          .put("id", "test.plugins.poison").put("reply_to", topic));
      client.send(kit.topics().execute(), "v", TestClient.execute("valid-to-" + topic, PLUGIN, "echo", topic));
    }
    List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(2 * refused.size());
    assertEquals(2 * refused.size(), dead.size());
    for (ConsumerRecord<byte[], byte[]> record : dead) {
      assertTrue(header(record, OutputRecords.ERROR_MESSAGE).contains("'reply_to'"),
          header(record, OutputRecords.ERROR_MESSAGE));
    }
    List<ConsumerRecord<byte[], byte[]>> registry = client.read(kit.topics().registry(), Duration.ofSeconds(5),
        read -> false);
    assertEquals(List.of(PLUGIN), registry.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList());
    assertFalse(worker.plugins().isRegistered("test.plugins.poison"));
    assertStillServing("after-refused-replies");
  }

  @Test
  void aReplyTopicThatDoesNotExistIsNotCreatedAndTheRecordIsDeadLettered() throws Exception {
    String nowhere = kit.topics().prefix() + ".nowhere";
    client.send(kit.topics().execute(), "n", TestClient.execute("to-nowhere", PLUGIN, "echo", nowhere));

    List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(1);
    assertEquals("REPLY_TOPIC_UNAVAILABLE", header(dead.getFirst(), OutputRecords.ERROR_CODE));
    assertTrue(header(dead.getFirst(), OutputRecords.ERROR_MESSAGE).contains("does not exist"));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()))) {
      assertFalse(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(nowhere), "the topic was created");
    }
    assertStillServing("after-nowhere");
  }

  @Test
  void aMalformedOrForeignRegistryRecordIsSkippedNotRegistered() {
    String ghost = "test.plugins.ghost";
    client.send(kit.topics().registry(), ghost, TestClient.JSON.createObjectNode().put("registered", true));
    client.send(kit.topics().registry(), "not a plugin id", TestClient.JSON.createObjectNode().put("v", 1));
    client.send(kit.topics().registry(), ghost, "{\"v\":1,\"plugin\":\"test.plugins.other\",\"registered\":true,"
        .concat("\"version\":\"\",\"build_id\":\"\",\"by\":\"w\",\"at\":\"2026-12-02T00:00:00Z\"}")
        .getBytes(StandardCharsets.UTF_8), new RecordHeaders());
    // A tombstone under a foreign key changes nothing either.
    client.send(kit.topics().registry(), "../../etc", null, new RecordHeaders());

    client.send(kit.topics().execute(), "g", TestClient.execute("ghost-call", ghost, "echo", kit.replyTo()));
    JsonNode result = client.result(kit.replyTo(), "ghost-call", WorkerTestKit.WAIT);
    assertEquals("PLUGIN_NOT_FOUND", result.path("error").path("code").asText(), result.toString());
    assertFalse(worker.plugins().isRegistered(ghost));
    assertStillServing("after-malformed-registry");
  }
}
