package io.jankrunner.plugin.process;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which worker process something on disk belongs to (a journal directory, an instance cgroup):
 * {@code <pid>-<start millis>}, so that a recycled pid reads as another process, and two workers
 * on one machine never take each other's things for leftovers.
 */
public final class ProcessOwner {

  /** An owner's name, {@code <pid>-<start millis>}, for the names that embed one (an instance cgroup's). */
  public static final String NAME_REGEX = "\\d{1,19}-\\d{1,19}";
  private static final Pattern NAME = Pattern.compile(NAME_REGEX);
  // ProcessHandle start instants are in clock ticks; allow for rounding.
  private static final Duration START_TOLERANCE = Duration.ofSeconds(1);
  private static final String SELF = of(ProcessHandle.current());

  private ProcessOwner() {}

  /** This worker's name. */
  public static String self() {
    return SELF;
  }

  /** The name of {@code process}. */
  static String of(ProcessHandle process) {
    return process.pid() + "-" + startMillis(process).orElse(0L);
  }

  /** The name looks like an owner's ({@code <pid>-<start millis>}). */
  public static boolean isOwnerName(String name) {
    return NAME.matcher(name).matches();
  }

  /**
   * The owner is still running: the pid lives and started when the name says. A name that is
   * not an owner's counts as running, so that nothing is ever swept on a misreading.
   */
  public static boolean isRunning(String name) {
    if (!isOwnerName(name)) {
      return true;
    }
    String[] parts = name.split("-", 2);
    try {
      long start = Long.parseLong(parts[1]);
      return ProcessHandle.of(Long.parseLong(parts[0])).filter(ProcessHandle::isAlive)
          .filter(process -> startedAt(process, start)).isPresent();
    } catch (NumberFormatException e) {
      return true;
    }
  }

  /** {@code process} started at {@code recordedMillis} (to the clock tick): the same process, not a recycled pid. */
  static boolean startedAt(ProcessHandle process, long recordedMillis) {
    return startMillis(process)
        .map(actual -> Math.abs(actual - recordedMillis) <= START_TOLERANCE.toMillis())
        .orElse(false);
  }

  static Optional<Long> startMillis(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli);
  }
}
