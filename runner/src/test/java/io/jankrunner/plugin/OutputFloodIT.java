package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin that writes megabytes to stderr during a call is answered, not left blocked on a full pipe. */
class OutputFloodIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FLOOD = "test.plugins.flood-in-call";

  @TempDir Path plugins;
  @TempDir Path state;
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    TestPlugins.javaPlugin(plugins, "flood", FLOOD, MisbehavingPlugin.class, "", "");
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(2)), new RecordingListener());
    manager.register(FLOOD);
  }

  @AfterEach
  void stopManager() {
    manager.close();
  }

  @Test
  void aPluginWritingTenMebibytesToStderrDuringACallIsAnsweredBeforeItsDeadline() throws Exception {
    manager.execute(FLOOD, "echo", JSON.createObjectNode());
    ObjectNode args = JSON.createObjectNode().put("bytes", 10L * 1024 * 1024);

    // 10 MiB is ~80,000 lines: far more than the log's rate limit lets through in 30 s, so the
    // call can only finish if the drain reads at full speed and drops what it does not log.
    // A TIMEOUT here is the bug this test is about.
    ObjectNode answer = manager.execute(FLOOD, "flood-stderr", args, Optional.of(Instant.now().plusSeconds(30)),
        Optional.empty()).data();

    assertEquals(10L * 1024 * 1024, answer.path("bytes").asLong());
    assertEquals(args.path("bytes").asLong(), manager.execute(FLOOD, "echo", args).data().path("bytes").asLong());
  }
}
