package io.jankrunner.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jank-runner} command line: {@code scripts/runner} runs this. */
@Command(name = "runner", mixinStandardHelpOptions = true, version = "jank-runner 0.1.0",
    description = "A serverless-style job runner for Jank-compatible plugins.",
    subcommands = {PluginsCommand.class, WorkerCommand.class, SendCommand.class, TailCommand.class,
        CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests and embedding). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** Runs the command line with its output and errors going to the given writers (for tests). */
  public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    return commandLine().setOut(out).setErr(err).execute(args);
  }

  private static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((error, commandLine, parsed) -> {
          commandLine.getErr().println(commandLine.getCommandName() + ": " + reasonsOf(error));
          commandLine.getErr().flush();
          return 1;
        });
  }

  /**
   * An error and its causes in one line, without a stack trace: what an operator acts on (an
   * authentication failure, a refused property), and nothing that could carry a secret.
   */
  public static String reasonsOf(Throwable error) {
    StringBuilder line = new StringBuilder();
    for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      String message = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
      if (line.indexOf(message) < 0) {
        line.append(line.isEmpty() ? "" : ": caused by ").append(cause.getClass().getSimpleName()).append(": ")
            .append(message);
      }
    }
    return line.toString();
  }
}
