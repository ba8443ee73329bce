package io.jankrunner.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.cli.Main;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL in the middle of 1,000 commands: nothing is lost. In share mode
 * every command is answered at least once; with exactly-once group mode every command has
 * exactly one visible result.
 */
class WorkerCrashIT {

  static final String PLUGIN = "test.plugins.echo";
  static final int COMMANDS = 1000;

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;
  private TestClient client;
  private Topics topics;
  private Process killed;
  private Worker survivor;

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 64}");
    kit = new WorkerTestKit(plugins, state, "crash");
    client = kit.client();
    topics = kit.topics();
  }

  @AfterEach
  void tearDown() {
    if (killed != null) {
      killed.destroyForcibly();
    }
    kit.close();
  }

  @Test
  void shareModeAnswersEveryCommandAtLeastOnceWhenAWorkerIsKilled() throws Exception {
    Map<String, List<JsonNode>> results = runAndKill(WorkerConfig.Mode.SHARE, false);
    assertEquals(COMMANDS, results.size(), "every command answered");
  }

  @Test
  void exactlyOnceGroupModeAnswersEveryCommandExactlyOnceWhenAWorkerIsKilled() throws Exception {
    Map<String, List<JsonNode>> results = runAndKill(WorkerConfig.Mode.GROUP, true);
    assertEquals(COMMANDS, results.size(), "every command answered");
    List<String> duplicated = results.entrySet().stream().filter(entry -> entry.getValue().size() > 1)
        .map(Map.Entry::getKey).collect(Collectors.toList());
    assertTrue(duplicated.isEmpty(), "visible more than once: " + duplicated);
  }

  private Map<String, List<JsonNode>> runAndKill(WorkerConfig.Mode mode, boolean exactlyOnce) throws Exception {
    String replyTo = kit.replyTo();
    survivor = kit.start("survivor", mode, exactlyOnce, 2, 64, Duration.ofSeconds(5),
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
    assertEquals("ok", kit.control("register", PLUGIN).path("status").asText());
    killed = startChildWorker(mode, exactlyOnce);

    // Commands go out as a stream (about 10 s of them) rather than all at once: sent in one burst
    // they were all answered by the survivor before the victim had joined, and the kill then hit an
    // idle worker. The victim must have answered some before it is killed, or the test proves nothing.
    Thread sender = Thread.ofVirtual().start(() -> {
      for (int i = 0; i < COMMANDS; i++) {
        ObjectNode command = TestClient.execute("c-" + i, PLUGIN, "slow", replyTo);
        command.putObject("args").put("ms", 5).put("i", i);
        client.sendAsync(topics.execute(), "key-" + (i % 50), command);
        if (i % 10 == 9) {
          client.flush();
          sleepQuietly(100);
        }
      }
      client.flush();
    });

    // Kill the child once it has answered some commands, while more are in flight.
    long answeredByVictim = countFrom("victim",
        client.read(replyTo, Duration.ofSeconds(120), read -> countFrom("victim", read) >= 50));
    assertTrue(answeredByVictim >= 50, "the victim worker answered only " + answeredByVictim
        + " commands before the kill (see its log, victim.log in the state dir)");
    killed.destroyForcibly();
    killed.waitFor();
    sender.join();

    Map<String, List<JsonNode>> results = client.results(replyTo, COMMANDS + 1, Duration.ofSeconds(150));
    results.keySet().removeIf(id -> id.startsWith("register-"));
    return results;
  }

  private static long countFrom(String worker, List<ConsumerRecord<byte[], byte[]>> read) {
    return read.stream().filter(r -> TestClient.parse(r.value()).path("worker").asText().equals(worker)).count();
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Process startChildWorker(WorkerConfig.Mode mode, boolean exactlyOnce) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestPlugins.javaLauncher().split(" ")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker",
        "--bootstrap", TestBroker.bootstrap(), "--plugins-dir", plugins.toString(), "--worker-id", "victim",
        "--mode", mode.name().toLowerCase(java.util.Locale.ROOT), "--topic-prefix", topics.prefix(),
        "--max-in-flight", "64", "--state-dir", state.resolve("victim").toString()));
    if (exactlyOnce) {
      command.add("--exactly-once");
    }
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(state.resolve("victim.log").toFile()).start();
  }
}
