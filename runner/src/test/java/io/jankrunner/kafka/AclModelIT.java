package io.jankrunner.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.KafkaClientProperties;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.result.OutputRecords;
import io.jankrunner.worker.TopicSetup;
import io.jankrunner.worker.Worker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACL model of SECURITY.md on a broker that enforces it: kafka-local's SASL_SSL listener with
 * Kafka's {@code StandardAuthorizer}, one SCRAM principal each for a producer, a worker and an
 * operator, and exactly the ACLs the table there grants. The producer, with WRITE on the execute
 * topic only, cannot register, build or unregister, cannot write the registry or the control
 * topic, and cannot have results written elsewhere; the worker and the operator do what they must.
 */
class AclModelIT {

  static final String PLUGIN = "test.plugins.echo";
  /** The plugin the producer tries to register: it exists in the plugins dir, and stays unregistered. */
  static final String UNTOUCHED = "test.plugins.untouched";
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir static Path plugins;
  @TempDir static Path state;

  static String plaintext;
  static String secured;
  static Topics topics;
  static String producerReplies;
  static String foreignTopic;
  static TestClient admin;
  static TestClient producer;
  static TestClient operator;
  static Worker worker;

  @BeforeAll
  static void startAnAuthorizingBrokerAndAWorker() throws Exception {
    int saslPort = TestBroker.freePort();
    TestBroker.LocalBroker broker = TestBroker.startLocal(Map.of(
        "KAFKA_LOCAL_SASL_PORT", Integer.toString(saslPort),
        "KAFKA_LOCAL_ACLS", "1",
        "KAFKA_LOCAL_SASL_EXTRA_USERS", "producer=producer-secret,worker=worker-secret,operator=operator-secret"));
    plaintext = broker.bootstrap(); // User:ANONYMOUS, a super user: the test's own view of the broker
    secured = "127.0.0.1:" + saslPort;
    Path adminProperties = broker.dir().resolve("client-sasl.properties");

    topics = new Topics("acl" + UUID.randomUUID().toString().substring(0, 8));
    producerReplies = topics.prefix() + "-producer.replies";
    foreignTopic = "billing" + UUID.randomUUID().toString().substring(0, 8) + ".ledger";
    admin = new TestClient(plaintext);
    try (Admin kafka = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, plaintext))) {
      // The operator creates the topics (the worker is not granted CREATE) and the ACLs.
      TopicSetup.ensure(kafka, topics, 3);
      admin.createTopic(producerReplies);
      admin.createTopic(foreignTopic);
      kafka.createAcls(acls()).all().get(30, TimeUnit.SECONDS);
    }

    producer = new TestClient(secured, principal(adminProperties, "producer", "producer-secret"));
    operator = new TestClient(secured, principal(adminProperties, "operator", "operator-secret"));
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "", "");
    TestPlugins.javaPlugin(plugins, "untouched", UNTOUCHED, MisbehavingPlugin.class, "", "");
    worker = Worker.start(new WorkerConfig(secured, plugins, "acl-worker", WorkerConfig.Mode.SHARE, false, topics, 1,
        16, 1024 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state, WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withKafkaClient(KafkaClientProperties.of(principal(adminProperties, "worker", "worker-secret"))));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    for (TestClient client : new TestClient[] {producer, operator, admin}) {
      if (client != null) {
        client.close();
      }
    }
  }

  /** The grants of SECURITY.md's table, no more. */
  private static List<AclBinding> acls() {
    List<AclBinding> acls = new ArrayList<>();
    String p = "User:producer";
    allow(acls, p, ResourceType.TOPIC, topics.execute(), AclOperation.WRITE);
    allow(acls, p, ResourceType.TOPIC, producerReplies, AclOperation.READ);

    String w = "User:worker";
    for (String topic : List.of(topics.execute(), topics.control(), topics.registry())) {
      allow(acls, w, ResourceType.TOPIC, topic, AclOperation.READ);
    }
    for (String topic : List.of(topics.registry(), topics.results(), topics.status(), topics.dlq(), producerReplies)) {
      allow(acls, w, ResourceType.TOPIC, topic, AclOperation.WRITE);
    }
    allow(acls, w, ResourceType.GROUP, topics.workersGroup(), AclOperation.READ);
    allow(acls, w, ResourceType.GROUP, topics.controlGroup(), AclOperation.READ);

    String o = "User:operator";
    allow(acls, o, ResourceType.TOPIC, topics.control(), AclOperation.WRITE);
    for (String topic : List.of(topics.results(), topics.status(), topics.dlq())) {
      allow(acls, o, ResourceType.TOPIC, topic, AclOperation.READ);
    }
    return acls;
  }

  private static void allow(List<AclBinding> acls, String principal, ResourceType type, String name,
                            AclOperation operation) {
    acls.add(new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
        new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
  }

  /** kafka-local's client properties (TLS trust, SASL mechanism) with another principal's credentials. */
  private static Map<String, String> principal(Path adminProperties, String user, String password) throws IOException {
    Properties loaded = new Properties();
    try (var reader = Files.newBufferedReader(adminProperties)) {
      loaded.load(reader);
    }
    Map<String, String> properties = new LinkedHashMap<>();
    loaded.stringPropertyNames().forEach(name -> properties.put(name, loaded.getProperty(name)));
    properties.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user + "\" password=\"" + password + "\";");
    return properties;
  }

  private static JsonNode resultFor(TestClient reader, String topic, String id) {
    return reader.result(topic, id, WAIT);
  }

  @Test
  void theProducerCannotWriteTheControlOrRegistryTopics() {
    for (String topic : List.of(topics.control(), topics.registry())) {
      ExecutionException refused = assertThrows(ExecutionException.class, () -> producer.sendRecord(topic, PLUGIN,
          TestClient.control("forged-" + UUID.randomUUID(), "register", PLUGIN, producerReplies))
          .get(60, TimeUnit.SECONDS), topic);
      assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), topic + ": " + refused.getCause());
    }
  }

  @Test
  void registerBuildAndUnregisterSentByTheProducerAreRefusedAndAnsweredOnItsReplyTopic() {
    for (String type : List.of("register", "build", "unregister")) {
      String id = type + "-by-producer-" + UUID.randomUUID();
      producer.send(topics.execute(), UNTOUCHED, TestClient.control(id, type, UNTOUCHED, producerReplies));
      JsonNode result = resultFor(producer, producerReplies, id); // the producer may read its own replies
      assertEquals("error", result.path("status").asText(), type + ": " + result);
      assertEquals("INVALID_COMMAND", result.path("error").path("code").asText(), type + ": " + result);
      assertTrue(result.path("error").path("message").asText().contains(topics.control()), result.toString());
    }
    // Nothing the producer sent reached the registry: no worker wrote an entry for that plugin.
    List<ConsumerRecord<byte[], byte[]>> registry = admin.read(topics.registry(), Duration.ofSeconds(5), read -> false);
    assertTrue(registry.stream().noneMatch(r -> new String(r.key(), StandardCharsets.UTF_8).equals(UNTOUCHED)),
        "the registry has an entry for " + UNTOUCHED);
  }

  @Test
  void theOperatorRegistersOnControlAndTheProducerExecutesAndReadsItsResult() {
    String registerId = "register-by-operator-" + UUID.randomUUID();
    // The operator may write control and read results, so it asks for its answer on results.
    operator.send(topics.control(), PLUGIN, TestClient.control(registerId, "register", PLUGIN, topics.results()));
    assertEquals("ok", resultFor(operator, topics.results(), registerId).path("status").asText());

    String id = "execute-" + UUID.randomUUID();
    producer.send(topics.execute(), PLUGIN, TestClient.execute(id, PLUGIN, "echo", producerReplies)
        .set("args", TestClient.JSON.createObjectNode().put("name", "Ada")));
    JsonNode result = resultFor(producer, producerReplies, id);
    assertEquals("ok", result.path("status").asText(), result.toString());
    assertEquals("Ada", result.path("data").path("name").asText(), result.toString());
  }

  @Test
  void aReplyAimedAtATopicTheWorkerMayNotWriteGoesToTheDeadLetterTopicNotThere() {
    String id = "elsewhere-" + UUID.randomUUID();
    producer.send(topics.execute(), PLUGIN, TestClient.execute(id, PLUGIN, "echo", foreignTopic));
    // The operator reads the DLQ; the dead letter names why.
    List<ConsumerRecord<byte[], byte[]>> dlq = operator.read(topics.dlq(), WAIT, read -> read.stream()
        .anyMatch(r -> new String(r.value(), StandardCharsets.UTF_8).contains(id)));
    ConsumerRecord<byte[], byte[]> dead = dlq.stream()
        .filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no dead letter for " + id));
    assertEquals("REPLY_TOPIC_UNAVAILABLE",
        new String(dead.headers().lastHeader(OutputRecords.ERROR_CODE).value(), StandardCharsets.UTF_8));
    assertTrue(admin.read(foreignTopic, Duration.ofSeconds(5), read -> false).isEmpty(),
        "nothing was written to " + foreignTopic);
  }
}
