package io.jankrunner.plugin.api;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;

/** {@code scripts/build.sh} failed, timed out, or did not produce the declared binary. */
public class BuildFailedException extends RunnerException {
  private final BuildResult result;

  public BuildFailedException(String pluginId, String message, BuildResult result) {
    super(ErrorCode.BUILD_FAILED, pluginId, message);
    this.result = result;
  }

  /** The build's outcome, with the tail of its output. */
  public BuildResult result() {
    return result;
  }
}
