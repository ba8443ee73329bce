package io.jankrunner.registry;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.RecordingListener;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storm of new {@code build_id}s in the registry (anyone who may write it can make one) runs
 * one build per plugin per rebuild interval on a worker, and ends with the latest build_id built.
 */
class RebuildStormIT {

  private static final String ID = "test.storm.plugin";
  private static final Duration INTERVAL = Duration.ofSeconds(3);

  @TempDir Path plugins;
  @TempDir Path state;
  private PluginManager manager;
  private Reconciler reconciler;
  private Path buildLog;

  @BeforeEach
  void start() throws Exception {
    Path dir = Files.createDirectories(plugins.resolve("storm"));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest(ID, "./bin/plugin", ""));
    TestPlugins.executable(dir.resolve("scripts/build.sh"), """
        echo built >> builds.log
        mkdir -p bin
        printf '#!/bin/sh\\nexit 1\\n' > bin/plugin
        chmod +x bin/plugin
        """);
    buildLog = dir.resolve("builds.log");
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state.resolve("processes")),
        new RecordingListener());
    reconciler = new Reconciler(manager, state.resolve("builds"), INTERVAL);
  }

  @AfterEach
  void stop() {
    reconciler.close();
    manager.close();
  }

  private static Optional<RegistryTopic.Entry> build(String buildId) {
    return Optional.of(new RegistryTopic.Entry(ID, "1.0.0", buildId));
  }

  private String lastBuiltHere() throws Exception {
    Path file = state.resolve("builds").resolve(ID);
    return Files.isRegularFile(file) ? Files.readString(file).strip() : "";
  }

  @Test
  void aStormOfNewBuildIdsRebuildsOncePerIntervalAndEndsWithTheLatestBuilt() throws Exception {
    reconciler.desire(ID, build("storm-1")).get();
    assertEquals(1, Files.readAllLines(buildLog).size(), "the first new build_id builds at once");

    for (int i = 2; i <= 20; i++) {
      reconciler.desire(ID, build("storm-" + i));
    }

    await().atMost(Duration.ofSeconds(60)).until(() -> lastBuiltHere().equals("storm-20"));
    assertEquals(2, Files.readAllLines(buildLog).size(), "19 more build_ids within the interval: one more build");
    assertTrue(manager.isRegistered(ID));
  }
}
