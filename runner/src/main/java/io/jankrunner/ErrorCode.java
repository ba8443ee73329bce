package io.jankrunner;

/** The closed set of error codes a result can carry, each saying whether a retry may succeed. */
public enum ErrorCode {
  INVALID_COMMAND(false),
  /** The args do not match the method's schema in plugin.json; the plugin was not called. */
  INVALID_ARGS(false),
  PLUGIN_NOT_FOUND(false),
  PLUGIN_UNAVAILABLE(true),
  PLUGIN_ERROR(false),
  TIMEOUT(true),
  EXPIRED(false),
  BUILD_FAILED(false),
  OVERLOADED(true),
  /** The plugin answered, but its result is larger than a record may be; the size and limit are in the message. */
  RESULT_TOO_LARGE(false),
  INTERNAL(true);

  private final boolean retriable;

  ErrorCode(boolean retriable) {
    this.retriable = retriable;
  }

  /** Whether the same command may succeed if sent again later. */
  public boolean retriable() {
    return retriable;
  }
}
