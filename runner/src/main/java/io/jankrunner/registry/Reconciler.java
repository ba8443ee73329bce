package io.jankrunner.registry;

import io.jankrunner.RunnerException;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.manifest.PluginId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the local plugin manager to the fleet's desired state, one plugin at a time per plugin
 * and in parallel across plugins, always to the <em>latest</em> desired state: changes that
 * arrive while a plugin is being built are folded into one more pass, not queued one by one.
 * A plugin is rebuilt only when the desired {@code build_id} differs from the one this machine
 * last built for it (remembered on disk, so a restarted worker does not rebuild), and at most
 * once per {@code rebuildInterval}: anyone who may write the registry could otherwise make every
 * worker run a build per record. A new {@code build_id} within the interval waits (logged with
 * how long ago the last build was) and the latest one is built when the interval has passed.
 */
final class Reconciler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
  private static final Optional<RegistryTopic.Entry> UNREGISTERED = Optional.empty();

  private final PluginManager manager;
  private final Path buildsDir;
  private final ExecutorService appliers = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, Optional<RegistryTopic.Entry>> latest = new ConcurrentHashMap<>();
  private final Set<String> scheduled = new HashSet<>();
  private final Map<String, String> builtHere = new ConcurrentHashMap<>();
  private final Duration rebuildInterval;
  /** System.nanoTime() of the last registry-triggered build of each plugin. */
  private final Map<String, Long> rebuiltAt = new ConcurrentHashMap<>();

  Reconciler(PluginManager manager, Path buildsDir, Duration rebuildInterval) {
    this.manager = manager;
    this.buildsDir = buildsDir;
    this.rebuildInterval = rebuildInterval;
  }

  /** This worker applied a control command itself: its own registry record needs no work. */
  void appliedHere(String pluginId, String buildId) {
    if (buildId == null) {
      return;
    }
    remember(pluginId, buildId);
  }

  /** Applies the state read at startup and returns once every plugin in it has been handled. */
  void applyAll(Map<String, Optional<RegistryTopic.Entry>> initial) {
    var futures = initial.entrySet().stream().map(entry -> desire(entry.getKey(), entry.getValue())).toList();
    for (Future<?> future : futures) {
      try {
        future.get();
      } catch (Exception e) {
        log.warn("registry: catching up failed for a plugin: {}", e.toString());
      }
    }
  }

  /** {@code pluginId} should now be registered as {@code entry} (or not at all, when empty). */
  Future<?> desire(String pluginId, Optional<RegistryTopic.Entry> entry) {
    latest.put(pluginId, entry);
    synchronized (scheduled) {
      if (!scheduled.add(pluginId)) {
        return java.util.concurrent.CompletableFuture.completedFuture(null); // the pass under way picks it up
      }
    }
    return appliers.submit(() -> drain(pluginId));
  }

  private void drain(String pluginId) {
    while (true) {
      Optional<RegistryTopic.Entry> target = latest.get(pluginId);
      Duration wait = rebuildWait(pluginId, target);
      if (wait.isPositive()) {
        long ago = Duration.ofNanos(System.nanoTime() - rebuiltAt.get(pluginId)).toSeconds();
        log.info("registry: build {} of {} waits {} s: rebuilt {} s ago, at most one build per {} s; the latest "
            + "build_id is built then", target.get().buildId(), pluginId, wait.toSeconds() + 1, ago,
            rebuildInterval.toSeconds());
        try {
          Thread.sleep(wait);
        } catch (InterruptedException e) {
          synchronized (scheduled) {
            scheduled.remove(pluginId);
          }
          return; // closing
        }
        continue; // whatever is the latest by now
      }
      try {
        apply(pluginId, target);
      } catch (RuntimeException e) {
        log.warn("registry: could not apply the state of {}: {}", pluginId, e.toString());
      }
      synchronized (scheduled) {
        if (latest.get(pluginId) == target) {
          scheduled.remove(pluginId);
          return;
        }
      }
    }
  }

  private void apply(String pluginId, Optional<RegistryTopic.Entry> target) {
    if (target == UNREGISTERED || target.isEmpty()) {
      if (manager.isRegistered(pluginId)) {
        try {
          manager.unregister(pluginId);
          log.info("registry: unregistered {}", pluginId);
        } catch (RunnerException e) {
          log.debug("registry: {} was not registered here", pluginId);
        }
      }
      return;
    }
    String buildId = target.get().buildId();
    boolean rebuild = !buildId.isEmpty() && !buildId.equals(lastBuilt(pluginId).orElse(""));
    if (manager.isRegistered(pluginId) && !rebuild) {
      return; // already what the fleet wants (our own write, or applied before)
    }
    if (rebuild) {
      rebuiltAt.put(pluginId, System.nanoTime()); // a failing build counts too: a storm of those is no cheaper
    }
    try {
      manager.register(pluginId, rebuild, null);
      remember(pluginId, buildId);
      log.info("registry: registered {}{}", pluginId, rebuild ? " (rebuilt for build " + buildId + ")" : "");
    } catch (RunnerException e) {
      log.warn("registry: cannot register {} on this worker: {}", pluginId, e.getMessage());
    }
  }

  /** How long a rebuild for {@code target} must wait for the interval; zero when it needs none or may run. */
  private Duration rebuildWait(String pluginId, Optional<RegistryTopic.Entry> target) {
    if (target.isEmpty() || target.get().buildId().isEmpty()
        || target.get().buildId().equals(lastBuilt(pluginId).orElse(""))) {
      return Duration.ZERO;
    }
    Long last = rebuiltAt.get(pluginId);
    return last == null ? Duration.ZERO : rebuildInterval.minus(Duration.ofNanos(System.nanoTime() - last));
  }

  private Optional<String> lastBuilt(String pluginId) {
    // Keys of the registry topic are plugin ids, but a stray record could hold anything; a valid
    // id has no path characters, so it is a safe file name.
    if (!PluginId.isValid(pluginId)) {
      return Optional.empty();
    }
    String known = builtHere.get(pluginId);
    if (known != null) {
      return Optional.of(known);
    }
    try {
      Path file = buildsDir.resolve(pluginId);
      return Files.isRegularFile(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private void remember(String pluginId, String buildId) {
    if (!PluginId.isValid(pluginId)) {
      return; // never a file name outside buildsDir
    }
    builtHere.put(pluginId, buildId);
    if (buildId.isEmpty()) {
      return;
    }
    try {
      Files.createDirectories(buildsDir);
      Files.writeString(buildsDir.resolve(pluginId), buildId, StandardCharsets.UTF_8);
    } catch (IOException e) {
      log.debug("could not remember build {} of {}: {}", buildId, pluginId, e.toString());
    }
  }

  @Override
  public void close() {
    appliers.shutdownNow();
    try {
      appliers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
