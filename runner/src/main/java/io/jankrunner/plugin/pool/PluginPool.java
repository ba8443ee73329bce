package io.jankrunner.plugin.pool;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginNotFoundException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.manifest.PluginManifest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A registered plugin: its manifest and binary as registered, and a pool of 0..{@code max_instances}
 * processes ({@link PluginInstance}s). A call takes a slot on the least-loaded ready instance; when
 * every one is full and the pool is below {@code max_instances} a new instance is cold-started,
 * else the call waits for a slot, never past its deadline. What becomes of a launched instance
 * (ready, crashed: backoff or quarantine) is {@link InstanceOutcomes}; {@link PoolUpkeep} reaps
 * idle instances, keeps {@code min_instances} and tells hung instances from slow ones;
 * {@link PoolShutdown} stops instances.
 *
 * <p>What changes is a {@link PoolState}, behind the pool's one lock and reachable only while
 * holding it; no call into a plugin, no process stop and no listener runs under it. State changes
 * are queued under it and published after it is released.
 *
 * <p>The pool knows an instance only as an {@link InstanceHandle} from its {@link Launcher}, and
 * time only as its {@link PoolClock} (every deadline, backoff, quarantine, idle TTL and drain limit
 * is read from it, and its lock's timed waits run on it): its unit tests run it on fakes of both.
 */
public final class PluginPool {

  /** Starts one instance of a pool (a process, for the manager), returning once it is ready. */
  @FunctionalInterface
  public interface Launcher {
    InstanceHandle launch(PluginPool pool) throws PluginStartException;
  }

  /** A call's slot on one instance; give it back with {@link #release}. */
  public static final class Lease {
    private final PluginPool pool;
    private final PluginInstance instance;
    private final InstanceHandle process;
    private final Optional<Duration> coldStart;

    private Lease(PluginPool pool, PluginInstance instance, InstanceHandle process, Optional<Duration> coldStart) {
      this.pool = pool;
      this.instance = instance;
      this.process = process;
      this.coldStart = coldStart;
    }

    PluginInstance instance() {
      return instance;
    }

    /** The registration the slot is in: the one to give it back to. */
    public PluginPool pool() {
      return pool;
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

  /** This registration was replaced while a call waited in it: the call goes on in the successor. */
  public static final class Replaced extends RuntimeException {
    Replaced() {
      super("replaced", null, false, false);
    }
  }

  final PluginManifest manifest;
  final PoolSettings settings;
  final PoolClock clock;
  final ScheduledExecutorService scheduler;
  private final Path directory;
  private final Path binary;
  final Launcher launcher;
  /** Everything that changes; reachable only while holding its lock. */
  final PoolState state;

  public PluginPool(PluginManifest manifest, Path directory, Path binary, PoolSettings settings, StateEvents events,
             Launcher launcher, PoolClock clock, ScheduledExecutorService scheduler) {
    this.manifest = manifest;
    this.directory = directory;
    this.binary = binary;
    this.settings = settings;
    this.launcher = launcher;
    this.clock = clock;
    this.scheduler = scheduler;
    CrashHistory crashes = new CrashHistory(settings.restartPolicy().overriddenBy(manifest.runner().lifecycle()), clock,
        () -> ThreadLocalRandom.current().nextDouble());
    this.state = new PoolState(manifest.id(), manifest.runner().maxConcurrency(), crashes, events, clock,
        instance -> InstanceOutcomes.launch(this, instance));
  }

  public String id() {
    return manifest.id();
  }

  /** Instance ids go on from {@code previous}'s, so a swap never reuses one. */
  public void numberAfter(PluginPool previous) {
    int numbers;
    try (PoolState.Held old = previous.state.lock()) {
      numbers = old.instanceNumbers();
    }
    try (PoolState.Held held = state.lock()) {
      held.numberFrom(numbers);
    }
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
    try (PoolState.Held held = state.lock()) {
      held.announce();
    }
  }

  /** The registration that serves a plugin now, for a call whose registration was replaced while it waited. */
  @FunctionalInterface
  public interface Registration {
    PluginPool current() throws PluginNotFoundException;
  }

  /**
   * {@link #acquire} in {@code first}, and when a hot swap replaces the registration the call
   * waits in, in its successor ({@code registration}), with the same deadline: how a call is
   * routed to a plugin. The lease says which registration it is in ({@link Lease#pool}).
   */
  public static Lease acquire(PluginPool first, Registration registration, Instant deadline) throws RunnerException {
    PluginPool pool = first;
    while (true) {
      try {
        return pool.acquire(deadline);
      } catch (Replaced replaced) {
        pool = registration.current(); // re-registered while this call waited: the new version takes it
      }
    }
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
    try (PoolState.Held held = state.lock()) {
      long failuresSeen = held.startFailures();
      held.beginWaiting();
      try {
        Optional<Lease> lease = held.awaitWhileOpen(deadline, () -> {
          Optional<Instant> quarantine = held.crashes().quarantinedUntil();
          if (quarantine.isPresent()) {
            // Quarantined at its first failed start, because every start would fail so: said as that.
            Optional<PluginStartException> cannotStart = held.lastStartFailure().filter(PluginStartException::permanent);
            if (cannotStart.isPresent()) {
              throw new PluginStartException(id(), "plugin " + id() + " cannot be started (not retried; quarantined until "
                  + quarantine.get() + "): " + cannotStart.get().getMessage() + "; its binary cannot be executed, and "
                  + "every start would fail the same way: give it a shebang line or build it for this machine, make it "
                  + "executable, check the interpreter it names, then register the plugin again", null, true);
            }
            throw new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, id(), "plugin " + id() + " is quarantined until "
                + quarantine.get() + " after " + held.crashes().crashesInWindow() + " crashes"
                + held.reason().map(r -> "; last: " + r).orElse(""));
          }
          Optional<Lease> free = Optional.ofNullable(lease(held, deadline, since));
          if (free.isEmpty()) {
            held.throwStartFailureSince(failuresSeen);
            held.endBackoffIfPassed(clock.instant());
            held.startWhile(() -> held.backoffUntil().isEmpty() && held.startingCapacity() < held.waiting()
                    && held.liveCount() < manifest.runner().maxInstances(),
                () -> held.instances().isEmpty() ? "cold start" : "every instance is busy");
          }
          return free;
        });
        return lease.orElseThrow(() -> new PluginCallException(ErrorCode.TIMEOUT, id(), "no instance of " + id()
            + " could take the call before its deadline (" + held.describe() + ")"));
      } finally {
        held.endWaiting();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PluginCallException(ErrorCode.INTERNAL, id(), "interrupted while waiting for an instance");
    }
  }

  /**
   * A slot on a warm instance if one is free right now, without waiting, starting or throwing:
   * the common case of a call, taken without parking its thread. Empty means: ask {@link #acquire}.
   */
  public Optional<Lease> tryAcquire(Instant deadline) {
    try (PoolState.Held held = state.lock()) {
      if (held.replaced() || held.closed() || held.crashes().quarantined()) {
        return Optional.empty();
      }
      return Optional.ofNullable(lease(held, deadline, clock.nanoTime()));
    }
  }

  /** A slot on the least-loaded instance that takes calls, or null. */
  private Lease lease(PoolState.Held held, Instant deadline, long since) {
    PluginInstance pick = held.takeSlot(deadline);
    if (pick == null) {
      return null;
    }
    InstanceHandle process = pick.process(held);
    Optional<Duration> cold = pick.readyAfter(held, since) ? Optional.of(process.coldStart()) : Optional.empty();
    return new Lease(this, pick, process, cold);
  }

  /** A call has ended: its slot is free (busy or idle is a count, not a published state). */
  public void release(Lease lease) {
    try (PoolState.Held held = state.lock()) {
      held.giveBackSlot(lease.instance());
    }
  }

  /** Starts instances until {@code count} are live (at most {@code max_instances}). */
  public void warmUp(int count, String why) {
    try (PoolState.Held held = state.lock()) {
      held.startWhile(() -> !held.closed() && !held.replaced()
          && held.liveCount() < Math.min(count, manifest.runner().maxInstances()), () -> why);
    }
  }

  /** Waits until some instance is ready; throws the start failure, or at {@code deadline}. */
  public void awaitReady(Instant deadline) throws RunnerException {
    try (PoolState.Held held = state.lock()) {
      long failuresSeen = held.startFailures();
      Optional<PluginInstance> ready = held.awaitWhileOpen(deadline, () -> {
        Optional<PluginInstance> any = held.anyReady();
        if (any.isEmpty()) {
          held.throwStartFailureSince(failuresSeen);
        }
        return any;
      });
      if (ready.isEmpty()) {
        throw new PluginStartException(id(), "plugin " + id() + " was not ready in time (" + held.describe() + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PluginStartException(id(), "interrupted while waiting for the plugin to start");
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
    try (PoolState.Held held = state.lock()) {
      List<PluginInstance> instances = held.instances();
      int inFlight = instances.stream().mapToInt(i -> i.inFlight(held)).sum();
      OptionalLong pid = held.anyReady().map(i -> i.pid(held)).orElse(OptionalLong.empty());
      PluginState plugin = held.state();
      String status = plugin == PluginState.READY && inFlight > 0 ? PluginState.RUNNING.jsonName() : plugin.jsonName();
      return new PluginInfo(Optional.of(id()), Optional.of(manifest.name()), Optional.of(manifest.version()),
          Optional.of(manifest.description()), directory, status, true, held.reason(), pid, inFlight,
          instances.stream().map(i -> i.info(held)).toList(), Optional.of(manifest));
    }
  }

  /** A ready instance, for health and cold-start questions. */
  public Optional<InstanceHandle> anyReadyProcess() {
    try (PoolState.Held held = state.lock()) {
      return held.anyReady().map(i -> i.process(held));
    }
  }
}
