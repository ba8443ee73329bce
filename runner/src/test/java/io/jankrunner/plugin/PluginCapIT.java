package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker holds at most max_plugins registered plugins. */
class PluginCapIT {

  @TempDir Path plugins;
  @TempDir Path state;

  @Test
  void theRegistrationPastMaxPluginsIsRefusedWithAClearError() throws Exception {
    for (int i = 1; i <= 4; i++) {
      TestPlugins.scriptPlugin(plugins, "p" + i, "test.plugins.p" + i, "exit 0", "");
    }
    try (PluginManager manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withMaxPlugins(3), new RecordingListener())) {
      for (int i = 1; i <= 3; i++) {
        manager.register("test.plugins.p" + i);
      }

      RunnerException refused = assertThrows(RunnerException.class, () -> manager.register("test.plugins.p4"));

      assertEquals(ErrorCode.INVALID_COMMAND, refused.code());
      assertTrue(refused.getMessage().contains("the most this worker allows (max_plugins 3)"), refused.getMessage());
      manager.register("test.plugins.p2"); // registering a registered plugin again swaps it: not one more
      manager.unregister("test.plugins.p1");
      manager.register("test.plugins.p4");
      assertEquals(3, manager.registeredCount());
    }
  }

  @Test
  void theDefaultCapIsOneHundred() {
    assertEquals(100, PluginManagerConfig.defaults(plugins).maxPlugins());
  }
}
