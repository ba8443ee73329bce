package io.jankrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.plugin.isolation.PluginSeparation;
import io.jankrunner.plugin.isolation.UidRange;
import io.jankrunner.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What registering can know is said at once, on a real worker over Kafka, with plugins run as a
 * uid of their own (plugin user {@code auto}): a plugins dir that uid cannot enter is refused at
 * {@code register} with the path and the fix, and listed incomplete with them; a binary that
 * cannot be executed fails its first call with that reason and quarantines the plugin, without
 * retries and restarts first.
 */
class RegisterChecksIT {

  private static final String HIDDEN = "test.register.hidden";
  private static final String GARBAGE = "test.register.garbage";
  /** A range of its own, so no other test JVM's plugins share these uids. */
  private static final UidRange UIDS = new UidRange(63000, 63099);
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** Made by JUnit as mktemp -d makes one: mode 0700, owned by root. */
  @TempDir Path root;
  /** The worker's state dir goes in here, open to the plugin uid as its temp dir's parent must be. */
  @TempDir Path open;
  private Worker worker;
  private TestClient kafka;
  private Topics topics;

  private void startWorker(Path plugins) throws Exception {
    assumeTrue(((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0,
        "the worker is not root: plugins run as the worker, who reaches whatever it made");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path state = open.resolve("state");
    topics = new Topics("r" + UUID.randomUUID().toString().substring(0, 8));
    worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), plugins, "register-1", WorkerConfig.Mode.SHARE,
        false, topics, 1, 16, 64 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL).withPluginSeparation("auto", PluginSeparation.DEFAULT.withUids(UIDS)));
    kafka = new TestClient(TestBroker.bootstrap());
  }

  @AfterEach
  void stopWorker() {
    if (kafka != null) {
      kafka.close();
    }
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void aPluginsDirThePluginUidCannotEnterIsRefusedAtRegisterWithTheFix() throws Exception {
    Path plugins = Files.createDirectories(root.resolve("plugins"));
    Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestPlugins.scriptPlugin(plugins, "hidden", HIDDEN, "exit 0", "");
    startWorker(plugins);
    String closed = root.toRealPath().toString();

    JsonNode refused = control("register", HIDDEN);

    assertEquals("error", refused.path("status").asText(), refused.toString());
    assertEquals("INVALID_COMMAND", refused.path("error").path("code").asText(), refused.toString());
    String message = refused.path("error").path("message").asText();
    assertTrue(message.startsWith("cannot register " + HIDDEN + ": " + closed + " (not reachable by plugin user "
        + "dynamic-"), message);
    assertTrue(message.contains("may not be entered: it is mode 0700, owner 0:0; fix: chmod o+x " + closed), message);

    JsonNode listed = control("get", HIDDEN).path("data");
    assertEquals("incomplete", listed.path("status").asText(), listed.toString());
    assertTrue(listed.path("reason").asText().contains("fix: chmod o+x " + closed), listed.toString());
  }

  @Test
  void aBinaryThatCannotBeExecutedFailsItsFirstCallClearlyAndIsQuarantinedWithoutRetries() throws Exception {
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path plugins = Files.createDirectories(root.resolve("plugins"));
    Path dir = TestPlugins.scriptPlugin(plugins, "garbage", GARBAGE, "", "");
    // No shebang: the exec fails with ENOEXEC, and the shell it falls back to exits 127 ("not found").
    Files.writeString(dir.resolve("bin/plugin"), "this is not a program\n");
    startWorker(plugins);
    assertEquals("ok", control("register", GARBAGE).path("status").asText());

    String id = "x-" + UUID.randomUUID();
    kafka.send(topics.execute(), GARBAGE, TestClient.execute(id, GARBAGE, "echo", topics.results()));
    JsonNode failed = kafka.result(topics.results(), id, WAIT);

    assertEquals("error", failed.path("status").asText(), failed.toString());
    assertEquals("PLUGIN_UNAVAILABLE", failed.path("error").path("code").asText(), failed.toString());
    assertEquals(1, failed.path("attempts").asInt(), "not retried: " + failed);
    String message = failed.path("error").path("message").asText();
    assertTrue(message.contains("cannot be started (not retried; quarantined until"), message);
    assertTrue(message.contains("(exit code 127)"), message);
    assertTrue(message.contains("its binary cannot be executed"), message);

    JsonNode plugin = control("get", GARBAGE).path("data");
    assertEquals("quarantined", plugin.path("state").asText(), "after its first failed start: " + plugin);
    assertEquals("error", plugin.path("status").asText(), "Jank's status for it: " + plugin);
    assertTrue(plugin.path("reason").asText().contains("(exit code 127)"), plugin.toString());
  }

  private JsonNode control(String type, String plugin) {
    String id = type + "-" + UUID.randomUUID();
    kafka.send(topics.control(), plugin, TestClient.control(id, type, plugin, topics.results()));
    return kafka.result(topics.results(), id, WAIT);
  }
}
