package io.jankrunner.drill;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The drill's workers, each a separate OS process started as a user would ({@code runner worker}
 * with its own id and state dir), and the plugin processes they start, found as their
 * descendants whose command line points into the drill's plugins directory.
 */
final class WorkerFleet implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final List<String> baseCommand;
  private final Path workDir;
  private final String pluginsPrefix;
  private final String[] ids;
  private final Process[] processes;
  private final int[] starts;

  WorkerFleet(DrillOptions options, String bootstrap, String topicPrefix, Path plugins, int size) {
    this.workDir = options.workDir();
    this.pluginsPrefix = plugins.toString() + "/";
    this.ids = new String[size];
    this.processes = new Process[size];
    this.starts = new int[size];
    for (int i = 0; i < size; i++) {
      ids[i] = "drill-" + (char) ('a' + i);
    }
    List<String> command = new ArrayList<>(javaCommand());
    command.addAll(List.of("-Xms64m", "-Xmx384m", "-cp", System.getProperty("java.class.path"),
        "io.jankrunner.cli.Main", "worker", "--bootstrap", bootstrap, "--topic-prefix", topicPrefix,
        "--plugins-dir", plugins.toString(), "--mode", options.mode()));
    if (options.exactlyOnce()) {
      command.add("--exactly-once");
    }
    this.baseCommand = List.copyOf(command);
  }

  /** This JVM's java with the flags our processes run with (netty's native access, quiet Unsafe). */
  static List<String> javaCommand() {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    return command;
  }

  int size() {
    return ids.length;
  }

  String id(int index) {
    return ids[index];
  }

  /** Starts worker {@code index} (again, after a kill: same id, same state dir) and waits until it consumes. */
  synchronized void start(int index) throws IOException, InterruptedException {
    int start = ++starts[index];
    Path log = workDir.resolve(ids[index] + "-" + start + ".log");
    List<String> command = new ArrayList<>(baseCommand);
    // A short state dir: plugin sockets go three levels below it, and a socket path is at most 107 bytes.
    command.addAll(List.of("--worker-id", ids[index], "--state-dir", workDir.resolve("s-" + ids[index].substring("drill-".length())).toString()));
    processes[index] = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Instant until = Instant.now().plus(READY_TIMEOUT);
    while (Instant.now().isBefore(until)) {
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains("consuming")) {
        return;
      }
      if (!processes[index].isAlive()) {
        throw new IOException("worker " + ids[index] + " exited " + processes[index].exitValue() + ", see " + log);
      }
      Thread.sleep(200);
    }
    throw new IOException("worker " + ids[index] + " did not start consuming within " + READY_TIMEOUT + ", see " + log);
  }

  /** SIGKILL, as a crash or the OOM killer would. */
  synchronized void kill(int index) throws InterruptedException {
    Process process = processes[index];
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The live plugin processes of worker {@code index}. */
  synchronized List<ProcessHandle> pluginsOf(int index) {
    Process worker = processes[index];
    return worker == null || !worker.isAlive() ? List.of() : worker.descendants().filter(this::isPlugin).toList();
  }

  /** The live plugin processes of the live workers (killed ones not yet reaped left out), oldest first. */
  synchronized List<ProcessHandle> pluginProcesses() {
    List<ProcessHandle> plugins = new ArrayList<>();
    for (Process worker : processes) {
      if (worker != null && worker.isAlive()) {
        worker.descendants().filter(this::isPlugin).filter(process -> !zombie(process.pid())).forEach(plugins::add);
      }
    }
    return plugins;
  }

  /**
   * SIGTERM to every worker, then SIGKILL to those still running after {@code grace}; returns the
   * ids of the workers that had to be killed (a graceful shutdown that did not finish).
   */
  synchronized List<String> stopAll(Duration grace) throws InterruptedException {
    for (Process process : processes) {
      if (process != null && process.isAlive()) {
        process.destroy();
      }
    }
    Instant until = Instant.now().plus(grace);
    List<String> forced = new ArrayList<>();
    for (int i = 0; i < processes.length; i++) {
      Process process = processes[i];
      if (process == null) {
        continue;
      }
      long left = Math.max(0, Duration.between(Instant.now(), until).toMillis());
      if (!process.waitFor(left, TimeUnit.MILLISECONDS)) {
        forced.add(ids[i]);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    return forced;
  }

  /**
   * Plugin processes of this drill still alive (zombies aside) once every worker is gone: any
   * process on the machine running from the drill's own plugins directory. Waits up to {@code
   * settle} for the kernel to deliver the parent-death signals.
   */
  List<String> orphans(Duration settle) throws InterruptedException {
    Instant until = Instant.now().plus(settle);
    List<String> left = scanPlugins();
    while (!left.isEmpty() && Instant.now().isBefore(until)) {
      Thread.sleep(250);
      left = scanPlugins();
    }
    return left;
  }

  private List<String> scanPlugins() {
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(this::isPlugin).filter(process -> !zombie(process.pid()))
          .map(process -> process.pid() + " " + commandLine(process.pid()).orElse("?").replace('\0', ' ').trim()).toList();
    }
  }

  private boolean isPlugin(ProcessHandle process) {
    return commandLine(process.pid()).map(line -> {
      for (String arg : line.split("\0")) {
        if (arg.startsWith(pluginsPrefix)) {
          return true;
        }
      }
      return false;
    }).orElse(false);
  }

  private static Optional<String> commandLine(long pid) {
    try {
      return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean zombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String afterName = stat.substring(stat.lastIndexOf(')') + 2);
      return afterName.charAt(0) == 'Z';
    } catch (IOException | RuntimeException e) {
      return true; // gone
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process process : processes) {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
