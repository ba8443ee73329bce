package io.jankrunner.plugin.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record on disk of the child processes this worker started, one file per child under a
 * directory named after the worker process. If the worker dies without stopping them (SIGKILL,
 * power cut before the parent-death signal was armed), the next worker on the machine finds the
 * directory of a dead owner and kills what is still running, checking each process's start time
 * so a recycled pid is never hit.
 */
public final class ProcessJournal {

  private static final Logger log = LoggerFactory.getLogger(ProcessJournal.class);
  // ProcessHandle start instants are in clock ticks; allow for rounding.
  private static final Duration START_TOLERANCE = Duration.ofSeconds(1);

  private final Path root;
  private final Path mine;

  public ProcessJournal(Path root) throws IOException {
    this.root = root.toAbsolutePath();
    ProcessHandle self = ProcessHandle.current();
    this.mine = this.root.resolve(self.pid() + "-" + startMillis(self).orElse(0L));
    Files.createDirectories(mine);
  }

  void record(ProcessHandle child) {
    try {
      String entry = startMillis(child).orElse(0L) + "\n" + child.info().commandLine().orElse("") + "\n";
      Files.writeString(mine.resolve(Long.toString(child.pid())), entry, StandardCharsets.UTF_8);
    } catch (IOException e) {
      log.warn("could not record child process {} in {}: {}", child.pid(), mine, e.toString());
    }
  }

  void forget(long pid) {
    try {
      Files.deleteIfExists(mine.resolve(Long.toString(pid)));
    } catch (IOException e) {
      log.debug("could not forget child process {}: {}", pid, e.toString());
    }
  }

  /** Kills the recorded children of workers that are no longer running. Returns how many. */
  public int sweepOrphans() {
    int killed = 0;
    try (DirectoryStream<Path> owners = Files.newDirectoryStream(root)) {
      for (Path owner : owners) {
        if (!owner.equals(mine) && !isAlive(owner.getFileName().toString())) {
          killed += killRecorded(owner);
          FileTrees.delete(owner);
        }
      }
    } catch (IOException e) {
      log.warn("could not sweep orphaned plugin processes under {}: {}", root, e.toString());
    }
    if (killed > 0) {
      log.warn("killed {} plugin process(es) left behind by a previous worker", killed);
    }
    return killed;
  }

  /** Removes this worker's own directory; called on clean shutdown. */
  public void close() {
    FileTrees.delete(mine);
  }

  private static int killRecorded(Path owner) throws IOException {
    int killed = 0;
    try (DirectoryStream<Path> children = Files.newDirectoryStream(owner)) {
      for (Path child : children) {
        long pid;
        long recordedStart;
        try {
          pid = Long.parseLong(child.getFileName().toString());
          recordedStart = Long.parseLong(Files.readAllLines(child).getFirst().strip());
        } catch (RuntimeException | IOException e) {
          continue;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent() && sameStart(process.get(), recordedStart)) {
          log.warn("killing orphaned plugin process {} ({})", pid, process.get().info().commandLine().orElse("?"));
          process.get().descendants().forEach(ProcessHandle::destroyForcibly);
          process.get().destroyForcibly();
          killed++;
        }
      }
    }
    return killed;
  }

  private static boolean isAlive(String ownerName) {
    String[] parts = ownerName.split("-", 2);
    try {
      long pid = Long.parseLong(parts[0]);
      long start = parts.length > 1 ? Long.parseLong(parts[1]) : 0L;
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> sameStart(p, start)).isPresent();
    } catch (NumberFormatException e) {
      return true; // not ours: leave it alone
    }
  }

  private static boolean sameStart(ProcessHandle process, long recordedMillis) {
    return startMillis(process)
        .map(actual -> Math.abs(actual - recordedMillis) <= START_TOLERANCE.toMillis())
        .orElse(false);
  }

  private static Optional<Long> startMillis(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli);
  }
}
