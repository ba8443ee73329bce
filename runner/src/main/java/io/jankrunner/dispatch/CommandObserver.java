package io.jankrunner.dispatch;

import io.jankrunner.command.Command;
import io.jankrunner.result.Result;
import java.time.Duration;

/** Sees every command the {@link Dispatcher} answers (metrics); must be quick and must not throw. */
@FunctionalInterface
public interface CommandObserver {

  /** {@code handling} is the time spent in the dispatcher; the result says when the command was received. */
  void answered(Command command, Result result, Duration handling);

  CommandObserver NONE = (command, result, handling) -> { };
}
