package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
    pool.lock.lock();
    try {
      while (instance.inFlight > 0) {
        long waitNanos = Duration.between(pool.clock.instant(), drainLimit).toNanos();
        if (waitNanos <= 0) {
          break;
        }
        pool.changed.awaitNanos(waitNanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      pool.lock.unlock();
    }
    InstanceHandle process = instance.process;
    if (process != null) {
      process.stop(pool.settings.stopGrace());
    }
    forget(pool, instance, why);
  }

  static void forget(PluginPool pool, PluginInstance instance, String why) {
    pool.lock.lock();
    try {
      pool.instances.remove(instance);
      pool.moveInstance(instance, PluginState.STOPPED, why);
      pool.recompute(why);
      pool.changed.signalAll();
    } finally {
      pool.lock.unlock();
      pool.events.flush();
    }
  }

  /**
   * Ends this registration: no new calls (callers waiting are sent to the replacement, when
   * {@code replacement}), starts under way are interrupted, calls in flight get until
   * {@code drainLimit} (or, when empty, their own deadlines), then every process is stopped.
   * Returns when all are gone; bounded by the drain, the stop grace and the start bound.
   */
  static void shutDown(PluginPool pool, boolean replacement, Optional<Instant> drainLimit, String why) {
    List<PluginInstance> stopping = new ArrayList<>();
    List<Thread> starters = new ArrayList<>();
    pool.lock.lock();
    try {
      pool.replaced |= replacement;
      pool.closed = true;
      for (PluginInstance instance : pool.instances) {
        if (instance.state == PluginState.STARTING && instance.starter != null) {
          starters.add(instance.starter);
        } else if (instance.state == PluginState.READY) {
          pool.moveInstance(instance, PluginState.STOPPING, why);
          stopping.add(instance);
        }
      }
      pool.recompute(why);
      pool.changed.signalAll();
    } finally {
      pool.lock.unlock();
      pool.events.flush();
    }
    List<Thread> stops = new ArrayList<>();
    for (PluginInstance instance : stopping) {
      Instant limit = drainLimit.orElse(instance.drainBy);
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
