package io.jankrunner.plugin;

import io.jankrunner.plugin.isolation.Isolation;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.PluginSeparation;
import io.jankrunner.plugin.pool.PoolSettings;
import io.jankrunner.plugin.pool.RestartPolicy;
import io.jankrunner.plugin.process.StateDirs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How a {@link PluginManager} runs.
 *
 * @param pluginsDir the directory whose subdirectories are plugins
 * @param stateDir the worker's private directory on this machine ({@link StateDirs}): the journal of
 *     child processes a later run sweeps, build stamps, and the parent of instance temp dirs;
 *     refused at start if someone else made it or could change it
 * @param buildTimeout how long a {@code scripts/build.sh} may run
 * @param stopGrace how long a stopping plugin gets for in-flight calls, and again after SIGTERM
 * @param defaultCallTimeout the bound of a call when neither caller nor plugin sets one
 * @param hostEnvironment the worker's environment; plugins see only PATH, HOME, LANG,
 *     TMPDIR and the names their manifest lists in {@code runner.env}
 * @param cgroupRoot where the cgroup filesystem is mounted; plugin limits fall back to rlimits
 *     when no usable controller is found there
 * @param pluginUser who plugin processes run as when the worker is root: {@code auto} (a uid of
 *     their own each, from {@code separation.uids()}), a user name or {@code uid:gid} (one user
 *     all plugins share; never root nor the worker's uid), or {@code worker} for the worker's
 *     own user
 * @param maxPlugins how many plugins may be registered at once
 * @param restartPolicy crash backoff and quarantine, where a plugin's {@code runner} block does not say
 * @param healthCheckInterval how often an idle instance is asked {@code HealthCheck}
 * @param healthCheckTimeout how long an instance has to answer one before it is taken for hung
 * @param limits the operator's defaults and ceilings for every instance's memory, processes, CPU,
 *     file size, open files, instances and concurrency
 * @param separation the plugin uid range, whether plugins may have the host's network, and
 *     whether a network namespace per instance is required
 */
public record PluginManagerConfig(Path pluginsDir, Path stateDir, Duration buildTimeout, Duration stopGrace,
                                  Duration defaultCallTimeout, Map<String, String> hostEnvironment,
                                  Path cgroupRoot, String pluginUser, int maxPlugins,
                                  RestartPolicy restartPolicy, Duration healthCheckInterval,
                                  Duration healthCheckTimeout, PluginLimits limits, PluginSeparation separation) {

  public static final Duration DEFAULT_BUILD_TIMEOUT = Duration.ofMinutes(15);
  public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
  public static final Path DEFAULT_CGROUP_ROOT = Path.of("/sys/fs/cgroup");
  /** Overrides the default plugin user, e.g. {@code JANK_PLUGIN_USER=worker} for a dev checkout under /root. */
  public static final String PLUGIN_USER_ENV = "JANK_PLUGIN_USER";
  public static final String AUTO_PLUGIN_USER = Isolation.AUTO_PLUGIN_USER;
  public static final int DEFAULT_MAX_PLUGINS = 100;
  public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(2);

  public PluginManagerConfig {
    pluginsDir = pluginsDir.toAbsolutePath().normalize();
    stateDir = stateDir.toAbsolutePath().normalize();
    hostEnvironment = Map.copyOf(hostEnvironment);
    cgroupRoot = cgroupRoot.toAbsolutePath().normalize();
    if (pluginUser == null || pluginUser.isBlank()) {
      pluginUser = AUTO_PLUGIN_USER;
    }
    separation = separation == null ? PluginSeparation.DEFAULT : separation;
    if (maxPlugins < 1) {
      throw new IllegalArgumentException("maxPlugins must be at least 1: " + maxPlugins);
    }
  }

  /** Defaults for isolation and lifecycle; the plugin user may come from {@code JANK_PLUGIN_USER}. */
  public PluginManagerConfig(Path pluginsDir, Path stateDir, Duration buildTimeout, Duration stopGrace,
                             Duration defaultCallTimeout, Map<String, String> hostEnvironment) {
    this(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment, DEFAULT_CGROUP_ROOT,
        hostEnvironment.getOrDefault(PLUGIN_USER_ENV, AUTO_PLUGIN_USER), DEFAULT_MAX_PLUGINS, RestartPolicy.DEFAULT,
        DEFAULT_HEALTH_CHECK_INTERVAL, DEFAULT_HEALTH_CHECK_TIMEOUT, PluginLimits.fromEnvironment(hostEnvironment),
        PluginSeparation.fromEnvironment(hostEnvironment));
  }

  /** Defaults for everything but the plugins directory; state in {@link #defaultStateDir()}. */
  public static PluginManagerConfig defaults(Path pluginsDir) {
    return new PluginManagerConfig(pluginsDir, defaultStateDir(), DEFAULT_BUILD_TIMEOUT, DEFAULT_STOP_GRACE,
        DEFAULT_CALL_TIMEOUT, System.getenv());
  }

  public PluginManagerConfig withStateDir(Path dir) {
    return new PluginManagerConfig(pluginsDir, dir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withBuildTimeout(Duration timeout) {
    return new PluginManagerConfig(pluginsDir, stateDir, timeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withStopGrace(Duration grace) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, grace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withHostEnvironment(Map<String, String> environment) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, environment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withCgroupRoot(Path root) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        root, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withPluginUser(String user) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, user, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withMaxPlugins(int max) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, max, restartPolicy, healthCheckInterval, healthCheckTimeout, limits, separation);
  }

  public PluginManagerConfig withHealthChecks(Duration interval, Duration timeout) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, interval, timeout, limits, separation);
  }

  public PluginManagerConfig withLimits(PluginLimits pluginLimits) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, pluginLimits,
        separation);
  }

  public PluginManagerConfig withSeparation(PluginSeparation pluginSeparation) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        cgroupRoot, pluginUser, maxPlugins, restartPolicy, healthCheckInterval, healthCheckTimeout, limits,
        pluginSeparation);
  }

  /** What the pools of this manager's plugins run by. */
  public PoolSettings poolSettings() {
    return new PoolSettings(restartPolicy, stopGrace, healthCheckInterval, healthCheckTimeout);
  }

  /**
   * {@code /run/jank-runner} for a root worker, else {@code $TMPDIR/jank-runner-<uid>}: gone
   * after a reboot, as are the processes its journal names.
   */
  public static Path defaultStateDir() {
    return StateDirs.defaultRoot();
  }
}
