package io.jankrunner.plugin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How a {@link PluginManager} runs.
 *
 * @param pluginsDir the directory whose subdirectories are plugins
 * @param stateDir where child processes are journaled so a later run can sweep orphans
 * @param buildTimeout how long a {@code scripts/build.sh} may run
 * @param stopGrace how long a stopping plugin gets for in-flight calls, and again after SIGTERM
 * @param defaultCallTimeout the bound of a call when neither caller nor plugin sets one
 * @param hostEnvironment the worker's environment; plugins see only the names DESIGN.md allows
 * @param restartPolicy crash backoff and quarantine, where a plugin's {@code runner} block does not say
 * @param healthCheckInterval how often an idle instance is asked {@code HealthCheck}
 * @param healthCheckTimeout how long an instance has to answer one before it is taken for hung
 */
public record PluginManagerConfig(Path pluginsDir, Path stateDir, Duration buildTimeout, Duration stopGrace,
                                  Duration defaultCallTimeout, Map<String, String> hostEnvironment,
                                  RestartPolicy restartPolicy, Duration healthCheckInterval,
                                  Duration healthCheckTimeout) {

  public static final Duration DEFAULT_BUILD_TIMEOUT = Duration.ofMinutes(15);
  public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(2);

  public PluginManagerConfig {
    pluginsDir = pluginsDir.toAbsolutePath().normalize();
    stateDir = stateDir.toAbsolutePath().normalize();
    hostEnvironment = Map.copyOf(hostEnvironment);
  }

  /** Defaults for everything but the plugins directory; state under the system temp dir. */
  public static PluginManagerConfig defaults(Path pluginsDir) {
    return new PluginManagerConfig(pluginsDir, defaultStateDir(), DEFAULT_BUILD_TIMEOUT, DEFAULT_STOP_GRACE,
        DEFAULT_CALL_TIMEOUT, System.getenv(), RestartPolicy.DEFAULT, DEFAULT_HEALTH_CHECK_INTERVAL,
        DEFAULT_HEALTH_CHECK_TIMEOUT);
  }

  public PluginManagerConfig withStateDir(Path dir) {
    return new PluginManagerConfig(pluginsDir, dir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        restartPolicy, healthCheckInterval, healthCheckTimeout);
  }

  public PluginManagerConfig withBuildTimeout(Duration timeout) {
    return new PluginManagerConfig(pluginsDir, stateDir, timeout, stopGrace, defaultCallTimeout, hostEnvironment,
        restartPolicy, healthCheckInterval, healthCheckTimeout);
  }

  public PluginManagerConfig withStopGrace(Duration grace) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, grace, defaultCallTimeout, hostEnvironment,
        restartPolicy, healthCheckInterval, healthCheckTimeout);
  }

  public PluginManagerConfig withHostEnvironment(Map<String, String> environment) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, environment,
        restartPolicy, healthCheckInterval, healthCheckTimeout);
  }

  public PluginManagerConfig withRestartPolicy(RestartPolicy policy) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        policy, healthCheckInterval, healthCheckTimeout);
  }

  public PluginManagerConfig withHealthChecks(Duration interval, Duration timeout) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment,
        restartPolicy, interval, timeout);
  }

  /** {@code $TMPDIR/jank-runner-$USER/processes}: gone after a reboot, as are the processes it names. */
  public static Path defaultStateDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), "jank-runner-" + System.getProperty("user.name"),
        "processes");
  }
}
