package io.jankrunner.plugin.grpc;

import io.jankrunner.plugin.api.PluginStartException;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Why a launch did not become a running plugin, before any exit code or output is added:
 * {@code exited} when the process ended before its handshake (its exit code belongs in the
 * reason), {@code withOutput} when what it printed explains the failure.
 */
record LaunchFailure(String reason, boolean exited, boolean withOutput, Throwable cause)
    implements HandshakeLine.Result {

  /** The last lines a plugin printed on stdout and on stderr. */
  record Output(String stdout, String stderr) {

    /** How an error reason ends with them: "; stdout: …; stderr: …", or "; no output". */
    String text() {
      StringBuilder text = new StringBuilder();
      if (!stdout.isBlank()) {
        text.append("; stdout: ").append(stdout);
      }
      if (!stderr.isBlank()) {
        text.append("; stderr: ").append(stderr);
      }
      return text.isEmpty() ? "; no output" : text.toString();
    }
  }

  /** Exec errors that no retry cures: ENOENT, ENOEXEC, EACCES, ENOTDIR, ELOOP, as Java's launcher reports them. */
  private static final Pattern EXEC_ERROR = Pattern.compile("error=(2|8|13|20|40),");

  /**
   * The one place a failed launch becomes the exception the pool sees: the reason, the exit code
   * of a process that ended before its handshake, the last lines it printed when they explain
   * the failure, and the cause (for a spawn that failed, the spawner's {@code IOException}).
   */
  static PluginStartException toException(String pluginId, String reason, OptionalInt exitCode,
                                          Optional<Output> output, Throwable cause) {
    String exit = exitCode.isPresent() ? " (exit code " + exitCode.getAsInt() + ")" : "";
    return new PluginStartException(pluginId, reason + exit + output.map(Output::text).orElse(""), cause,
        cannotExecute(exitCode, cause));
  }

  /**
   * Whether the binary itself cannot be executed: the exec failed (not found, exec format error,
   * permission denied), or what ran it exited 126 or 127 before any handshake (the shell's and
   * setpriv's codes for "cannot execute" and "not found"; a file without a shebang line is run
   * by the shell and ends so too). Not a slow or crashing plugin, which a restart may cure.
   */
  static boolean cannotExecute(OptionalInt exitCode, Throwable cause) {
    if (exitCode.isPresent()) {
      return exitCode.getAsInt() == 126 || exitCode.getAsInt() == 127;
    }
    return cause instanceof IOException io && io.getMessage() != null && EXEC_ERROR.matcher(io.getMessage()).find();
  }
}
