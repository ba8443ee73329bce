package io.jankrunner.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A system under test in a process of its own (a worker, the pipeline floor), its output in a
 * log file: started, awaited until it logs that it is ready, its CPU time read from
 * {@code /proc/<pid>/stat} the same way for every such process, and stopped.
 */
final class ChildProcess implements AutoCloseable {

  private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

  private final String what;
  private final Process process;
  private final Path log;

  /** Starts {@code builder} with its stdout and stderr into a temp file. */
  ChildProcess(String what, ProcessBuilder builder) throws IOException {
    this.what = what;
    log = Files.createTempFile("bench-" + what.replace(' ', '-'), ".log");
    process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Waits (a liveness bound) until the log contains {@code text}; fails with the log if it dies first. */
  void awaitLog(String text, int seconds) throws IOException, InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!Files.readString(log).contains(text)) {
      if (!process.isAlive() || System.nanoTime() > until) {
        throw new IllegalStateException("the " + what + " did not start:\n" + log());
      }
      Thread.sleep(100);
    }
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  long pid() {
    return process.pid();
  }

  /**
   * utime + stime of the process itself (its own children, the plugins, excluded), or NaN once
   * it is gone: the process must be the JVM (scripts/runner execs java).
   */
  double cpuSeconds() {
    try {
      return cpuSecondsOfStat(Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat")));
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** utime + stime in seconds from one {@code /proc/<pid>/stat} line (proc(5)). */
  static double cpuSecondsOfStat(String stat) {
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    // After "pid (comm) ", field 3 (state) is index 0: utime (14) is index 11, stime (15) index 12.
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS_PER_SECOND;
  }

  /** SIGTERM, so a worker finishes in-flight work and stops its plugins; killed after 30 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      // BENCH_KEEP_LOGS=DIR keeps the child's log there (to read what a worker did in a run).
      String keep = System.getenv("BENCH_KEEP_LOGS");
      if (keep != null && !keep.isBlank()) {
        Files.createDirectories(Path.of(keep));
        Files.move(log, Path.of(keep).resolve(log.getFileName()));
      } else {
        Files.deleteIfExists(log);
      }
    } catch (IOException ignored) {
      // a temp file
    }
  }

  @Override
  public String toString() {
    return what + " (pid " + process.pid() + ")";
  }
}
