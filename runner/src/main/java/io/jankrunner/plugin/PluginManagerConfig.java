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
 */
public record PluginManagerConfig(Path pluginsDir, Path stateDir, Duration buildTimeout, Duration stopGrace,
                                  Duration defaultCallTimeout, Map<String, String> hostEnvironment) {

  public static final Duration DEFAULT_BUILD_TIMEOUT = Duration.ofMinutes(15);
  public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

  public PluginManagerConfig {
    pluginsDir = pluginsDir.toAbsolutePath().normalize();
    stateDir = stateDir.toAbsolutePath().normalize();
    hostEnvironment = Map.copyOf(hostEnvironment);
  }

  /** Defaults for everything but the plugins directory; state under the system temp dir. */
  public static PluginManagerConfig defaults(Path pluginsDir) {
    return new PluginManagerConfig(pluginsDir, defaultStateDir(), DEFAULT_BUILD_TIMEOUT, DEFAULT_STOP_GRACE,
        DEFAULT_CALL_TIMEOUT, System.getenv());
  }

  public PluginManagerConfig withStateDir(Path dir) {
    return new PluginManagerConfig(pluginsDir, dir, buildTimeout, stopGrace, defaultCallTimeout, hostEnvironment);
  }

  public PluginManagerConfig withBuildTimeout(Duration timeout) {
    return new PluginManagerConfig(pluginsDir, stateDir, timeout, stopGrace, defaultCallTimeout, hostEnvironment);
  }

  public PluginManagerConfig withStopGrace(Duration grace) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, grace, defaultCallTimeout, hostEnvironment);
  }

  public PluginManagerConfig withHostEnvironment(Map<String, String> environment) {
    return new PluginManagerConfig(pluginsDir, stateDir, buildTimeout, stopGrace, defaultCallTimeout, environment);
  }

  /** {@code $TMPDIR/jank-runner-$USER/processes}: gone after a reboot, as are the processes it names. */
  public static Path defaultStateDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), "jank-runner-" + System.getProperty("user.name"),
        "processes");
  }
}
