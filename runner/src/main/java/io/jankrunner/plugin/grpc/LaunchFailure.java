package io.jankrunner.plugin.grpc;

import io.jankrunner.plugin.api.PluginStartException;
import java.util.OptionalInt;

/**
 * Why a launch did not become a running plugin, before any exit code or output is added:
 * {@code exited} when the process ended before its handshake (its exit code belongs in the
 * reason), {@code withOutput} when what it printed explains the failure.
 */
record LaunchFailure(String reason, boolean exited, boolean withOutput, Throwable cause)
    implements HandshakeLine.Result {

  /**
   * The one place a failed launch becomes the exception the pool sees: the reason, the exit code
   * of a process that ended before its handshake, the last lines it printed ({@code output}, as
   * {@link LaunchedProcess#outputText} writes them; empty for none), and the cause.
   */
  static PluginStartException toException(String pluginId, String reason, OptionalInt exitCode, String output,
                                          Throwable cause) {
    String exit = exitCode.isPresent() ? " (exit code " + exitCode.getAsInt() + ")" : "";
    return new PluginStartException(pluginId, reason + exit + output, cause);
  }
}
