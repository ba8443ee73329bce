package io.jankrunner.plugin;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A plugins dir, a state dir and the manager a test starts over them, closed after each test. */
abstract class PluginManagerFixture {

  @TempDir Path plugins;
  @TempDir Path state;
  PluginManager manager;

  PluginManager startManager(PluginManagerConfig config) throws IOException {
    manager = new PluginManager(config.withStateDir(state).withStopGrace(Duration.ofSeconds(2)),
        new RecordingListener());
    return manager;
  }

  @AfterEach
  void stopManager() {
    if (manager != null) {
      manager.close();
    }
  }
}
