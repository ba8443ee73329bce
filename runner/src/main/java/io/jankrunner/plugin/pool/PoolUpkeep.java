package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    Map<PluginInstance, InstanceHandle> check = new LinkedHashMap<>();
    RunnerSettings runner = pool.manifest.runner();
    String why = null;
    try (PoolState.Held held = pool.state.lock()) {
      if (held.closed()) {
        return;
      }
      held.endBackoffIfPassed(pool.clock.instant());
      if (!held.crashes().quarantined() && held.backoffUntil().isEmpty()) {
        if (held.state() == PluginState.QUARANTINED && held.liveCount() == 0) {
          held.startInstance("quarantine over: one probe instance");
        }
        int wanted = Math.min(runner.maxInstances(),
            Math.max(runner.minInstances(), held.takeReplacementsOwed() > 0 ? 1 : 0));
        while (held.liveCount() < wanted) {
          held.startInstance(held.liveCount() < runner.minInstances() ? "min_instances " + runner.minInstances()
              : "restart after a crash");
        }
      }
      long now = pool.clock.nanoTime();
      if (!runner.idleTtl().isZero()) {
        why = "idle for " + runner.idleTtl().toMillis() + " ms (idle_ttl_ms)";
        for (PluginInstance instance : List.copyOf(held.instances())) {
          if (held.liveCount() <= runner.minInstances()) {
            break;
          }
          if (instance.idleFor(held, now, runner.idleTtl())) {
            held.moveInstance(instance, PluginState.STOPPING, why);
            idle.add(instance);
          }
        }
      }
      for (PluginInstance instance : held.instances()) {
        if (instance.healthCheckDue(held, now, pool.settings.healthCheckInterval())) {
          instance.beginCheck(held, false);
          check.put(instance, instance.process(held));
        }
      }
      held.recompute(why);
    }
    String reason = why;
    for (PluginInstance instance : idle) {
      log.info("[{}] stopping: {}", instance.id, reason);
      Thread.ofVirtual().name("plugin-reap-" + instance.id).start(() -> PoolShutdown.stopInstance(pool, instance,
          pool.clock.instant(), reason));
    }
    for (Map.Entry<PluginInstance, InstanceHandle> due : check.entrySet()) {
      PluginInstance instance = due.getKey();
      Thread.ofVirtual().name("plugin-health-" + instance.id).start(() -> healthCheck(pool, instance, due.getValue(),
          "a periodic HealthCheck"));
    }
  }

  /** A call on {@code instance} passed its deadline: hung or only slow? No new calls until known. */
  static void callTimedOut(PluginPool pool, PluginInstance instance) {
    InstanceHandle process;
    try (PoolState.Held held = pool.state.lock()) {
      if (instance.state(held) != PluginState.READY || instance.checking(held)) {
        return;
      }
      instance.beginCheck(held, true);
      process = instance.process(held);
    }
    Thread.ofVirtual().name("plugin-health-" + instance.id).start(() -> healthCheck(pool, instance, process,
        "a call passed its deadline"));
  }

  /** No answer in time: hung, killed (SIGKILL of its tree) and replaced. An answer: slow, left alone. */
  private static void healthCheck(PluginPool pool, PluginInstance instance, InstanceHandle process, String after) {
    Duration timeout = pool.settings.healthCheckTimeout();
    boolean answered = process.answers(timeout);
    boolean hung = false;
    try (PoolState.Held held = pool.state.lock()) {
      instance.endCheck(held, pool.clock.nanoTime());
      if (answered || instance.state(held) != PluginState.READY || !process.isAlive()) {
        if (answered && instance.suspect(held)) {
          log.info("[{}] slow, not hung: it answered a HealthCheck after {}", instance.id, after);
        }
        instance.clearSuspect(held);
        held.signalAll();
        return;
      }
      hung = true;
      String why = "hung: no answer to a HealthCheck within " + timeout.toMillis() + " ms after " + after
          + "; killed and replaced";
      log.warn("[{}] {}", instance.id, why);
      held.moveInstance(instance, PluginState.HUNG, why);
      RunnerSettings runner = pool.manifest.runner();
      if (!held.closed() && !held.crashes().quarantined()
          && held.liveCount() < Math.min(runner.maxInstances(), Math.max(1, runner.minInstances()))) {
        held.startInstance("replacing hung " + instance.id);
      }
      held.recompute(why);
      held.signalAll();
    } finally {
      if (hung) {
        process.kill(); // after the lock is released and the change published
      }
    }
  }
}
