package io.jankrunner.plugin.api;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;

/**
 * A plugin process could not be started or did not complete the handshake.
 * {@link #permanent()} when it will fail the same way on every start until someone changes the
 * plugin (its binary cannot be executed: exec format error, permission denied, not found), so
 * it is reported at once, not retried.
 */
public class PluginStartException extends RunnerException {

  private final boolean permanent;

  public PluginStartException(String pluginId, String message) {
    this(pluginId, message, null, false);
  }

  public PluginStartException(String pluginId, String message, Throwable cause) {
    this(pluginId, message, cause, false);
  }

  public PluginStartException(String pluginId, String message, Throwable cause, boolean permanent) {
    super(ErrorCode.PLUGIN_UNAVAILABLE, pluginId, message, cause);
    this.permanent = permanent;
  }

  /** Whether every start will fail like this one until the plugin is changed: retrying it only delays the news. */
  public boolean permanent() {
    return permanent;
  }
}
