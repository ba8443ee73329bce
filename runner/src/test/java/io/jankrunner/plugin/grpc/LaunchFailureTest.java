package io.jankrunner.plugin.grpc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.api.PluginStartException;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Which failed launches will fail the same way on every start, and are said to be. */
class LaunchFailureTest {

  @Test
  void exitingWithTheShellsCannotExecuteCodesBeforeTheHandshakeIsPermanent() {
    // A text file without a shebang is run by sh (execvp's fallback), which exits 127: "not found".
    PluginStartException notFound = LaunchFailure.toException("p", "plugin exited before its handshake",
        OptionalInt.of(127), Optional.of(new LaunchFailure.Output("", "p: 1: hello: not found")), null);
    assertTrue(notFound.permanent());
    assertTrue(notFound.getMessage().endsWith("(exit code 127); stderr: p: 1: hello: not found"),
        notFound.getMessage());
    assertTrue(LaunchFailure.toException("p", "exited", OptionalInt.of(126), Optional.empty(), null).permanent());
  }

  @Test
  void anExecErrorFromTheLauncherIsPermanent() {
    for (String error : new String[] {"error=8, Exec format error", "error=13, Permission denied",
        "error=2, No such file or directory"}) {
      IOException cause = new IOException("Cannot run program \"/p/bin/plugin\" (in directory \"/p\"): " + error);
      assertTrue(LaunchFailure.toException("p", "could not launch /p/bin/plugin: " + cause.getMessage(),
          OptionalInt.empty(), Optional.empty(), cause).permanent(), error);
    }
  }

  @Test
  void failuresARestartMayCureAreNot() {
    assertFalse(LaunchFailure.toException("p", "plugin exited before its handshake", OptionalInt.of(1), Optional.empty(), null)
        .permanent());
    assertFalse(LaunchFailure.toException("p", "no handshake within start_timeout 10 ms", OptionalInt.empty(), Optional.empty(),
        null).permanent());
    IOException outOfProcesses = new IOException("Cannot run program \"x\": error=11, Resource temporarily unavailable");
    assertFalse(LaunchFailure.toException("p", "could not launch", OptionalInt.empty(), Optional.empty(), outOfProcesses)
        .permanent());
    assertFalse(LaunchFailure.toException("p", "killed", OptionalInt.of(137), Optional.empty(), null).permanent());
  }
}
