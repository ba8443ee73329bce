package io.jankrunner.plugin.api;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;

/** A plugin process could not be started or did not complete the handshake. */
public class PluginStartException extends RunnerException {
  public PluginStartException(String pluginId, String message) {
    super(ErrorCode.PLUGIN_UNAVAILABLE, pluginId, message);
  }

  public PluginStartException(String pluginId, String message, Throwable cause) {
    super(ErrorCode.PLUGIN_UNAVAILABLE, pluginId, message, cause);
  }
}
