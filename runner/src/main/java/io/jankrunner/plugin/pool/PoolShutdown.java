package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stopping a {@link PluginPool}'s instances: one idle instance, or the whole registration when it
 * is unregistered, replaced by a hot swap, or the worker shuts down. Every stop is bounded: calls
 * in flight get until a drain limit, then the process gets the stop grace, SIGTERM, and SIGKILL.
 */
final class PoolShutdown {

  private PoolShutdown() {}

  /** Stops {@code instance} (already STOPPING): waits for its calls up to {@code drainLimit}, then stops it. */
  static void stopInstance(PluginPool pool, PluginInstance instance, Instant drainLimit, String why) {
    InstanceHandle process;
    try (PoolState.Held held = pool.state.lock()) {
      try {
        held.awaitUntil(drainLimit, () -> instance.inFlight(held) > 0 ? Optional.empty() : Optional.of(true));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = instance.process(held);
    }
    if (process != null) {
      process.stop(pool.settings.stopGrace());
    }
    forget(pool, instance, why);
  }

  static void forget(PluginPool pool, PluginInstance instance, String why) {
    try (PoolState.Held held = pool.state.lock()) {
      held.forget(instance);
      held.moveInstance(instance, PluginState.STOPPED, why);
      held.recompute(why);
      held.signalAll();
    }
  }

  /**
   * Ends this registration: no new calls (callers waiting are sent to the replacement, when
   * {@code replacement}), starts under way are interrupted, calls in flight get until
   * {@code drainLimit} (or, when empty, their own deadlines), then every process is stopped.
   * Returns when all are gone; bounded by the drain, the stop grace and the start bound.
   */
  static void shutDown(PluginPool pool, boolean replacement, Optional<Instant> drainLimit, String why) {
    Map<PluginInstance, Instant> stopping = new LinkedHashMap<>();
    List<Thread> starters = new ArrayList<>();
    try (PoolState.Held held = pool.state.lock()) {
      held.end(replacement);
      for (PluginInstance instance : held.instances()) {
        Optional<Thread> starter = instance.starter(held);
        if (instance.state(held) == PluginState.STARTING && starter.isPresent()) {
          starters.add(starter.get());
        } else if (instance.state(held) == PluginState.READY) {
          held.moveInstance(instance, PluginState.STOPPING, why);
          stopping.put(instance, drainLimit.orElse(instance.drainBy(held)));
        }
      }
      held.recompute(why);
      held.signalAll();
    }
    List<Thread> stops = new ArrayList<>();
    for (Map.Entry<PluginInstance, Instant> stop : stopping.entrySet()) {
      PluginInstance instance = stop.getKey();
      Instant limit = stop.getValue();
      stops.add(Thread.ofVirtual().name("plugin-stop-" + instance.id).start(() -> stopInstance(pool, instance, limit, why)));
    }
    starters.forEach(Thread::interrupt);
    joinAll(pool.clock, stops, Duration.ofDays(1)); // each stop is bounded by its drain limit and two stop graces
    joinAll(pool.clock, starters, pool.settings.stopGrace().plusSeconds(5));
  }

  private static void joinAll(PoolClock clock, List<Thread> threads, Duration bound) {
    long until = clock.nanoTime() + bound.toNanos();
    for (Thread thread : threads) {
      try {
        thread.join(Duration.ofNanos(Math.max(1, until - clock.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
