package io.jankrunner.plugin.pool;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginNotFoundException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.manifest.PluginManifest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered plugin: its manifest and binary as registered, and a pool of 0..{@code max_instances}
 * processes ({@link PluginInstance}s). A call takes a slot on the least-loaded ready instance; when
 * every one is full and the pool is below {@code max_instances} a new instance is cold-started,
 * else the call waits for a slot, never past its deadline. What becomes of a launched instance
 * (ready, crashed: backoff or quarantine) is {@link InstanceOutcomes}; {@link PoolUpkeep} reaps
 * idle instances, keeps {@code min_instances} and tells hung instances from slow ones;
 * {@link PoolShutdown} stops instances.
 *
 * <p>One lock per pool guards everything here; no call into a plugin, no process stop and no
 * listener runs under it. State changes are queued under it and published after it is released.
 *
 * <p>The pool knows an instance only as an {@link InstanceHandle} from its {@link Launcher}, and
 * time only as its {@link PoolClock} (every deadline, backoff, quarantine, idle TTL and drain limit
 * is read from it, and its lock's timed waits run on it): its unit tests run it on fakes of both.
 */
public final class PluginPool {

  private static final Logger log = LoggerFactory.getLogger(PluginPool.class);

  /** Starts one instance of a pool (a process, for the manager), returning once it is ready. */
  @FunctionalInterface
  public interface Launcher {
    InstanceHandle launch(PluginPool pool) throws PluginStartException;
  }

  /** A call's slot on one instance; give it back with {@link #release}. */
  public static final class Lease {
    private final PluginInstance instance;
    private final InstanceHandle process;
    private final Optional<Duration> coldStart;

    private Lease(PluginInstance instance, InstanceHandle process, Optional<Duration> coldStart) {
      this.instance = instance;
      this.process = process;
      this.coldStart = coldStart;
    }

    PluginInstance instance() {
      return instance;
    }

    /** The instance that takes the call. */
    public InstanceHandle process() {
      return process;
    }

    /** The instance's cold start, when the call waited for it. */
    public Optional<Duration> coldStart() {
      return coldStart;
    }
  }

  /** This registration was replaced while a call waited in it: look the plugin up again. */
  public static final class Replaced extends RuntimeException {
    Replaced() {
      super("replaced", null, false, false);
    }
  }

  final ReentrantLock lock = new ReentrantLock();
  final Condition changed;
  final List<PluginInstance> instances = new ArrayList<>();
  final PluginManifest manifest;
  final PoolSettings settings;
  final StateEvents events;
  final PoolClock clock;
  final ScheduledExecutorService scheduler;
  private final Path directory;
  private final Path binary;
  final Launcher launcher;
  final CrashHistory crashes;
  private int instanceNumbers;
  private PluginState state = PluginState.STOPPED;
  private Optional<String> reason = Optional.empty();
  Instant backoffUntil;
  int replacementsOwed;
  PluginStartException lastStartFailure;
  long startFailures;
  private int waiting;
  boolean replaced;
  boolean closed;

  public PluginPool(PluginManifest manifest, Path directory, Path binary, PoolSettings settings, StateEvents events,
             Launcher launcher, PoolClock clock, ScheduledExecutorService scheduler) {
    this.manifest = manifest;
    this.directory = directory;
    this.binary = binary;
    this.settings = settings;
    this.events = events;
    this.launcher = launcher;
    this.clock = clock;
    this.changed = clock.newCondition(lock);
    this.scheduler = scheduler;
    this.crashes = new CrashHistory(settings.restartPolicy().overriddenBy(manifest.runner().lifecycle()), clock,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  public String id() {
    return manifest.id();
  }

  /** Instance ids go on from {@code previous}'s, so a swap never reuses one. */
  public void numberAfter(PluginPool previous) {
    previous.lock.lock();
    try {
      instanceNumbers = previous.instanceNumbers;
    } finally {
      previous.lock.unlock();
    }
  }

  /** Under the lock: the plugin's own (derived) state. */
  PluginState state() {
    return state;
  }

  public PluginManifest manifest() {
    return manifest;
  }

  public Path directory() {
    return directory;
  }

  public Path binary() {
    return binary;
  }

  /** Publishes the initial state of a new registration. */
  public void announce() {
    events.add(change(state, state, reason, OptionalLong.empty(), Optional.empty()));
    events.flush();
  }

  /**
   * A slot for one call on the least-loaded ready instance, cold-starting one when all are full.
   *
   * @throws Replaced when the plugin was re-registered meanwhile (the caller tries the new one)
   * @throws PluginCallException PLUGIN_UNAVAILABLE when quarantined, TIMEOUT at {@code deadline}
   * @throws PluginStartException when a start this call waited for failed
   */
  public Lease acquire(Instant deadline) throws RunnerException {
    long since = clock.nanoTime();
    lock.lock();
    try {
      long failuresSeen = startFailures;
      waiting++;
      try {
        while (true) {
          checkOpen();
          Optional<Instant> quarantine = crashes.quarantinedUntil();
          if (quarantine.isPresent()) {
            throw new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, id(), "plugin " + id() + " is quarantined until "
                + quarantine.get() + " after " + crashes.crashesInWindow() + " crashes" + reason.map(r -> "; last: " + r)
                .orElse(""));
          }
          Lease lease = leaseLocked(deadline, since);
          if (lease != null) {
            return lease;
          }
          if (startFailures > failuresSeen && lastStartFailure != null) {
            throw new PluginStartException(id(), lastStartFailure.getMessage());
          }
          Instant now = clock.instant();
          endBackoffIfPassed(now);
          if (backoffUntil == null && startingCapacity() < waiting && liveCount() < manifest.runner().maxInstances()) {
            startInstance(instances.isEmpty() ? "cold start" : "every instance is busy");
            continue;
          }
          long waitNanos = Duration.between(now, deadline).toNanos();
          if (waitNanos <= 0) {
            throw new PluginCallException(ErrorCode.TIMEOUT, id(), "no instance of " + id()
                + " could take the call before its deadline (" + describe() + ")");
          }
          if (backoffUntil != null) {
            waitNanos = Math.min(waitNanos, Math.max(1, Duration.between(now, backoffUntil).toNanos()));
          }
          changed.awaitNanos(waitNanos);
        }
      } finally {
        waiting--;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PluginCallException(ErrorCode.INTERNAL, id(), "interrupted while waiting for an instance");
    } finally {
      lock.unlock();
      events.flush();
    }
  }

  /**
   * A slot on a warm instance if one is free right now, without waiting, starting or throwing:
   * the common case of a call, taken without parking its thread. Empty means: ask {@link #acquire}.
   */
  public Optional<Lease> tryAcquire(Instant deadline) {
    lock.lock();
    try {
      if (replaced || closed || crashes.quarantined()) {
        return Optional.empty();
      }
      return Optional.ofNullable(leaseLocked(deadline, clock.nanoTime()));
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: a slot on the least-loaded instance that takes calls, or null. */
  private Lease leaseLocked(Instant deadline, long since) {
    PluginInstance pick = instances.stream().filter(i -> i.takesCalls(manifest.runner().maxConcurrency()))
        .min(Comparator.comparingInt(i -> i.inFlight)).orElse(null);
    if (pick == null) {
      return null;
    }
    pick.inFlight++;
    pick.lastActiveNanos = clock.nanoTime();
    if (deadline.isAfter(pick.drainBy)) {
      pick.drainBy = deadline;
    }
    Optional<Duration> cold = pick.readyNanos - since > 0 ? Optional.of(pick.process.coldStart()) : Optional.empty();
    return new Lease(pick, pick.process, cold);
  }

  /** A call has ended: its slot is free (busy or idle is a count, not a published state). */
  public void release(Lease lease) {
    lock.lock();
    try {
      lease.instance().inFlight--;
      lease.instance().lastActiveNanos = clock.nanoTime();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Starts instances until {@code count} are live (at most {@code max_instances}). */
  public void warmUp(int count, String why) {
    lock.lock();
    try {
      while (!closed && !replaced && liveCount() < Math.min(count, manifest.runner().maxInstances())) {
        startInstance(why);
      }
    } finally {
      lock.unlock();
      events.flush();
    }
  }

  /** Waits until some instance is ready; throws the start failure, or at {@code deadline}. */
  public void awaitReady(Instant deadline) throws RunnerException {
    lock.lock();
    try {
      long failuresSeen = startFailures;
      while (instances.stream().noneMatch(i -> i.state == PluginState.READY)) {
        checkOpen();
        if (startFailures > failuresSeen && lastStartFailure != null) {
          throw new PluginStartException(id(), lastStartFailure.getMessage());
        }
        long waitNanos = Duration.between(clock.instant(), deadline).toNanos();
        if (waitNanos <= 0) {
          throw new PluginStartException(id(), "plugin " + id() + " was not ready in time (" + describe() + ")");
        }
        changed.awaitNanos(waitNanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PluginStartException(id(), "interrupted while waiting for the plugin to start");
    } finally {
      lock.unlock();
      events.flush();
    }
  }

  private void checkOpen() throws PluginNotFoundException {
    if (replaced) {
      throw new Replaced();
    }
    if (closed) {
      throw new PluginNotFoundException(id(), "plugin " + id() + " was unregistered");
    }
  }

  /** Under the lock: a new instance, started on its own thread so that no caller's deadline waits on it. */
  void startInstance(String why) {
    PluginInstance instance = new PluginInstance(id() + "#" + (++instanceNumbers), clock.instant(), clock.nanoTime());
    instances.add(instance);
    moveInstance(instance, PluginState.STARTING, why);
    recompute(why);
    instance.starter = Thread.ofVirtual().name("plugin-start-" + instance.id)
        .unstarted(() -> InstanceOutcomes.launch(this, instance));
    instance.starter.start();
  }

  /** Under the lock: a backoff that has passed no longer holds starts back. */
  void endBackoffIfPassed(Instant now) {
    if (backoffUntil != null && !now.isBefore(backoffUntil)) {
      backoffUntil = null;
    }
  }

  /**
   * Ends this registration: no new calls (callers waiting are sent to the replacement, when
   * {@code replacement}), starts under way are interrupted, calls in flight get until
   * {@code drainLimit} (or, when empty, their own deadlines), then every process is stopped.
   */
  public void shutDown(boolean replacement, Optional<Instant> drainLimit, String why) {
    PoolShutdown.shutDown(this, replacement, drainLimit, why);
  }

  /** Upkeep: backoff and quarantine ends, min_instances, the idle TTL, periodic health checks ({@link PoolUpkeep}). */
  public void maintain() {
    PoolUpkeep.maintain(this);
  }

  /** A call on {@code lease} passed its deadline: its instance is checked for hanging ({@link PoolUpkeep}). */
  public void callTimedOut(Lease lease) {
    PoolUpkeep.callTimedOut(this, lease.instance());
  }

  /** What get and list show. */
  public PluginInfo info() {
    lock.lock();
    try {
      int inFlight = instances.stream().mapToInt(i -> i.inFlight).sum();
      OptionalLong pid = instances.stream().filter(i -> i.state == PluginState.READY).findFirst()
          .map(PluginInstance::pid).orElse(OptionalLong.empty());
      String status = state == PluginState.READY && inFlight > 0 ? PluginState.RUNNING.jsonName() : state.jsonName();
      return new PluginInfo(Optional.of(id()), Optional.of(manifest.name()), Optional.of(manifest.version()),
          Optional.of(manifest.description()), directory, status, true, reason, pid, inFlight,
          instances.stream().map(PluginInstance::info).toList(), Optional.of(manifest));
    } finally {
      lock.unlock();
    }
  }

  /** A ready instance, for health and cold-start questions. */
  public Optional<InstanceHandle> anyReadyProcess() {
    lock.lock();
    try {
      return instances.stream().filter(i -> i.state == PluginState.READY).findFirst().map(i -> i.process);
    } finally {
      lock.unlock();
    }
  }

  int liveCount() {
    return (int) instances.stream().filter(PluginInstance::live).count();
  }

  private int startingCapacity() {
    return (int) instances.stream().filter(i -> i.state == PluginState.STARTING).count()
        * manifest.runner().maxConcurrency();
  }

  private String describe() {
    return instances.size() + " instance(s): " + instances.stream()
        .map(i -> i.id + " " + i.state.jsonName() + (i.suspect ? " (suspect)" : "") + " " + i.inFlight + " in flight")
        .toList() + (backoffUntil != null ? "; restart backoff until " + backoffUntil : "");
  }

  /** Under the lock: the plugin's state from its instances, backoff and quarantine; publishes a change. */
  void recompute(String why) {
    PluginState next;
    if (closed) {
      next = instances.isEmpty() ? PluginState.STOPPED : PluginState.STOPPING;
    } else if (crashes.quarantined()) {
      next = PluginState.QUARANTINED;
    } else if (instances.stream().anyMatch(i -> i.state == PluginState.READY)) {
      next = PluginState.READY;
    } else if (instances.stream().anyMatch(i -> i.state == PluginState.STARTING)) {
      next = PluginState.STARTING;
    } else if (lastStartFailure != null) {
      next = PluginState.ERROR; // its next start also waits for the backoff
    } else if (backoffUntil != null) {
      next = PluginState.BACKOFF;
    } else if (instances.stream().anyMatch(i -> i.state == PluginState.STOPPING)) {
      next = PluginState.STOPPING; // scaling to zero: stopped once the last process is gone
    } else {
      next = PluginState.STOPPED;
    }
    if (next == state || replaced) {
      return; // a replaced registration's end is not the plugin's: its successor speaks for it
    }
    if (!state.canMoveTo(next)) {
      log.debug("[{}] unexpected transition {} -> {}", id(), state, next);
    }
    PluginState previous = state;
    state = next;
    reason = next == PluginState.READY ? Optional.empty() : Optional.ofNullable(why);
    log.debug("[{}] {} -> {}", id(), previous.jsonName(), next.jsonName());
    events.add(change(previous, next, reason, OptionalLong.empty(), Optional.empty()));
  }

  /** Under the lock: one instance's change, published after the lock is released. */
  void moveInstance(PluginInstance instance, PluginState target, String why) {
    PluginState previous = instance.state;
    instance.state = target;
    events.add(change(previous, target, Optional.ofNullable(why), instance.pid(), Optional.of(instance.id)));
  }

  private PluginStateListener.Change change(PluginState previous, PluginState next, Optional<String> why,
                                            OptionalLong pid, Optional<String> instanceId) {
    return new PluginStateListener.Change(id(), previous, next, why, pid, clock.instant(), instanceId);
  }
}
