package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The operator's bounds on every plugin instance: defaults for what a manifest leaves out, and
 * ceilings a manifest may stay under but never raise. A manifest that asks for more than a
 * ceiling is clamped to it (and the clamp is logged with both values by whoever registers it):
 * clamping rather than refusing keeps a plugin that asks generously usable on a smaller worker.
 * {@code fileSizeMb} (RLIMIT_FSIZE, which bounds what an instance writes to its TMPDIR or
 * anywhere else) and {@code openFiles} (RLIMIT_NOFILE) are the operator's alone.
 *
 * @param requireCgroups refuse to start plugins where the memory, pids and cpu controllers (and on
 *     cgroup v1 the freezer) cannot be used, instead of falling back to rlimits
 * @param rebuildInterval the least time between two builds of one plugin that new {@code build_id}s
 *     in the registry trigger on a worker; requests in between are coalesced into one build of
 *     the latest {@code build_id} once the interval has passed
 */
public record PluginLimits(long memoryMbDefault, long memoryMbMax, int maxProcessesDefault, int maxProcessesMax,
                           int cpuMillisDefault, int cpuMillisMax, int maxInstancesMax, int maxConcurrencyMax,
                           long fileSizeMb, int openFiles, boolean requireCgroups, Duration rebuildInterval) {

  public static final PluginLimits DEFAULT = new PluginLimits(2048, 8192, 1024, 4096, 2000, 4000, 16, 1024, 1024, 1024,
      false, Duration.ofSeconds(60));

  /** The environment variables an operator sets the limits with, each named after its worker option. */
  public static final String MEMORY_MB_ENV = "JANK_PLUGIN_MEMORY_MB";
  public static final String MEMORY_MB_MAX_ENV = "JANK_PLUGIN_MEMORY_MB_MAX";
  public static final String PROCESSES_ENV = "JANK_PLUGIN_MAX_PROCESSES";
  public static final String PROCESSES_MAX_ENV = "JANK_PLUGIN_MAX_PROCESSES_MAX";
  public static final String CPU_MILLIS_ENV = "JANK_PLUGIN_CPU_MILLIS";
  public static final String CPU_MILLIS_MAX_ENV = "JANK_PLUGIN_CPU_MILLIS_MAX";
  public static final String MAX_INSTANCES_MAX_ENV = "JANK_PLUGIN_MAX_INSTANCES_MAX";
  public static final String MAX_CONCURRENCY_MAX_ENV = "JANK_PLUGIN_MAX_CONCURRENCY_MAX";
  public static final String FILE_SIZE_MB_ENV = "JANK_PLUGIN_FILE_SIZE_MB";
  public static final String OPEN_FILES_ENV = "JANK_PLUGIN_OPEN_FILES";
  public static final String REQUIRE_CGROUPS_ENV = "JANK_REQUIRE_CGROUPS";
  public static final String REBUILD_INTERVAL_ENV = "JANK_REBUILD_INTERVAL_SECONDS";

  public PluginLimits {
    positive("memory MiB default", memoryMbDefault);
    positive("memory MiB ceiling", memoryMbMax);
    positive("max processes default", maxProcessesDefault);
    positive("max processes ceiling", maxProcessesMax);
    positive("cpu millis default", cpuMillisDefault);
    positive("cpu millis ceiling", cpuMillisMax);
    positive("max_instances ceiling", maxInstancesMax);
    positive("max_concurrency ceiling", maxConcurrencyMax);
    positive("file size MiB", fileSizeMb);
    positive("open files", openFiles);
    if (rebuildInterval.isNegative()) {
      throw new IllegalArgumentException("the rebuild interval may not be negative: " + rebuildInterval);
    }
    // A default above its ceiling would be clamped on every plugin: take the ceiling as the default.
    memoryMbDefault = Math.min(memoryMbDefault, memoryMbMax);
    maxProcessesDefault = Math.min(maxProcessesDefault, maxProcessesMax);
    cpuMillisDefault = Math.min(cpuMillisDefault, cpuMillisMax);
  }

  /** The limits from {@code JANK_PLUGIN_*} variables, {@link #DEFAULT} for each one not set. */
  public static PluginLimits fromEnvironment(Map<String, String> env) {
    Function<String, String> get = name -> {
      String value = env.get(name);
      return value == null || value.isBlank() ? null : value.strip();
    };
    return new PluginLimits(
        number(get, MEMORY_MB_ENV, DEFAULT.memoryMbDefault), number(get, MEMORY_MB_MAX_ENV, DEFAULT.memoryMbMax),
        (int) number(get, PROCESSES_ENV, DEFAULT.maxProcessesDefault),
        (int) number(get, PROCESSES_MAX_ENV, DEFAULT.maxProcessesMax),
        (int) number(get, CPU_MILLIS_ENV, DEFAULT.cpuMillisDefault),
        (int) number(get, CPU_MILLIS_MAX_ENV, DEFAULT.cpuMillisMax),
        (int) number(get, MAX_INSTANCES_MAX_ENV, DEFAULT.maxInstancesMax),
        (int) number(get, MAX_CONCURRENCY_MAX_ENV, DEFAULT.maxConcurrencyMax),
        number(get, FILE_SIZE_MB_ENV, DEFAULT.fileSizeMb), (int) number(get, OPEN_FILES_ENV, DEFAULT.openFiles),
        Boolean.parseBoolean(get.apply(REQUIRE_CGROUPS_ENV)),
        Duration.ofSeconds(number(get, REBUILD_INTERVAL_ENV, DEFAULT.rebuildInterval.toSeconds())));
  }

  public PluginLimits withFileSizeMb(long mb) {
    return new PluginLimits(memoryMbDefault, memoryMbMax, maxProcessesDefault, maxProcessesMax, cpuMillisDefault,
        cpuMillisMax, maxInstancesMax, maxConcurrencyMax, mb, openFiles, requireCgroups, rebuildInterval);
  }

  public PluginLimits withRequireCgroups(boolean require) {
    return new PluginLimits(memoryMbDefault, memoryMbMax, maxProcessesDefault, maxProcessesMax, cpuMillisDefault,
        cpuMillisMax, maxInstancesMax, maxConcurrencyMax, fileSizeMb, openFiles, require, rebuildInterval);
  }

  /** The memory limit of an instance: the manifest's, else the default, never above the ceiling. */
  public long memoryMb(OptionalLong asked) {
    return Math.min(asked.orElse(memoryMbDefault), memoryMbMax);
  }

  public int maxProcesses(OptionalInt asked) {
    return Math.min(asked.orElse(maxProcessesDefault), maxProcessesMax);
  }

  public int cpuMillis(OptionalInt asked) {
    return Math.min(asked.orElse(cpuMillisDefault), cpuMillisMax);
  }

  /**
   * {@code manifest} with every limit it sets held to the ceilings (the defaults for what it
   * leaves out are filled in per instance, by {@link Isolation}); {@code clamped} gets one sentence per value the manifest asked past a ceiling.
   */
  public PluginManifest apply(PluginManifest manifest, List<String> clamped) {
    RunnerSettings r = manifest.runner();
    List<String> notes = new ArrayList<>();
    clampNote(notes, "memory_mb", r.memoryMb().isPresent() ? r.memoryMb().getAsLong() : 0, memoryMbMax);
    clampNote(notes, "max_processes", r.maxProcesses().orElse(0), maxProcessesMax);
    clampNote(notes, "cpu_millis", r.cpuMillis().orElse(0), cpuMillisMax);
    clampNote(notes, "max_instances", r.maxInstances(), maxInstancesMax);
    clampNote(notes, "max_concurrency", r.maxConcurrency(), maxConcurrencyMax);
    clamped.addAll(notes);
    int maxInstances = Math.min(r.maxInstances(), maxInstancesMax);
    RunnerSettings bounded = new RunnerSettings(r.timeout(), Math.min(r.maxConcurrency(), maxConcurrencyMax),
        Math.min(r.minInstances(), maxInstances), maxInstances, r.idleTtl(),
        r.memoryMb().isPresent() ? OptionalLong.of(memoryMb(r.memoryMb())) : OptionalLong.empty(),
        r.maxProcesses().isPresent() ? OptionalInt.of(maxProcesses(r.maxProcesses())) : OptionalInt.empty(),
        r.env(), r.sha256(), r.retry(), r.idempotentMethods(),
        r.cpuMillis().isPresent() ? OptionalInt.of(cpuMillis(r.cpuMillis())) : OptionalInt.empty(), r.lifecycle(),
        r.methods(), r.network());
    return new PluginManifest(manifest.id(), manifest.name(), manifest.version(), manifest.author(),
        manifest.description(), manifest.repository(), manifest.type(), manifest.binary(), manifest.autoStart(),
        manifest.startTimeout(), manifest.minPort(), manifest.maxPort(), manifest.autoMtls(), manifest.managed(),
        bounded);
  }

  private static void clampNote(List<String> notes, String field, long asked, long ceiling) {
    if (asked > ceiling) {
      notes.add(field + " " + asked + " is above the operator's ceiling " + ceiling + ": clamped to " + ceiling);
    }
  }

  private static long number(Function<String, String> get, String name, long fallback) {
    String value = get.apply(name);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number: " + value, e);
    }
  }

  private static void positive(String what, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be at least 1: " + value);
    }
  }
}
