package io.jankrunner;

import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

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

  /**
   * What a future failed with, without the {@link CompletionException} or
   * {@link ExecutionException} wrappers that dependent stages and {@code join} add.
   */
  public static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Waits for {@code future}; its failure is thrown as the runner error it is, else as INTERNAL. */
  public static <T> T await(CompletableFuture<T> future) throws RunnerException {
    try {
      return future.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof RunnerException runner) {
        throw runner;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new RunnerException(ErrorCode.INTERNAL, null, cause.toString(), cause);
    }
  }
}
