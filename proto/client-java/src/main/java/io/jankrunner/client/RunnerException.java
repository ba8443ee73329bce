package io.jankrunner.client;

import java.util.Optional;

/**
 * A call that did not succeed: the worker answered with an error ({@link #result()} is that
 * result), or no result came in time ({@link ErrorCode#TIMEOUT} without a result).
 */
public class RunnerException extends RuntimeException {

  private final ErrorCode code;
  private final String commandId;
  private final Result result;

  RunnerException(ErrorCode code, String commandId, String message, Result result) {
    super(message);
    this.code = code;
    this.commandId = commandId;
    this.result = result;
  }

  /** The worker's error result as an exception. */
  static RunnerException of(Result result) {
    Result.Error error = result.error().orElseThrow();
    return new RunnerException(error.code(), result.id(), error.codeName() + ": " + error.message(), result);
  }

  /** No result for {@code commandId} reached the client within {@code waitedMs}. */
  static RunnerException timedOut(String commandId, long waitedMs) {
    return new RunnerException(ErrorCode.TIMEOUT, commandId,
        "no result for " + commandId + " within " + waitedMs + " ms", null);
  }

  public ErrorCode code() {
    return code;
  }

  public String commandId() {
    return commandId;
  }

  /** The error result the worker sent, when there was one. */
  public Optional<Result> result() {
    return Optional.ofNullable(result);
  }

  /**
   * Whether the same command may succeed if sent again: the worker's own flag when it answered
   * (it knows codes a client may not, see {@link ErrorCode#UNRECOGNIZED}), else the code's.
   */
  public boolean retriable() {
    return result != null ? result.error().map(Result.Error::retriable).orElse(code.retriable()) : code.retriable();
  }
}
