package io.jankrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.kafka.WorkerTestKit;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code runner send}, now built on RunnerClient, keeps its output and exit codes (README: 0, 1, 2, 3). */
class SendCommandIT {

  static final String PLUGIN = "test.plugins.echo";

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    // A generous plugin timeout: a cold JVM plugin on a loaded machine is slow to answer its first call.
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "",
        "\"runner\": {\"timeout_ms\": 120000}");
    kit = new WorkerTestKit(plugins, state, "send");
  }

  @AfterEach
  void tearDown() {
    kit.close();
  }

  private static Run send(Topics topics, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = Stream.concat(Stream.of("send", "--bootstrap", TestBroker.bootstrap(), "--topic-prefix",
        topics.prefix()), Stream.of(args)).toArray(String[]::new);
    int exit = Main.run(new PrintWriter(out), new PrintWriter(err), all);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void anOkResultIsPrintedWithExitZeroAndAnErrorResultWithExitOne() throws Exception {
    kit.start("w-1", WorkerConfig.Mode.SHARE, false, 1, 64, Duration.ofSeconds(10),
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    Topics topics = kit.topics();

    Run register = send(topics, "--type", "register", "--plugin", PLUGIN, "--timeout-ms", "120000");
    assertEquals(0, register.exit(), register.err() + register.out());

    Run ok = send(topics, "--plugin", PLUGIN, "--method", "echo", "--args", "{\"name\":\"Ada\"}", "--id", "cli-ok",
        "--timeout-ms", "120000");
    assertEquals(0, ok.exit(), ok.err() + ok.out());
    JsonNode result = TestClient.JSON.readTree(ok.out());
    assertEquals("cli-ok", result.path("id").asText());
    assertEquals("Ada", result.path("data").path("name").asText());
    assertTrue(ok.out().contains("\n  \"id\" : \"cli-ok\""), "indented as before: " + ok.out());

    Run missing = send(topics, "--plugin", "com.example.nobody", "--method", "x", "--reply-to", kit.replyTo(),
        "--timeout-ms", "120000");
    assertEquals(1, missing.exit(), missing.err() + missing.out());
    assertEquals("PLUGIN_NOT_FOUND", TestClient.JSON.readTree(missing.out()).path("error").path("code").asText());
  }

  @Test
  void noResultWithinTheTimeoutExitsThreeSayingSo() {
    Topics idle = new Topics("sendidle" + UUID.randomUUID().toString().substring(0, 8));
    kit.client().createTopic(idle.execute());

    Run run = send(idle, "--plugin", PLUGIN, "--method", "echo", "--id", "cli-unanswered", "--timeout-ms", "1000",
        "--reply-to", kit.replyTo());

    assertEquals(3, run.exit(), run.err() + run.out());
    assertEquals("no result for cli-unanswered within 6000 ms", run.err().strip());
  }

  @Test
  void aCommandAWorkerWouldRefuseIsNotSentAndExitsTwo() {
    Topics topics = kit.topics();
    for (String[] args : new String[][] {
        {"--plugin", PLUGIN},
        {"--plugin", PLUGIN, "--method", "echo", "--id", "has space"},
        {"--plugin", PLUGIN, "--method", "echo", "--args", "[1]"},
        {"--plugin", PLUGIN, "--method", "echo", "--timeout-ms", "0"},
        {"--type", "explode", "--plugin", PLUGIN},
        {"--type", "get"}}) {
      Run run = send(topics, args);
      assertEquals(2, run.exit(), String.join(" ", args) + ": " + run.err());
      assertTrue(!run.err().isBlank(), "says why");
    }
  }
}
