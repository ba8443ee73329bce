package io.jankrunner.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.kafka.WorkerTestKit;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share mode with a worker's defaults, against a real broker and real plugin processes: a long
 * command does not hold the worker's intake (the commands sent after it are answered while it
 * runs), concurrent commands reach as many plugin instances as the plugin allows, and results
 * say how long their command waited.
 */
class ShareIntakeIT {

  static final String PLUGIN = "test.plugins.share";
  static final String SINGLE = "test.plugins.share-single";
  /** A liveness bound: the extra consumers take a few seconds to join the share group. */
  static final Duration SHORT_ONES_WITHIN = Duration.ofSeconds(15);

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;
  private TestClient client;
  private String replyTo;

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "share", PLUGIN, PipelinePlugin.class, "",
        "\"runner\": {\"max_concurrency\": 500, \"min_instances\": 1, \"max_instances\": 1, \"timeout_ms\": 60000}");
    TestPlugins.javaPlugin(plugins, "single", SINGLE, PipelinePlugin.class, "",
        "\"runner\": {\"max_concurrency\": 1, \"max_instances\": 3, \"timeout_ms\": 60000}");
    kit = new WorkerTestKit(plugins, state, "sh");
    client = kit.client();
    replyTo = kit.replyTo();
    kit.start("w-share", WorkerConfig.Mode.SHARE, false, WorkerConfig.DEFAULT_CONSUMERS,
        WorkerConfig.DEFAULT_MAX_IN_FLIGHT, Duration.ofSeconds(10), WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
  }

  @AfterEach
  void tearDown() {
    kit.close();
  }

  private void register(String plugin) {
    assertEquals("ok", kit.control("register", plugin).path("status").asText());
  }

  @Test
  void fiftyShortCommandsSentWhileALongOneRunsAreAnsweredBeforeIt() throws Exception {
    // min_instances 1: register starts the plugin's one instance and answers once it is up, so no
    // fetch waits on a cold start (16 s on a loaded machine, and the intake grows on any 1 s
    // stall): what grows the intake here is the long command.
    register(PLUGIN);
    ObjectNode longOne = TestClient.execute("long", PLUGIN, "sleep", replyTo);
    longOne.putObject("args").put("ms", 20_000);
    client.send(kit.topics().execute(), "long", longOne);
    Thread.sleep(2000); // it is fetched and running
    Instant sent = Instant.now();
    for (int i = 0; i < 50; i++) {
      client.sendAsync(kit.topics().execute(), "short-" + i, TestClient.execute("short-" + i, PLUGIN, "echo", replyTo));
    }
    client.flush();
    Map<String, List<JsonNode>> results = client.results(replyTo, 51, SHORT_ONES_WITHIN); // with the register's
    Duration took = Duration.between(sent, Instant.now());
    if (results.size() < 51) {
      // Say what became of the late ones (when, on which delivery) before failing.
      Map<String, List<JsonNode>> late = client.results(replyTo, 51, WorkerTestKit.WAIT);
      late.keySet().removeAll(results.keySet());
      throw new AssertionError("not all 50 answered within " + SHORT_ONES_WITHIN.toSeconds()
          + " s while the long command ran; the rest, later: " + late);
    }
    for (int i = 0; i < 50; i++) {
      List<JsonNode> answers = results.get("short-" + i);
      assertTrue(answers != null, "short-" + i + " not answered within " + SHORT_ONES_WITHIN.toSeconds()
          + " s while the long command ran; answered: " + results.keySet());
      JsonNode answer = answers.getFirst();
      assertEquals("ok", answer.path("status").asText(), answer.toString());
      assertTrue(answer.has("queued_ms"), "a command sent with a CreateTime says how long it waited: " + answer);
    }
    assertTrue(took.compareTo(SHORT_ONES_WITHIN.plusSeconds(5)) < 0, "answered in " + took.toMillis() + " ms");

    JsonNode longResult = client.result(replyTo, "long", WorkerTestKit.WAIT);
    assertEquals("ok", longResult.path("status").asText(), longResult.toString());
    assertTrue(longResult.path("queued_ms").asLong(-1) >= 0, longResult.toString());
    assertTrue(longResult.path("queued_ms").asLong() < 10_000,
        "the long command waited for nothing but the worker: " + longResult);
    Instant longFinished = Instant.parse(longResult.path("finished_at").asText());
    for (int i = 0; i < 50; i++) {
      JsonNode answer = results.get("short-" + i).getFirst();
      assertTrue(Instant.parse(answer.path("finished_at").asText()).isBefore(longFinished),
          "short-" + i + " did not wait for the long command: " + answer);
    }
  }

  @Test
  void threeConcurrentCallsToAPluginOfThreeSingleCallInstancesStartThree() throws Exception {
    register(SINGLE);
    for (int i = 0; i < 3; i++) {
      ObjectNode command = TestClient.execute("pid-" + i, SINGLE, "pid", replyTo);
      command.putObject("args").put("ms", 12_000);
      client.sendAsync(kit.topics().execute(), "pid-" + i, command);
    }
    client.flush();
    Map<String, List<JsonNode>> results = client.results(replyTo, 4, WorkerTestKit.WAIT);
    Set<Long> pids = results.entrySet().stream().filter(entry -> entry.getKey().startsWith("pid-"))
        .map(entry -> entry.getValue().getFirst())
        .peek(answer -> assertEquals("ok", answer.path("status").asText(), answer.toString()))
        .map(answer -> answer.path("data").path("pid").asLong()).collect(Collectors.toSet());
    assertEquals(3, pids.size(), "each of the three ran on an instance of its own: " + results);
  }
}
