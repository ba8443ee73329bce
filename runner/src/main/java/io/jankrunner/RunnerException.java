package io.jankrunner;

import java.util.Optional;

/**
 * The root of every error the runner reports to a caller: it carries the {@link ErrorCode} the
 * result will show and, where one is involved, the plugin id.
 */
public class RunnerException extends Exception {

  private final ErrorCode code;
  private final String pluginId;

  public RunnerException(ErrorCode code, String pluginId, String message) {
    this(code, pluginId, message, null);
  }

  public RunnerException(ErrorCode code, String pluginId, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.pluginId = pluginId;
  }

  public ErrorCode code() {
    return code;
  }

  public Optional<String> pluginId() {
    return Optional.ofNullable(pluginId);
  }

  /** Whether the same call may succeed if tried again. */
  public boolean retriable() {
    return code.retriable();
  }
}
