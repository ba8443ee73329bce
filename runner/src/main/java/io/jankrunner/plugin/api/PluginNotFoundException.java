package io.jankrunner.plugin.api;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;

/** No plugin with this id is registered (or, for register and build, discovered). */
public class PluginNotFoundException extends RunnerException {
  public PluginNotFoundException(String pluginId, String message) {
    super(ErrorCode.PLUGIN_NOT_FOUND, pluginId, message);
  }
}
