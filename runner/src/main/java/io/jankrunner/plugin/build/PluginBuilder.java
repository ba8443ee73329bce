package io.jankrunner.plugin.build;

import io.jankrunner.plugin.api.BuildFailedException;
import io.jankrunner.plugin.api.BuildResult;
import io.jankrunner.plugin.isolation.Isolation;
import io.jankrunner.plugin.isolation.PluginEnvironment;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.Sandbox;
import io.jankrunner.plugin.manifest.DiscoveredPlugin;
import io.jankrunner.plugin.manifest.PluginDiscovery;
import io.jankrunner.plugin.process.LineTail;
import io.jankrunner.plugin.process.OutputDrain;
import io.jankrunner.plugin.process.ProcessSpawner;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plugin's {@code scripts/build.sh} ({@code bash scripts/build.sh}, the plugin directory
 * as working directory) with a timeout, capturing its output. The script is plugin code: it runs
 * in a build {@link Sandbox} (the plugin user, a cgroup, a private HOME and TMPDIR; see
 * {@link Isolation#buildSandbox}). A build is never run twice at once
 * for one id: a second request joins the build under way.
 */
public final class PluginBuilder {

  private static final Logger log = LoggerFactory.getLogger("io.jankrunner.plugin.build");
  private static final int BUILD_TAIL_LINES = 200;

  private final ProcessSpawner spawner;
  private final Map<String, String> hostEnvironment;
  private final Duration timeout;
  private final Isolation isolation;
  private final PluginLimits limits;
  private final Map<String, CompletableFuture<BuildResult>> running = new ConcurrentHashMap<>();

  public PluginBuilder(ProcessSpawner spawner, Map<String, String> hostEnvironment, Duration timeout,
                       Isolation isolation, PluginLimits limits) {
    this.spawner = spawner;
    this.hostEnvironment = hostEnvironment;
    this.timeout = timeout;
    this.isolation = isolation;
    this.limits = limits;
  }

  /**
   * Builds {@code plugin} (or joins its build under way) and waits for the outcome.
   *
   * @param output receives each line of build output as it is printed; may be null
   * @throws BuildFailedException when the script fails, times out, or leaves no executable binary
   */
  public BuildResult build(DiscoveredPlugin plugin, Consumer<String> output) throws BuildFailedException {
    String id = plugin.id().orElseThrow();
    CompletableFuture<BuildResult> mine = new CompletableFuture<>();
    CompletableFuture<BuildResult> existing = running.putIfAbsent(id, mine);
    BuildResult result;
    if (existing != null) {
      log.info("[{}] build already under way; waiting for it", id);
      result = existing.join();
    } else {
      try {
        result = run(plugin, output);
        mine.complete(result);
      } catch (RuntimeException e) {
        mine.completeExceptionally(e);
        throw e;
      } finally {
        running.remove(id, mine);
      }
    }
    if (!result.success()) {
      throw new BuildFailedException(id, result.message(), result);
    }
    return result;
  }

  private BuildResult run(DiscoveredPlugin plugin, Consumer<String> output) {
    String id = plugin.id().orElseThrow();
    long started = System.nanoTime();
    if (!Files.isRegularFile(plugin.buildScript())) {
      return new BuildResult(id, false, OptionalInt.empty(), Duration.ZERO, "",
          "plugin " + id + " has no scripts/build.sh");
    }
    Sandbox sandbox;
    try {
      sandbox = isolation.buildSandbox(id, plugin.directory(), limits);
    } catch (IllegalStateException e) {
      return new BuildResult(id, false, OptionalInt.empty(), elapsed(started), "",
          "build of " + id + " refused: " + e.getMessage());
    }
    try {
      return runIn(sandbox, plugin, output, started);
    } finally {
      sandbox.release(); // kills whatever the build left running, removes its HOME
    }
  }

  private BuildResult runIn(Sandbox sandbox, DiscoveredPlugin plugin, Consumer<String> output, long started) {
    String id = plugin.id().orElseThrow();
    log.info("[{}] building in {}", id, plugin.directory());
    Map<String, String> environment =
        sandbox.buildEnvironment(PluginEnvironment.forBuild(hostEnvironment, !sandbox.switchesUser()));
    Process process;
    try {
      process = spawner.spawn(sandbox.command(List.of("bash", "scripts/build.sh")), plugin.directory(), environment,
          sandbox.rlimits());
    } catch (IOException e) {
      return new BuildResult(id, false, OptionalInt.empty(), elapsed(started), "",
          "could not start the build: " + e.getMessage());
    }
    closeStdin(process);
    LineTail tail = new LineTail(BUILD_TAIL_LINES);
    Consumer<String> sink = line -> {
      tail.add(line);
      if (output != null) {
        output.accept(line);
      }
    };
    String tag = id + " build pid=" + process.pid();
    OutputDrain out = new OutputDrain(process.getInputStream(), log, tag, null, sink).start("build-stdout-" + id);
    OutputDrain err = new OutputDrain(process.getErrorStream(), log, tag, null, sink).start("build-stderr-" + id);
    boolean finished;
    try {
      finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finished = false;
    }
    if (!finished) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ofSeconds(2));
    }
    awaitDrained(out, err);
    Duration took = elapsed(started);
    if (!finished) {
      return new BuildResult(id, false, OptionalInt.empty(), took, tail.text(),
          "build of " + id + " timed out after " + timeout.toSeconds() + " s and was killed");
    }
    int code = process.exitValue();
    if (code != 0) {
      return new BuildResult(id, false, OptionalInt.of(code), took, tail.text(),
          "build of " + id + " failed with exit code " + code);
    }
    Optional<String> binaryProblem = PluginDiscovery.binaryProblem(plugin);
    if (binaryProblem.isPresent()) {
      return new BuildResult(id, false, OptionalInt.of(code), took, tail.text(),
          "build of " + id + " succeeded but " + binaryProblem.get());
    }
    log.info("[{}] built in {} ms", id, took.toMillis());
    return new BuildResult(id, true, OptionalInt.of(code), took, tail.text(), "built " + id);
  }

  private static void closeStdin(Process process) {
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // a build that reads stdin gets EOF either way
    }
  }

  private static void awaitDrained(OutputDrain... drains) {
    for (OutputDrain drain : drains) {
      try {
        drain.done().get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        // a grandchild still holds the pipe open; the tail so far is what we report
      }
    }
  }

  private static Duration elapsed(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }
}
