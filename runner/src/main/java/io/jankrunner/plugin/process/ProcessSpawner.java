package io.jankrunner.plugin.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts child processes (plugins and builds) so that none can outlive the worker.
 *
 * <p>Each child runs as {@code setsid setpriv --pdeathsig KILL -- [prlimit …] command}: its own
 * session and process group (a Ctrl-C meant for the worker does not hit it first), and a parent
 * death signal, so the kernel kills it even when the worker is SIGKILLed. Linux delivers that
 * signal when the <em>thread</em> that forked the child exits, so every child is forked from
 * one long-lived platform thread owned by this class, never from a short-lived or virtual one.
 * Children are also written to the {@link ProcessJournal}, which the next run sweeps.
 */
public final class ProcessSpawner implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProcessSpawner.class);

  /**
   * Resource limits applied with prlimit; empty means inherited. {@code memoryMb} is RLIMIT_AS,
   * {@code maxProcesses} RLIMIT_NPROC, {@code fileSizeMb} RLIMIT_FSIZE (a write past it fails
   * with EFBIG, or SIGXFSZ kills a process that does not ignore it), {@code openFiles} RLIMIT_NOFILE.
   */
  public record Limits(OptionalLong memoryMb, OptionalInt maxProcesses, OptionalLong fileSizeMb,
                       OptionalInt openFiles) {
    public static final Limits NONE = new Limits(OptionalLong.empty(), OptionalInt.empty(), OptionalLong.empty(),
        OptionalInt.empty());

    boolean any() {
      return memoryMb.isPresent() || maxProcesses.isPresent() || fileSizeMb.isPresent() || openFiles.isPresent();
    }
  }

  /** setpriv, for callers that build a user switch into the command. */
  public static final String SETPRIV = tool("setpriv").map(Path::toString).orElse("setpriv");

  private final ExecutorService spawnThread = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().name("plugin-spawner").daemon(true).factory());
  private final Optional<Path> setsid = tool("setsid");
  private final Optional<Path> setpriv = tool("setpriv");
  private final Optional<Path> prlimit = tool("prlimit");
  private final ProcessJournal journal;

  public ProcessSpawner(ProcessJournal journal) {
    this.journal = journal;
    if (setpriv.isEmpty()) {
      log.warn("setpriv (util-linux) not found: plugin processes may outlive a worker that is killed with SIGKILL");
    }
  }

  public Process spawn(List<String> command, Path workingDir, Map<String, String> environment, Limits limits)
      throws IOException {
    List<String> full = new ArrayList<>();
    setsid.ifPresent(path -> full.add(path.toString()));
    setpriv.ifPresent(path -> full.addAll(List.of(path.toString(), "--pdeathsig", "KILL", "--")));
    if (prlimit.isPresent() && limits.any()) {
      full.add(prlimit.get().toString());
      limits.memoryMb().ifPresent(mb -> full.add("--as=" + mb * 1024 * 1024));
      limits.maxProcesses().ifPresent(n -> full.add("--nproc=" + n));
      limits.fileSizeMb().ifPresent(mb -> full.add("--fsize=" + mb * 1024 * 1024));
      limits.openFiles().ifPresent(n -> full.add("--nofile=" + n));
      full.add("--");
    } else if (limits.any()) {
      log.warn("prlimit (util-linux) not found: resource limits for {} are not applied", command.getFirst());
    }
    full.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(full).directory(workingDir.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process process;
    try {
      process = spawnThread.submit(builder::start).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("could not start " + command.getFirst(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + command.getFirst(), e);
    } catch (TimeoutException e) {
      throw new IOException("starting " + command.getFirst() + " took more than 30 s", e);
    }
    journal.record(process.toHandle());
    process.onExit().thenRun(() -> journal.forget(process.pid()));
    return process;
  }

  /**
   * Stops a process and everything it started: SIGTERM to the tree, then SIGKILL to whatever is
   * left after {@code grace}. Returns when the process is gone.
   */
  public static void terminateTree(ProcessHandle process, Duration grace) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.add(process);
    tree.forEach(ProcessHandle::destroy);
    try {
      process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // still alive after the grace period: kill below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tree.addAll(process.descendants().toList());
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    try {
      process.onExit().get(5, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      log.warn("process {} did not exit after SIGKILL", process.pid());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A system tool by name from the system's bin directories (never from PATH, which the environment sets). */
  public static Optional<Path> systemTool(String name) {
    return tool(name);
  }

  private static Optional<Path> tool(String name) {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path path = Path.of(dir, name);
      if (Files.isExecutable(path)) {
        return Optional.of(path);
      }
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    spawnThread.shutdown();
  }
}
