package io.jankrunner;

/** The closed set of error codes a result can carry (DESIGN.md, "Result"). */
public enum ErrorCode {
  INVALID_COMMAND(false),
  PLUGIN_NOT_FOUND(false),
  PLUGIN_UNAVAILABLE(true),
  PLUGIN_ERROR(false),
  TIMEOUT(true),
  EXPIRED(false),
  BUILD_FAILED(false),
  OVERLOADED(true),
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
