package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an instance of a {@link PluginPool} once it is launched: ready; a failed start;
 * an exit after a stop or a kill for hanging; or a crash, which fails its calls in flight at once
 * and leads to a restart after a backoff, or to quarantine after too many crashes
 * ({@link CrashHistory}). A failed start counts as a crash; one that will fail the same way
 * again ({@link PluginStartException#permanent()}) quarantines the plugin at once.
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
    try (PoolState.Held held = pool.state.lock()) {
      instance.startEnded(held, process);
      keep = !held.closed() && !held.replaced() && instance.state(held) == PluginState.STARTING;
      if (keep) {
        instance.readyAt(held, pool.clock.nanoTime());
        held.startSucceeded();
        held.moveInstance(instance, PluginState.READY, null);
        held.recompute(null);
        held.signalAll();
      }
    }
    if (keep) {
      process.onExit().thenAccept(code -> Thread.ofVirtual().start(() -> exited(pool, instance, process, code)));
    } else {
      process.kill();
      PoolShutdown.forget(pool, instance, "stopped before it was ready");
    }
  }

  private static void startFailed(PluginPool pool, PluginInstance instance, PluginStartException failure) {
    try (PoolState.Held held = pool.state.lock()) {
      instance.startEnded(held, null);
      held.forget(instance);
      boolean ended = held.closed() || held.replaced();
      held.moveInstance(instance, ended ? PluginState.STOPPED : PluginState.ERROR, failure.getMessage());
      if (!ended) {
        log.warn("[{}] could not start: {}", instance.id, failure.getMessage());
        held.startFailed(failure);
        if (failure.permanent()) {
          cannotStart(pool, held);
        } else {
          afterCrash(pool, held, failure.getMessage(), false);
        }
      }
      held.recompute(failure.getMessage());
      held.signalAll();
    }
  }

  /** The process ended: after a stop or a kill for hanging that is expected; otherwise it crashed. */
  private static void exited(PluginPool pool, PluginInstance instance, InstanceHandle process, int code) {
    boolean hung;
    try (PoolState.Held held = pool.state.lock()) {
      if (instance.state(held) == PluginState.STOPPING || !held.has(instance)) {
        return; // its stop removes it
      }
      hung = instance.state(held) == PluginState.HUNG;
    }
    if (!hung) {
      process.abandon(); // fail every call still waiting on it, now
    }
    String description = process.exitDescription(code);
    try (PoolState.Held held = pool.state.lock()) {
      if (!held.forget(instance)) {
        return;
      }
      if (instance.state(held) == PluginState.HUNG) {
        held.moveInstance(instance, PluginState.STOPPED, "killed: it did not answer a HealthCheck");
      } else {
        log.warn("[{}] crashed: {}", instance.id, description);
        held.moveInstance(instance, PluginState.ERROR, description);
        if (!held.closed() && !held.replaced()) {
          afterCrash(pool, held, description, true);
        }
      }
      held.recompute(description);
      held.signalAll();
    }
  }

  /**
   * A start that will fail the same way every time (the binary cannot be executed): quarantined
   * now, with that reason, rather than retried with backoff until the crash limit. Its end still
   * starts one probe, so a binary fixed meanwhile is found without a re-register.
   */
  private static void cannotStart(PluginPool pool, PoolState.Held held) {
    Instant until = held.crashes().quarantineNow();
    held.quarantined();
    log.warn("[{}] quarantined until {}: its binary cannot be executed, so every start would fail the same way",
        pool.id(), until);
    PoolUpkeep.scheduleAt(pool, until);
  }

  /** Backoff before a restart, or quarantine after too many crashes. */
  private static void afterCrash(PluginPool pool, PoolState.Held held, String description, boolean replace) {
    CrashHistory.Verdict verdict = held.crashes().crashed();
    if (verdict.quarantined()) {
      held.quarantined();
      long windowMs = held.crashes().window().toMillis();
      String crashes = verdict.crashesInWindow() + " crashes in " + (windowMs % 1000 == 0 ? windowMs / 1000 + " s" : windowMs + " ms");
      log.warn("[{}] quarantined until {}: {}", pool.id(), verdict.quarantinedUntil().get(), crashes);
      held.recompute(crashes + "; last: " + description);
      PoolUpkeep.scheduleAt(pool, verdict.quarantinedUntil().get());
      return;
    }
    Instant until = pool.clock.instant().plus(verdict.backoff());
    held.backOff(until, replace);
    held.recompute(description);
    PoolUpkeep.scheduleAt(pool, until);
  }
}
