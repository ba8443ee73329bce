package io.jankrunner.plugin.isolation;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.PluginManagerFixture;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.plugin.manifest.PluginManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The operator's defaults and ceilings hold for real plugin processes: an instance is in a
 * cgroup with the defaults when its manifest is silent, a manifest asking past a ceiling gets the
 * ceiling, nothing an instance started outlives it, and its writes are bounded.
 */
class OperatorLimitsIT extends PluginManagerFixture {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path CGROUP_ROOT = PluginManagerConfig.DEFAULT_CGROUP_ROOT;

  @Override
  protected PluginManager startManager(PluginManagerConfig config) throws java.io.IOException {
    return super.startManager(config.withPluginUser("worker"));
  }

  private static void assumeAllCgroups() {
    assumeTrue(Cgroups.detect(CGROUP_ROOT).fullyUsable(), "memory, pids and cpu cgroups (and v1's freezer) needed");
  }

  /** A cgroup control file of the instance answering {@code id}, found from its own /proc/self/cgroup. */
  private String control(String id, String controller, String file) throws Exception {
    String cgroups = manager.execute(id, "cgroups", JSON.createObjectNode()).data().path("cgroups").asText();
    boolean v2 = Cgroups.detect(CGROUP_ROOT).version() == Cgroups.Version.V2;
    for (String line : cgroups.split("\n")) {
      String[] parts = line.split(":", 3);
      if (v2 ? parts[0].equals("0") : java.util.List.of(parts[1].split(",")).contains(controller)) {
        Path dir = v2 ? CGROUP_ROOT.resolve(parts[2].substring(1)) : CGROUP_ROOT.resolve(controller)
            .resolve(parts[2].substring(1));
        return Files.readString(dir.resolve(file)).strip();
      }
    }
    throw new AssertionError("no " + controller + " cgroup in " + cgroups);
  }

  private static String memoryFile() {
    return Cgroups.detect(CGROUP_ROOT).version() == Cgroups.Version.V2 ? "memory.max" : "memory.limit_in_bytes";
  }

  private static String cpuFile() {
    return Cgroups.detect(CGROUP_ROOT).version() == Cgroups.Version.V2 ? "cpu.max" : "cpu.cfs_quota_us";
  }

  @Test
  void aPluginWithNoLimitsInItsManifestRunsInACgroupWithTheOperatorsDefaults() throws Exception {
    assumeAllCgroups();
    TestPlugins.javaPlugin(plugins, "silent", "test.plugins.silent", MisbehavingPlugin.class, "", "");
    PluginLimits limits = new PluginLimits(384, 8192, 200, 4096, 700, 4000, 16, 1024, 1024, 1024, false,
        PluginLimits.DEFAULT.rebuildInterval());
    startManager(PluginManagerConfig.defaults(plugins).withLimits(limits));
    manager.register("test.plugins.silent");

    assertEquals(Long.toString(384L * 1024 * 1024), control("test.plugins.silent", "memory", memoryFile()));
    assertEquals("200", control("test.plugins.silent", "pids", "pids.max"));
    assertTrue(control("test.plugins.silent", "cpu", cpuFile()).startsWith("70000"), "0.7 of a 100 ms period");
  }

  @Test
  void aManifestAskingPastTheOperatorsCeilingsGetsTheCeilingsAndAWarningNamingBothValues() throws Exception {
    assumeAllCgroups();
    TestPlugins.javaPlugin(plugins, "greedy", "test.plugins.greedy", MisbehavingPlugin.class, "",
        "\"runner\": {\"memory_mb\": 1048576, \"max_processes\": 100000, \"cpu_millis\": 64000,"
            + " \"max_instances\": 64, \"max_concurrency\": 10000}");
    PluginLimits limits = new PluginLimits(256, 320, 64, 150, 500, 600, 2, 8, 1024, 1024, false,
        PluginLimits.DEFAULT.rebuildInterval());
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    ((Logger) LoggerFactory.getLogger(PluginManager.class)).addAppender(logged);
    try {
      startManager(PluginManagerConfig.defaults(plugins).withLimits(limits));
      manager.register("test.plugins.greedy");
    } finally {
      ((Logger) LoggerFactory.getLogger(PluginManager.class)).detachAppender(logged);
    }

    assertEquals(Long.toString(320L * 1024 * 1024), control("test.plugins.greedy", "memory", memoryFile()));
    assertEquals("150", control("test.plugins.greedy", "pids", "pids.max"));
    assertTrue(control("test.plugins.greedy", "cpu", cpuFile()).startsWith("60000"), "0.6 of a 100 ms period");
    PluginManifest.RunnerSettings runner = manager.manifest("test.plugins.greedy").orElseThrow().runner();
    assertEquals(2, runner.maxInstances());
    assertEquals(8, runner.maxConcurrency());
    String warnings = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList().toString();
    assertTrue(warnings.contains("memory_mb 1048576 is above the operator's ceiling 320"), warnings);
    assertTrue(warnings.contains("max_concurrency 10000 is above the operator's ceiling 8"), warnings);
  }

  @Test
  void aDoubleForkedChildThatLeftThePluginsSessionIsGoneAfterItsInstanceStops() throws Exception {
    assumeTrue(Cgroups.detect(CGROUP_ROOT).enforcesAny(), "no usable cgroup controller");
    TestPlugins.javaPlugin(plugins, "escaper", "test.plugins.escaper", MisbehavingPlugin.class, "", "");
    startManager(PluginManagerConfig.defaults(plugins));
    manager.register("test.plugins.escaper");
    long escaped = manager.execute("test.plugins.escaper", "escape", JSON.createObjectNode()).data().path("pid")
        .asLong();
    ProcessHandle grandchild = ProcessHandle.of(escaped).orElseThrow(() -> new AssertionError("not started"));
    try {
      manager.unregister("test.plugins.escaper");

      await().atMost(Duration.ofSeconds(30)).until(() -> !grandchild.isAlive());
    } finally {
      grandchild.destroyForcibly();
    }
  }

  @Test
  void aPluginWritingAFilePastTheSizeLimitIsRefusedWithTheReasonAndTheWorkerGoesOnServing() throws Exception {
    TestPlugins.javaPlugin(plugins, "writer", "test.plugins.writer", MisbehavingPlugin.class, "", "");
    startManager(PluginManagerConfig.defaults(plugins).withLimits(PluginLimits.DEFAULT.withFileSizeMb(4)));
    manager.register("test.plugins.writer");

    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute("test.plugins.writer", "write-file", JSON.createObjectNode().put("mb", 16)));

    assertTrue(error.getMessage().contains("File too large"), error.getMessage());
    assertEquals(3L * 1024 * 1024, manager.execute("test.plugins.writer", "write-file",
        JSON.createObjectNode().put("mb", 3)).data().path("written").asLong());
  }

  @Test
  void withRequireCgroupsAPluginIsNotStartedWhereCgroupsCannotBeUsedAndTheReasonSaysSo() throws Exception {
    Path readOnly = Files.createDirectories(state.resolve("not-a-cgroup-root"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    TestPlugins.javaPlugin(plugins, "strict", "test.plugins.strict", MisbehavingPlugin.class, "", "");
    startManager(PluginManagerConfig.defaults(plugins).withCgroupRoot(readOnly)
        .withLimits(PluginLimits.DEFAULT.withRequireCgroups(true)));
    manager.register("test.plugins.strict");

    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute("test.plugins.strict", "echo", JSON.createObjectNode()));

    assertTrue(error.getMessage().contains("cgroups are required (--require-cgroups) but not usable under "
        + readOnly), error.getMessage());
  }
}
