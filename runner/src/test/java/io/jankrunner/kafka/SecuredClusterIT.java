package io.jankrunner.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.cli.Main;
import io.jankrunner.config.KafkaClientProperties;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker, {@code send} and {@code tail} against kafka-local's SASL_SSL listener (SCRAM-SHA-512
 * over TLS with a certificate made on the fly): they work with the right credentials, and a wrong
 * password stops them at start-up, naming the authentication failure.
 */
class SecuredClusterIT {

  static final String PLUGIN = "test.plugins.echo";
  static String secured;
  static Path clientProperties;

  @TempDir Path plugins;
  @TempDir Path state;
  @TempDir Path scratch;

  @BeforeAll
  static void startSecuredBroker() throws Exception {
    int saslPort = TestBroker.freePort();
    TestBroker.LocalBroker broker = TestBroker.startLocal(Map.of("KAFKA_LOCAL_SASL_PORT", Integer.toString(saslPort),
        "KAFKA_LOCAL_SASL_PASSWORD", "right-password"));
    secured = "127.0.0.1:" + saslPort;
    clientProperties = broker.dir().resolve("client-sasl.properties");
  }

  private WorkerConfig config(Topics topics, KafkaClientProperties properties) {
    return new WorkerConfig(secured, plugins, "secured-1", WorkerConfig.Mode.SHARE, false, topics, 1, 16, 1024 * 1024,
        Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL).withKafkaClient(properties);
  }

  record Run(int exit, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void workerSendAndTailWorkWithTheRightCredentials() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "", "");
    Topics topics = new Topics("s" + UUID.randomUUID().toString().substring(0, 8));
    String[] kafka = {"--bootstrap", secured, "--kafka-config", clientProperties.toString(), "--topic-prefix",
        topics.prefix()};
    try (Worker worker = Worker.start(config(topics, KafkaClientProperties.load(clientProperties)))) {
      Run register = cli(concat(new String[] {"send", "--type", "register", "--plugin", PLUGIN}, kafka));
      assertEquals(0, register.exit(), register.err() + register.out());

      Run execute = cli(concat(new String[] {"send", "--plugin", PLUGIN, "--method", "echo", "--args",
          "{\"name\":\"Ada\"}"}, kafka));
      assertEquals(0, execute.exit(), execute.err() + execute.out());
      assertEquals("Ada", TestClient.JSON.readTree(execute.out()).path("data").path("name").asText());

      Run tail = cli(concat(new String[] {"tail", "results", "--from-beginning", "--max", "2", "--timeout-ms",
          "20000"}, kafka));
      assertEquals(0, tail.exit(), tail.err());
      // Partitions are read one after another: the two results in either order.
      java.util.Set<String> types = new java.util.HashSet<>();
      for (String line : tail.out().strip().split("\n")) {
        types.add(TestClient.JSON.readTree(line).path("type").asText());
      }
      assertEquals(java.util.Set.of("register", "execute"), types, tail.out());
    }
  }

  @Test
  void aWrongPasswordStopsTheWorkerAtStartUpNamingTheAuthenticationFailure() throws Exception {
    Path wrong = scratch.resolve("wrong.properties");
    Files.writeString(wrong, Files.readString(clientProperties).replace("right-password", "wrong-password"));
    Topics topics = new Topics("w" + UUID.randomUUID().toString().substring(0, 8));

    Exception error = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> assertThrows(Exception.class, () -> Worker.start(config(topics, KafkaClientProperties.load(wrong)))));

    assertTrue(Main.reasonsOf(error).contains("Authentication failed"), Main.reasonsOf(error));
  }

  @Test
  void aWrongPasswordStopsSendAndTailWithAnErrorNotAHang() throws Exception {
    Path wrong = scratch.resolve("wrong.properties");
    Files.writeString(wrong, Files.readString(clientProperties).replace("right-password", "wrong-password"));
    String[] kafka = {"--bootstrap", secured, "--kafka-config", wrong.toString(), "--topic-prefix", "nobody"};

    Run send = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> cli(concat(new String[] {"send", "--type", "list"}, kafka)));
    Run tail = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> cli(concat(new String[] {"tail", "status"},
        kafka)));

    assertEquals(1, send.exit());
    assertTrue(send.err().contains("Authentication failed"), send.err());
    assertEquals(1, tail.exit());
    assertTrue(tail.err().contains("Authentication failed"), tail.err());
  }

  @Test
  void anOverrideOfAcksIsRefusedAtStartUp() throws Exception {
    Topics topics = new Topics("a" + UUID.randomUUID().toString().substring(0, 8));
    var properties = KafkaClientProperties.of(Map.of("acks", "1", "security.protocol", "PLAINTEXT"));
    WorkerConfig plaintext = new WorkerConfig(TestBroker.bootstrap(), plugins, "acks-1", WorkerConfig.Mode.SHARE,
        false, topics, 1, 16, 1024 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withKafkaClient(properties);

    var error = assertThrows(IllegalArgumentException.class, () -> Worker.start(plaintext));

    assertTrue(error.getMessage().contains("acks=1"), error.getMessage());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
