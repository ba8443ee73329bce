package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.ErrorCode;
import io.jankrunner.plugin.api.BuildFailedException;
import io.jankrunner.plugin.api.BuildResult;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginStateListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/build.sh} run for real: success, failure, timeout, no binary, one build at a time. */
class BuildIT {

  @TempDir Path plugins;
  @TempDir Path state;
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withBuildTimeout(Duration.ofSeconds(3)), PluginStateListener.NONE);
  }

  @AfterEach
  void stopManager() {
    manager.close();
  }

  /** A source-only plugin whose build.sh runs {@code body}. */
  private Path sourcePlugin(String name, String body) throws Exception {
    Path dir = Files.createDirectories(plugins.resolve(name));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest("test.build." + name, "./bin/plugin", ""));
    TestPlugins.executable(dir.resolve("scripts/build.sh"), "set -e\n" + body + "\n");
    return dir;
  }

  private static final String MAKES_BINARY = """
      echo "compiling in $(pwd)"
      echo "a warning" >&2
      mkdir -p bin
      printf '#!/bin/sh\\necho "1|1|unix|/tmp/nowhere.sock|grpc|"\\nsleep 60\\n' > bin/plugin
      chmod +x bin/plugin
      """;

  @Test
  void aSuccessfulBuildMakesASourceOnlyPluginAvailableAndReturnsItsOutput() throws Exception {
    Path dir = sourcePlugin("ok", MAKES_BINARY);
    assertEquals("source_only", manager.get("test.build.ok").orElseThrow().status());
    List<String> streamed = new CopyOnWriteArrayList<>();

    BuildResult result = manager.build("test.build.ok", streamed::add);

    assertTrue(result.success());
    assertTrue(result.outputTail().contains("compiling in " + dir.toRealPath()), result.outputTail());
    assertTrue(result.outputTail().contains("a warning"), result.outputTail());
    assertTrue(streamed.contains("a warning"), "output is streamed as it is printed");
    assertEquals("available", manager.get("test.build.ok").orElseThrow().status());
  }

  @Test
  void registeringASourceOnlyPluginBuildsItFirst() throws Exception {
    sourcePlugin("auto", MAKES_BINARY);

    PluginInfo info = manager.register("test.build.auto");

    assertTrue(info.registered());
    assertTrue(Files.isExecutable(plugins.resolve("auto/bin/plugin")));
  }

  @Test
  void aFailingBuildReportsItsExitCodeAndOutput() throws Exception {
    sourcePlugin("fails", "echo 'error: undefined: foo' >&2\nexit 2");

    BuildFailedException error = assertThrows(BuildFailedException.class, () -> manager.build("test.build.fails", null));

    assertEquals(ErrorCode.BUILD_FAILED, error.code());
    assertTrue(error.getMessage().contains("exit code 2"), error.getMessage());
    assertTrue(error.result().outputTail().contains("error: undefined: foo"));
    assertEquals("source_only", manager.get("test.build.fails").orElseThrow().status());
  }

  @Test
  void aBuildThatRunsTooLongIsKilled() throws Exception {
    sourcePlugin("slow", "echo started\nsleep 600");

    long started = System.nanoTime();
    BuildFailedException error = assertThrows(BuildFailedException.class, () -> manager.build("test.build.slow", null));

    assertTrue(error.getMessage().contains("timed out after 3 s"), error.getMessage());
    assertTrue(error.result().outputTail().contains("started"));
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 20);
    assertEquals(0, TestPlugins.livingChildProcesses(),
        "the build's processes were killed");
  }

  @Test
  void aBuildThatLeavesNoBinaryFails() throws Exception {
    sourcePlugin("empty", "echo 'nothing to do'");

    BuildFailedException error = assertThrows(BuildFailedException.class, () -> manager.build("test.build.empty", null));

    assertTrue(error.getMessage().contains("does not exist"), error.getMessage());
  }

  @Test
  void twoBuildsOfOnePluginNeverRunAtOnce() throws Exception {
    Path dir = sourcePlugin("once", """
        echo run >> runs.log
        if [ -e building ]; then echo "two builds at once" >&2; exit 9; fi
        touch building
        sleep 1
        rm building
        """ + MAKES_BINARY);

    try (ExecutorService builds = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<BuildResult> first = builds.submit(() -> manager.build("test.build.once", null));
      Thread.sleep(200);
      Future<BuildResult> second = builds.submit(() -> manager.build("test.build.once", null));
      assertTrue(first.get().success());
      assertTrue(second.get().success());
    }
    assertEquals(1, Files.readAllLines(dir.resolve("runs.log")).size(), "the second request joined the first build");
  }

  @Test
  void aPluginWithoutABuildScriptCannotBeBuilt() throws Exception {
    TestPlugins.scriptPlugin(plugins, "prebuilt", "test.build.prebuilt", "exit 0", "");

    BuildFailedException error = assertThrows(BuildFailedException.class,
        () -> manager.build("test.build.prebuilt", null));

    assertTrue(error.getMessage().contains("no scripts/build.sh"));
    assertFalse(Files.exists(plugins.resolve("prebuilt/scripts")));
  }
}
