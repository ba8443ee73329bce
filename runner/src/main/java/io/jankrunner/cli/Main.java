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
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }
}
