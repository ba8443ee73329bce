package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.RecordingListener;
import io.jankrunner.plugin.SandboxedPlugins;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker running as root runs its plugins as an unprivileged user, with a private temp dir. */
class PluginUserIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLUGIN = "test.plugins.unprivileged";

  @TempDir Path root;
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    assumeTrue(PluginUser.workerIsRoot(), "the worker is not root: there is no user to switch from");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path plugins = Files.createDirectories(root.resolve("plugins"));
    String classpath = SandboxedPlugins.worldReadableClasspath(Files.createDirectories(root.resolve("classpath")));
    SandboxedPlugins.misbehaving(plugins, PLUGIN, "", classpath, "");
    SandboxedPlugins.openUp(plugins);
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(root.resolve("state"))
        .withStopGrace(Duration.ofSeconds(2)).withPluginUser("nobody"), new RecordingListener());
    manager.register(PLUGIN);
  }

  @AfterEach
  void stopManager() {
    if (manager != null) {
      manager.close();
    }
  }

  @Test
  void aPluginRunsAsTheUnprivilegedUserWithAPrivateTempDir() throws Exception {
    ObjectNode answer = manager.execute(PLUGIN, "uid", JSON.createObjectNode()).data();

    assertEquals(PluginUser.NOBODY.uid(), answer.path("uid").asInt());
    Path temp = Path.of(answer.path("tmpdir").asText());
    assertEquals(PluginUser.NOBODY.uid(), (Integer) Files.getAttribute(temp, "unix:uid"));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(temp)));
  }

  @Test
  void aPluginTryingToReadARootOnlyFileIsRefusedByTheOs() throws Exception {
    Path secret = root.resolve("secret.txt");
    Files.writeString(secret, "root's secret");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));

    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute(PLUGIN, "read-file", JSON.createObjectNode().put("path", secret.toString())));

    assertEquals(ErrorCode.PLUGIN_ERROR, error.code());
    assertTrue(error.getMessage().contains("AccessDenied"), error.getMessage());
  }

  @Test
  void aPluginDirTheUserCannotReachIsRefusedAtRegisterWithTheFix() throws Exception {
    Path hidden = Files.createDirectories(root.resolve("hidden"));
    Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
    TestPlugins.scriptPlugin(hidden, "script", "test.plugins.hidden", "exit 0", "");
    PluginManager hiddenManager = new PluginManager(PluginManagerConfig.defaults(hidden)
        .withStateDir(root.resolve("state2")).withPluginUser("nobody"), new RecordingListener());
    try {
      RunnerException error = assertThrows(RunnerException.class, () -> hiddenManager.register("test.plugins.hidden"));
      assertEquals(ErrorCode.INVALID_COMMAND, error.code());
      assertTrue(error.getMessage().contains(hidden.toRealPath() + " (not reachable by plugin user nobody"),
          error.getMessage());
      assertTrue(error.getMessage().contains("fix: chmod o+x " + hidden.toRealPath()), error.getMessage());
      assertFalse(hiddenManager.isRegistered("test.plugins.hidden"));
      PluginInfo listed = hiddenManager.get("test.plugins.hidden").orElseThrow();
      assertEquals("incomplete", listed.status());
      assertTrue(listed.reason().orElseThrow().contains("fix: chmod o+x " + hidden.toRealPath()), listed.reason().get());
    } finally {
      hiddenManager.close();
    }
  }
}
