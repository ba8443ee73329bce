package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.RecordingListener;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.plugin.api.BuildFailedException;
import io.jankrunner.plugin.api.BuildResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin's {@code scripts/build.sh} is plugin code and runs as such: as the plugin user, in a
 * cgroup at the operator's ceilings, with a private HOME, and only in a plugin directory that
 * user may write.
 */
class BuildSandboxIT {

  private static final int BUILD_PROCESS_LIMIT = 20;

  @TempDir Path root;
  private Path plugins;
  private Path secret;
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    assumeTrue(PluginUser.workerIsRoot(), "the worker is not root: there is no user to switch from");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    plugins = Files.createDirectories(root.resolve("plugins"));
    Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
    secret = root.resolve("secret.txt");
    Files.writeString(secret, "root's secret");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    PluginLimits limits = new PluginLimits(512, 8192, 16, BUILD_PROCESS_LIMIT, 1000, 4000, 16, 1024, 1024, 1024,
        false, PluginLimits.DEFAULT.rebuildInterval());
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(root.resolve("state"))
        .withPluginUser("nobody").withLimits(limits), new RecordingListener());
  }

  @AfterEach
  void stopManager() {
    if (manager != null) {
      manager.close();
    }
  }

  /** A source plugin whose build reports who it runs as, what it can read and fork, and its HOME. */
  private Path probingPlugin(String name, boolean handedToThePluginUser) throws Exception {
    Path dir = Files.createDirectories(plugins.resolve(name));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest("test.build." + name, "./bin/plugin", ""));
    TestPlugins.executable(dir.resolve("scripts/build.sh"), """
        echo "uid=$(id -u)"
        echo "home=$HOME owner=$(stat -c %%u "$HOME")"
        echo "cgroup=$(grep -E '(^0::|pids)' /proc/self/cgroup | head -1)"
        if cat %s 2>/dev/null; then echo "secret=read"; else echo "secret=denied"; fi
        python3 -c '
        import os, time
        n = 0
        try:
            for i in range(200):
                if os.fork() == 0:
                    os.close(1); os.close(2); time.sleep(30); os._exit(0)
                n += 1
            print("forked", n)
        except OSError as e:
            print("fork refused after", n)
        '
        mkdir -p bin
        printf '#!/bin/sh\\nexit 1\\n' > bin/plugin
        chmod +x bin/plugin
        """.formatted(secret));
    Files.walk(dir).forEach(path -> {
      try {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (handedToThePluginUser) {
          Files.setAttribute(path, "unix:uid", PluginUser.NOBODY.uid());
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    return dir;
  }

  private static String field(String output, String regex) {
    Matcher matcher = Pattern.compile(regex).matcher(output);
    assertTrue(matcher.find(), "no " + regex + " in the build output:\n" + output);
    return matcher.group(1);
  }

  @Test
  void aBuildRunsAsThePluginUserInACgroupAndCannotReadARootOnlyFileNorForkPastTheLimit() throws Exception {
    probingPlugin("prober", true);

    BuildResult result = manager.build("test.build.prober", line -> { });

    String output = result.outputTail();
    assertEquals(Integer.toString(PluginUser.NOBODY.uid()), field(output, "uid=(\\d+)"));
    assertEquals("denied", field(output, "secret=(\\w+)"), output);
    assertFalse(output.contains("root's secret"), output);
    assertTrue(field(output, "cgroup=(\\S+)").contains("jank-runner/test.build.prober-build"), output);
    int forked = Integer.parseInt(field(output, "fork refused after (\\d+)"));
    assertTrue(forked < BUILD_PROCESS_LIMIT, output);
  }

  @Test
  void aBuildsHomeIsAFreshPrivateDirectoryRemovedAfterTheBuild() throws Exception {
    probingPlugin("home", true);

    String output = manager.build("test.build.home", line -> { }).outputTail();

    Path home = Path.of(field(output, "home=(\\S+)"));
    assertFalse(home.equals(Path.of(System.getProperty("user.home"))), output);
    assertFalse(home.startsWith(System.getProperty("user.home")), output);
    assertEquals(Integer.toString(PluginUser.NOBODY.uid()), field(output, "owner=(\\d+)"));
    assertFalse(Files.exists(home), "the build's HOME is removed after it");
  }

  @Test
  void aBuildIsRefusedWithAMessageWhereThePluginUserMayNotWriteThePluginsDirectory() throws Exception {
    Path dir = probingPlugin("rootowned", false);

    BuildFailedException error = assertThrows(BuildFailedException.class,
        () -> manager.build("test.build.rootowned", line -> { }));

    assertTrue(error.getMessage().contains(dir + " (not reachable by plugin user nobody, uid 65534) may not be "
        + "written"), error.getMessage());
    assertFalse(Files.exists(dir.resolve("bin/plugin")), "nothing of the build ran");
  }
}
