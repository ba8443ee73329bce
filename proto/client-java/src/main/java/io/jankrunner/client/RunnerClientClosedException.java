package io.jankrunner.client;

/**
 * How a call ends when its {@link RunnerClient} is closed before the result came (or is called
 * after the close). The command may have been sent and may still run: only this client stops
 * waiting for its result.
 */
public class RunnerClientClosedException extends IllegalStateException {

  private final String commandId;

  RunnerClientClosedException(String commandId, String message) {
    super(message);
    this.commandId = commandId;
  }

  public String commandId() {
    return commandId;
  }
}
