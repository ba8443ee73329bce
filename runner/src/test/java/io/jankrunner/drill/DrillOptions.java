package io.jankrunner.drill;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * What one drill does: how many commands at what rate, which delivery mode, how many faults of
 * each kind, how long to wait for the results. Parsed from {@code scripts/drill}'s options.
 *
 * @param bootstrap an existing broker (KAFKA_BOOTSTRAP_SERVERS); empty: a private scripts/kafka-local
 * @param workDir logs, state dirs, the plugins copy and the private broker's data
 */
record DrillOptions(int commands, String mode, boolean exactlyOnce, int rate, int workerKills, int pluginKills,
                    int pluginStops, int brokerRestarts, int pluginTimeoutMs, int waitSeconds, Path repo,
                    Path workDir, Optional<String> bootstrap) {

  static final String USAGE = """
      usage: drill [--commands N] [--mode share|group] [--exactly-once] [--rate PER_SECOND]
                   [--worker-kills N] [--plugin-kills N] [--plugin-stops N] [--broker-restarts N]
                   [--plugin-timeout-ms MS] [--wait-seconds S] [--work-dir DIR] [--repo DIR]
        defaults: 10000 commands at 100/s in share mode; 3 worker kills, 10 plugin kills, 1 plugin
        SIGSTOP, 1 broker restart (skipped when KAFKA_BOOTSTRAP_SERVERS is set); plugin timeout 5000 ms;
        results awaited for up to 300 s after the last command is sent. A fault count of 0 skips that kind.""";

  static DrillOptions parse(String[] args) {
    int commands = 10_000;
    String mode = "share";
    boolean exactlyOnce = false;
    int rate = 100;
    int workerKills = 3;
    int pluginKills = 10;
    int pluginStops = 1;
    int brokerRestarts = 1;
    int pluginTimeoutMs = 5000;
    int waitSeconds = 300;
    Path repo = Path.of(System.getProperty("jankrunner.repo", ".."));
    Path workDir = null;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--exactly-once")) {
        exactlyOnce = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value: " + option);
      }
      String value = args[++i];
      switch (option) {
        case "--commands" -> commands = positive(option, value);
        case "--mode" -> mode = value.toLowerCase(Locale.ROOT);
        case "--rate" -> rate = positive(option, value);
        case "--worker-kills" -> workerKills = count(option, value);
        case "--plugin-kills" -> pluginKills = count(option, value);
        case "--plugin-stops" -> pluginStops = count(option, value);
        case "--broker-restarts" -> brokerRestarts = count(option, value);
        case "--plugin-timeout-ms" -> pluginTimeoutMs = positive(option, value);
        case "--wait-seconds" -> waitSeconds = positive(option, value);
        case "--work-dir" -> workDir = Path.of(value);
        case "--repo" -> repo = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (!mode.equals("share") && !mode.equals("group")) {
      throw new IllegalArgumentException("--mode is share or group, not " + mode);
    }
    if (exactlyOnce && !mode.equals("group")) {
      throw new IllegalArgumentException("--exactly-once needs --mode group");
    }
    String fromEnv = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    Optional<String> bootstrap = fromEnv == null || fromEnv.isBlank() ? Optional.empty() : Optional.of(fromEnv);
    return new DrillOptions(commands, mode, exactlyOnce, rate, workerKills, pluginKills, pluginStops, brokerRestarts,
        pluginTimeoutMs, waitSeconds, repo.toAbsolutePath().normalize(), workDir, bootstrap);
  }

  private static int positive(String option, String value) {
    int number = count(option, value);
    if (number == 0) {
      throw new IllegalArgumentException(option + " must be at least 1");
    }
    return number;
  }

  private static int count(String option, String value) {
    try {
      int number = Integer.parseInt(value);
      if (number < 0) {
        throw new IllegalArgumentException(option + " must not be negative");
      }
      return number;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " takes a whole number, not " + value);
    }
  }
}
