package io.jankrunner.plugin.api;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;

/**
 * A call to a running plugin failed: {@code PLUGIN_ERROR} (the plugin answered with an error),
 * {@code PLUGIN_UNAVAILABLE} (the process is gone or unreachable), or {@code TIMEOUT}.
 */
public class PluginCallException extends RunnerException {
  public PluginCallException(ErrorCode code, String pluginId, String message) {
    super(code, pluginId, message);
  }

  public PluginCallException(ErrorCode code, String pluginId, String message, Throwable cause) {
    super(code, pluginId, message, cause);
  }
}
