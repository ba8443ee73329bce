package io.jankrunner.plugin.grpc;

import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.isolation.Sandbox;
import io.jankrunner.plugin.process.OutputDrain;
import io.jankrunner.plugin.process.ProcessSpawner;
import io.jankrunner.protocol.Handshake;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One plugin's child process in its {@link Sandbox}, from its launch to its exit: its stdout and
 * stderr drained into the worker's log (tagged with plugin id and pid), the go-plugin handshake
 * read from its first stdout line, the last lines it printed for error reasons, and the end of
 * its process tree. No gRPC: that is {@link PluginClient}'s.
 */
final class LaunchedProcess {

  static final Logger log = LoggerFactory.getLogger("io.jankrunner.plugin.output");

  private final String pluginId;
  private final Process process;
  private final Sandbox sandbox;
  private final OutputDrain stdout;
  private final OutputDrain stderr;
  private final CompletableFuture<Optional<String>> firstLine;

  private LaunchedProcess(String pluginId, Process process, Sandbox sandbox) {
    this.pluginId = pluginId;
    this.process = process;
    this.sandbox = sandbox;
    this.firstLine = new CompletableFuture<>();
    this.stdout = new OutputDrain(process.getInputStream(), log, tag() + " stdout", firstLine, null)
        .start("plugin-stdout-" + process.pid());
    this.stderr = new OutputDrain(process.getErrorStream(), log, tag() + " stderr", null, null)
        .start("plugin-stderr-" + process.pid());
  }

  /**
   * Spawns {@code command} in {@code sandbox}, which is released when the process exits (or here,
   * when the spawn fails).
   */
  static LaunchedProcess spawn(String pluginId, Sandbox sandbox, List<String> command, Path binary, Path directory,
                               Map<String, String> environment, ProcessSpawner spawner)
      throws PluginStartException {
    Process process;
    try {
      process = spawner.spawn(command, directory, environment, sandbox.rlimits());
    } catch (IOException e) {
      sandbox.release();
      throw LaunchFailure.toException(pluginId, "could not launch " + binary + ": " + e.getMessage(),
          OptionalInt.empty(), Optional.empty(), e);
    }
    // Not on the exit-notification thread: release waits for the cgroup's last members to go.
    process.onExit().thenRun(() -> Thread.ofVirtual().name("plugin-release-" + process.pid()).start(sandbox::release));
    return new LaunchedProcess(pluginId, process, sandbox);
  }

  /** The handshake the plugin printed within {@code startTimeout}; a start failure if none. */
  Handshake awaitHandshake(Duration startTimeout) throws PluginStartException {
    return switch (HandshakeLine.await(firstLine, startTimeout)) {
      case HandshakeLine.Received received -> received.handshake();
      case LaunchFailure failure -> throw failed(failure);
    };
  }

  /** {@code failure} as the start failure it is, with the exit code and output it asks for. */
  PluginStartException failed(LaunchFailure failure) {
    OptionalInt exitCode = failure.exited() ? waitForExit() : OptionalInt.empty();
    Optional<LaunchFailure.Output> output = failure.withOutput() ? Optional.of(output()) : Optional.empty();
    return LaunchFailure.toException(pluginId, failure.reason(), exitCode, output, failure.cause());
  }

  private OptionalInt waitForExit() {
    try {
      return process.waitFor(2, TimeUnit.SECONDS) ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    }
  }

  /** A launch that did not become a plugin: its tree is killed at once. */
  void abortStart() {
    ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
  }

  /** The last lines the plugin printed, for error reasons. */
  private LaunchFailure.Output output() {
    // Give the drains a moment to read what a dying process printed last.
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new LaunchFailure.Output(stdout.tail(), stderr.tail());
  }

  /** See {@link io.jankrunner.plugin.api.InstanceHandle#exitDescription}. */
  String exitDescription(int exitCode) {
    String exit = "plugin process " + process.pid() + " exited with code " + exitCode + output().text();
    return sandbox.limitHit().map(limit -> limit + ": " + exit).orElse(exit);
  }

  /** What a call that found the plugin unreachable is led by: the limit it hit, its exit, or just that. */
  String unreachablePrefix() {
    // A limit the cgroup counted names itself even before the exit is reaped.
    return sandbox.limitHit().map(limit -> limit + ": ").orElse(process.isAlive() ? "plugin unreachable: "
        : exitCode().map(this::exitDescription).orElse("plugin process exited") + ": ");
  }

  Sandbox sandbox() {
    return sandbox;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  Optional<Integer> exitCode() {
    return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
  }

  /** Gives the process up to {@code grace} to exit by itself. */
  void awaitExit(Duration grace) {
    try {
      process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * SIGTERM to the process tree, SIGKILL after {@code grace} (at once for zero), then the
   * sandbox's release: now, not only on the exit notification, so a worker shutting down does
   * not exit before what the plugin left in its cgroup (children that left its tree) is killed.
   */
  void terminate(Duration grace) {
    ProcessSpawner.terminateTree(process.toHandle(), grace);
    sandbox.release();
  }

  String tag() {
    return pluginId + " pid=" + process.pid();
  }
}
