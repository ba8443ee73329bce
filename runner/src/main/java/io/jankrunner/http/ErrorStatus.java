package io.jankrunner.http;

import io.jankrunner.ErrorCode;
import java.util.EnumMap;
import java.util.Map;

/** The HTTP status for each of the runner's error codes: the one table. */
final class ErrorStatus {

  private static final Map<ErrorCode, Integer> STATUS = new EnumMap<>(Map.of(
      ErrorCode.INVALID_COMMAND, 400,
      ErrorCode.PLUGIN_NOT_FOUND, 404,
      // The plugin ran and answered with an error: the upstream failed, not this server.
      ErrorCode.PLUGIN_ERROR, 502,
      ErrorCode.PLUGIN_UNAVAILABLE, 503,
      ErrorCode.TIMEOUT, 504,
      ErrorCode.EXPIRED, 504,
      ErrorCode.BUILD_FAILED, 422,
      ErrorCode.OVERLOADED, 429,
      ErrorCode.RESULT_TOO_LARGE, 500,
      ErrorCode.INTERNAL, 500));

  /** A plugin that exists in the plugins directory but is not registered: a state conflict. */
  static final int NOT_REGISTERED = 409;

  private ErrorStatus() {}

  static int of(ErrorCode code) {
    return STATUS.getOrDefault(code, 500);
  }
}
