package io.jankrunner.client;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The error codes a result can carry (the {@code errorCode} of {@code proto/contract/result.schema.json}),
 * each saying whether sending the same command again may succeed. The same list as the runner's
 * own; a unit test in the runner module holds the two together.
 */
public enum ErrorCode {
  /** Not a command, or refused; the message says why. */
  INVALID_COMMAND(false),
  /** The args do not match the method's schema in plugin.json; the plugin was not called. */
  INVALID_ARGS(false),
  /** The plugin is not registered. */
  PLUGIN_NOT_FOUND(false),
  /** The plugin could not be started, crashed, or its circuit is open. */
  PLUGIN_UNAVAILABLE(true),
  /** The plugin answered with an error; its message is kept. */
  PLUGIN_ERROR(false),
  /**
   * The call outlived its bound: answered so by a worker, or no result reached this client within
   * the call's timeout (plus the client's result grace).
   */
  TIMEOUT(true),
  /** Past its deadline before it ran. */
  EXPIRED(false),
  /** The plugin's build failed. */
  BUILD_FAILED(false),
  /** The plugin's bulkhead stayed full. */
  OVERLOADED(true),
  /** The plugin answered, but its result is larger than a record may be. */
  RESULT_TOO_LARGE(false),
  /** A fault of the runner. */
  INTERNAL(true),
  /**
   * A code this client does not know, from a newer runner (as protobuf's Java enums have
   * {@code UNRECOGNIZED}): the result's own {@code retriable} flag then says what to do, see
   * {@link RunnerException#retriable()}.
   */
  UNRECOGNIZED(false);

  private static final Map<String, ErrorCode> BY_NAME = Arrays.stream(values())
      .filter(code -> code != UNRECOGNIZED)
      .collect(Collectors.toUnmodifiableMap(Enum::name, Function.identity()));

  private final boolean retriable;

  ErrorCode(boolean retriable) {
    this.retriable = retriable;
  }

  /** Whether the same command may succeed if sent again later. */
  public boolean retriable() {
    return retriable;
  }

  /** The code of that name in a result, or {@link #UNRECOGNIZED}. */
  public static ErrorCode of(String name) {
    return name == null ? UNRECOGNIZED : BY_NAME.getOrDefault(name, UNRECOGNIZED);
  }
}
