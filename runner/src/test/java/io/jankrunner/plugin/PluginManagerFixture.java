package io.jankrunner.plugin;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A plugins dir, a state dir and the manager a test starts over them, closed after each test. */
public abstract class PluginManagerFixture {

  @TempDir protected Path plugins;
  @TempDir protected Path state;
  protected PluginManager manager;

  protected PluginManager startManager(PluginManagerConfig config) throws IOException {
    manager = new PluginManager(config.withStateDir(state).withStopGrace(Duration.ofSeconds(2)),
        new RecordingListener());
    return manager;
  }

  @AfterEach
  protected void stopManager() {
    if (manager != null) {
      manager.close();
    }
  }
}
