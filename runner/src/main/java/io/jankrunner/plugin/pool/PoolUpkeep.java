package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time-driven side of a {@link PluginPool}: ends backoff and quarantine (starting the restart
 * or the one probe instance), keeps {@code min_instances}, reaps instances idle for
 * {@code idle_ttl_ms} down to {@code min_instances}, and tells hung instances from slow ones with
 * {@code HealthCheck}. Runs on the manager's scheduler thread and never blocks it: stops and
 * health checks go to virtual threads.
 */
final class PoolUpkeep {

  private static final Logger log = LoggerFactory.getLogger(PoolUpkeep.class);

  private PoolUpkeep() {}

  /** Runs {@link #maintain} for {@code pool} at {@code at} (a backoff or quarantine ending). */
  static void scheduleAt(PluginPool pool, Instant at) {
    long delayMs = Math.max(0, Duration.between(pool.clock.instant(), at).toMillis()) + 1;
    try {
      pool.scheduler.schedule(() -> maintain(pool), delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the manager is closing: nothing to restart
    }
  }

  static void maintain(PluginPool pool) {
    List<PluginInstance> idle = new ArrayList<>();
    List<PluginInstance> check = new ArrayList<>();
    RunnerSettings runner = pool.manifest.runner();
    String why = null;
    pool.lock.lock();
    try {
      if (pool.closed) {
        return;
      }
      pool.endBackoffIfPassed(pool.clock.instant());
      if (!pool.crashes.quarantined() && pool.backoffUntil == null) {
        if (pool.state() == PluginState.QUARANTINED && pool.liveCount() == 0) {
          pool.startInstance("quarantine over: one probe instance");
        }
        int wanted = Math.min(runner.maxInstances(),
            Math.max(runner.minInstances(), pool.replacementsOwed > 0 ? 1 : 0));
        pool.replacementsOwed = 0;
        while (pool.liveCount() < wanted) {
          pool.startInstance(pool.liveCount() < runner.minInstances() ? "min_instances " + runner.minInstances()
              : "restart after a crash");
        }
      }
      long now = pool.clock.nanoTime();
      if (!runner.idleTtl().isZero()) {
        why = "idle for " + runner.idleTtl().toMillis() + " ms (idle_ttl_ms)";
        for (PluginInstance instance : List.copyOf(pool.instances)) {
          if (pool.liveCount() <= runner.minInstances()) {
            break;
          }
          if (instance.state == PluginState.READY && instance.inFlight == 0 && !instance.checking
              && now - instance.lastActiveNanos >= runner.idleTtl().toNanos()) {
            pool.moveInstance(instance, PluginState.STOPPING, why);
            idle.add(instance);
          }
        }
      }
      for (PluginInstance instance : pool.instances) {
        if (instance.state == PluginState.READY && instance.inFlight == 0 && !instance.checking
            && now - instance.lastHealthCheckNanos >= pool.settings.healthCheckInterval().toNanos()) {
          instance.checking = true;
          check.add(instance);
        }
      }
      pool.recompute(why);
    } finally {
      pool.lock.unlock();
      pool.events.flush();
    }
    String reason = why;
    for (PluginInstance instance : idle) {
      log.info("[{}] stopping: {}", instance.id, reason);
      Thread.ofVirtual().name("plugin-reap-" + instance.id).start(() -> PoolShutdown.stopInstance(pool, instance,
          pool.clock.instant(), reason));
    }
    for (PluginInstance instance : check) {
      Thread.ofVirtual().name("plugin-health-" + instance.id).start(() -> healthCheck(pool, instance,
          "a periodic HealthCheck"));
    }
  }

  /** A call on {@code instance} passed its deadline: hung or only slow? No new calls until known. */
  static void callTimedOut(PluginPool pool, PluginInstance instance) {
    pool.lock.lock();
    try {
      if (instance.state != PluginState.READY || instance.checking) {
        return;
      }
      instance.suspect = true;
      instance.checking = true;
    } finally {
      pool.lock.unlock();
    }
    Thread.ofVirtual().name("plugin-health-" + instance.id).start(() -> healthCheck(pool, instance,
        "a call passed its deadline"));
  }

  /** No answer in time: hung, killed (SIGKILL of its tree) and replaced. An answer: slow, left alone. */
  private static void healthCheck(PluginPool pool, PluginInstance instance, String after) {
    Duration timeout = pool.settings.healthCheckTimeout();
    InstanceHandle process = instance.process;
    boolean answered = process.answers(timeout);
    boolean hung = false;
    pool.lock.lock();
    try {
      instance.checking = false;
      instance.lastHealthCheckNanos = pool.clock.nanoTime();
      if (answered || instance.state != PluginState.READY || !process.isAlive()) {
        if (answered && instance.suspect) {
          log.info("[{}] slow, not hung: it answered a HealthCheck after {}", instance.id, after);
        }
        instance.suspect = false;
        pool.changed.signalAll();
        return;
      }
      hung = true;
      String why = "hung: no answer to a HealthCheck within " + timeout.toMillis() + " ms after " + after
          + "; killed and replaced";
      log.warn("[{}] {}", instance.id, why);
      pool.moveInstance(instance, PluginState.HUNG, why);
      RunnerSettings runner = pool.manifest.runner();
      if (!pool.closed && !pool.crashes.quarantined()
          && pool.liveCount() < Math.min(runner.maxInstances(), Math.max(1, runner.minInstances()))) {
        pool.startInstance("replacing hung " + instance.id);
      }
      pool.recompute(why);
      pool.changed.signalAll();
    } finally {
      pool.lock.unlock();
      pool.events.flush();
      if (hung) {
        process.kill();
      }
    }
  }
}
