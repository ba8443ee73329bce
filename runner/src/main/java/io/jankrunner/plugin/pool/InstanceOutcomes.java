package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an instance of a {@link PluginPool} once it is launched: ready; a failed start;
 * an exit after a stop or a kill for hanging; or a crash, which fails its calls in flight at once
 * and leads to a restart after a backoff, or to quarantine after too many crashes
 * ({@link CrashHistory}). A failed start counts as a crash.
 */
final class InstanceOutcomes {

  private static final Logger log = LoggerFactory.getLogger(InstanceOutcomes.class);

  private InstanceOutcomes() {}

  /** Runs on the instance's own thread: launches it, then makes it ready or records the failure. */
  static void launch(PluginPool pool, PluginInstance instance) {
    InstanceHandle process;
    try {
      process = pool.launcher.launch(pool);
    } catch (PluginStartException e) {
      startFailed(pool, instance, e);
      return;
    } catch (RuntimeException e) {
      startFailed(pool, instance, new PluginStartException(pool.id(), "could not start: " + e, e));
      return;
    }
    boolean keep;
    pool.lock.lock();
    try {
      instance.starter = null;
      instance.process = process;
      keep = !pool.closed && !pool.replaced && instance.state == PluginState.STARTING;
      if (keep) {
        instance.readyNanos = pool.clock.nanoTime();
        instance.lastActiveNanos = instance.readyNanos;
        instance.lastHealthCheckNanos = instance.readyNanos;
        pool.lastStartFailure = null;
        pool.moveInstance(instance, PluginState.READY, null);
        pool.recompute(null);
        pool.changed.signalAll();
      }
    } finally {
      pool.lock.unlock();
      pool.events.flush();
    }
    if (keep) {
      process.onExit().thenAccept(code -> Thread.ofVirtual().start(() -> exited(pool, instance, process, code)));
    } else {
      process.kill();
      PoolShutdown.forget(pool, instance, "stopped before it was ready");
    }
  }

  private static void startFailed(PluginPool pool, PluginInstance instance, PluginStartException failure) {
    pool.lock.lock();
    try {
      instance.starter = null;
      pool.instances.remove(instance);
      pool.moveInstance(instance, pool.closed || pool.replaced ? PluginState.STOPPED : PluginState.ERROR, failure.getMessage());
      if (!pool.closed && !pool.replaced) {
        log.warn("[{}] could not start: {}", instance.id, failure.getMessage());
        pool.lastStartFailure = failure;
        pool.startFailures++;
        afterCrash(pool, failure.getMessage(), false);
      }
      pool.recompute(failure.getMessage());
      pool.changed.signalAll();
    } finally {
      pool.lock.unlock();
      pool.events.flush();
    }
  }

  /** The process ended: after a stop or a kill for hanging that is expected; otherwise it crashed. */
  private static void exited(PluginPool pool, PluginInstance instance, InstanceHandle process, int code) {
    boolean hung;
    pool.lock.lock();
    try {
      if (instance.state == PluginState.STOPPING || !pool.instances.contains(instance)) {
        return; // its stop removes it
      }
      hung = instance.state == PluginState.HUNG;
    } finally {
      pool.lock.unlock();
    }
    if (!hung) {
      process.abandon(); // fail every call still waiting on it, now
    }
    String description = process.exitDescription(code);
    pool.lock.lock();
    try {
      if (!pool.instances.remove(instance)) {
        return;
      }
      if (instance.state == PluginState.HUNG) {
        pool.moveInstance(instance, PluginState.STOPPED, "killed: it did not answer a HealthCheck");
      } else {
        log.warn("[{}] crashed: {}", instance.id, description);
        pool.moveInstance(instance, PluginState.ERROR, description);
        if (!pool.closed && !pool.replaced) {
          afterCrash(pool, description, true);
        }
      }
      pool.recompute(description);
      pool.changed.signalAll();
    } finally {
      pool.lock.unlock();
      pool.events.flush();
    }
  }

  /** Under the pool's lock: backoff before a restart, or quarantine after too many crashes. */
  private static void afterCrash(PluginPool pool, String description, boolean replace) {
    CrashHistory.Verdict verdict = pool.crashes.crashed();
    if (verdict.quarantined()) {
      pool.backoffUntil = null;
      pool.replacementsOwed = 0;
      long windowMs = pool.crashes.window().toMillis();
      String crashes = verdict.crashesInWindow() + " crashes in " + (windowMs % 1000 == 0 ? windowMs / 1000 + " s" : windowMs + " ms");
      log.warn("[{}] quarantined until {}: {}", pool.id(), verdict.quarantinedUntil().get(), crashes);
      pool.recompute(crashes + "; last: " + description);
      PoolUpkeep.scheduleAt(pool, verdict.quarantinedUntil().get());
      return;
    }
    pool.backoffUntil = pool.clock.instant().plus(verdict.backoff());
    if (replace) {
      pool.replacementsOwed++;
    }
    pool.recompute(description);
    PoolUpkeep.scheduleAt(pool, pool.backoffUntil);
  }
}
