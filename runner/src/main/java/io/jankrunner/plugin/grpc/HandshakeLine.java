package io.jankrunner.plugin.grpc;

import io.jankrunner.protocol.Handshake;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The wait for go-plugin's handshake line, the first line a plugin prints on stdout: what it came
 * to, a handshake or the reason there is none. Only the wait and the parse; the process is
 * {@link LaunchedProcess}'s.
 */
final class HandshakeLine {

  /** A parsed handshake, or a {@link LaunchFailure}. */
  sealed interface Result permits Received, LaunchFailure {}

  record Received(Handshake handshake) implements Result {}

  private HandshakeLine() {}

  /**
   * Waits up to {@code startTimeout} for {@code firstLine} (empty when stdout closed before a
   * line) and parses it.
   */
  static Result await(Future<Optional<String>> firstLine, Duration startTimeout) {
    try {
      Optional<String> line = firstLine.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (line.isEmpty()) {
        return new LaunchFailure("plugin exited before its handshake", true, true, null);
      }
      return new Received(Handshake.parse(line.get()));
    } catch (TimeoutException e) {
      return new LaunchFailure("no handshake within start_timeout " + startTimeout.toMillis() + " ms", false, true,
          null);
    } catch (IllegalArgumentException e) {
      return new LaunchFailure("invalid handshake: " + e.getMessage(), false, true, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new LaunchFailure("interrupted while waiting for the handshake", false, false, null);
    } catch (ExecutionException e) {
      return new LaunchFailure("could not read the handshake: " + e.getCause(), false, false, e.getCause());
    }
  }
}
