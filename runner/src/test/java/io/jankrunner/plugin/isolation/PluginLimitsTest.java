package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The operator's defaults and ceilings, and the environment a build gets. */
class PluginLimitsTest {

  @Test
  void environmentVariablesSetTheDefaultsAndCeilingsAndTheRestKeepTheirDefaults() {
    PluginLimits limits = PluginLimits.fromEnvironment(Map.of(PluginLimits.MEMORY_MB_MAX_ENV, "300",
        PluginLimits.PROCESSES_ENV, "32", PluginLimits.REQUIRE_CGROUPS_ENV, "true",
        PluginLimits.REBUILD_INTERVAL_ENV, "5"));

    assertEquals(300, limits.memoryMbMax());
    assertEquals(300, limits.memoryMbDefault(), "a default above its ceiling is the ceiling");
    assertEquals(32, limits.maxProcessesDefault());
    assertEquals(PluginLimits.DEFAULT.cpuMillisDefault(), limits.cpuMillisDefault());
    assertTrue(limits.requireCgroups());
    assertEquals(Duration.ofSeconds(5), limits.rebuildInterval());
  }

  @Test
  void aManifestMayLowerALimitButNotRaiseItPastTheCeiling() {
    PluginLimits limits = PluginLimits.DEFAULT;

    assertEquals(limits.memoryMbDefault(), limits.memoryMb(OptionalLong.empty()));
    assertEquals(128, limits.memoryMb(OptionalLong.of(128)));
    assertEquals(limits.memoryMbMax(), limits.memoryMb(OptionalLong.of(1L << 20)));
    assertEquals(limits.maxProcessesMax(), limits.maxProcesses(OptionalInt.of(1 << 20)));
  }

  @Test
  void aLimitThatIsNotANumberIsRefusedNamingTheVariable() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> PluginLimits.fromEnvironment(Map.of(PluginLimits.OPEN_FILES_ENV, "many")));

    assertTrue(error.getMessage().contains(PluginLimits.OPEN_FILES_ENV), error.getMessage());
  }

  @Test
  void aBuildGetsNeitherTheWorkersHomeNorItsTmpdirOnlyItsToolCachesByNameWhenItKeepsTheWorkersUser() {
    Map<String, String> host = Map.of("HOME", "/root", "TMPDIR", "/tmp", "PATH", "/usr/bin",
        "KAFKA_SASL_PASSWORD", "secret");

    Map<String, String> asWorker = PluginEnvironment.forBuild(host, true);
    Map<String, String> asPluginUser = PluginEnvironment.forBuild(host, false);

    assertFalse(asWorker.containsKey("HOME"));
    assertFalse(asWorker.containsKey("TMPDIR"));
    assertFalse(asWorker.containsKey("KAFKA_SASL_PASSWORD"));
    assertEquals("-Dmaven.repo.local=/root/.m2/repository", asWorker.get("MAVEN_OPTS"));
    assertEquals("/root/.m2", asWorker.get("MAVEN_USER_HOME"));
    assertFalse(asPluginUser.values().stream().anyMatch(value -> value.contains("/root")), asPluginUser.toString());
  }
}
