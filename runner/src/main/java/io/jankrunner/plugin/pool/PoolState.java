package io.jankrunner.plugin.pool;

import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginNotFoundException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.api.PluginStateListener;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything of a {@link PluginPool} that changes, behind its one lock: the instances, the derived
 * plugin state, backoff, owed restarts, start failures, the crash history, and whether the
 * registration was replaced or closed. The fields are private; the only way to them is a
 * {@link Held} from {@link #lock()}, so "under the lock" is a type, not a comment. Releasing the
 * hold publishes the state changes queued under it, after the lock is released, so no listener
 * runs under it.
 */
final class PoolState {

  private static final Logger log = LoggerFactory.getLogger(PluginPool.class); // transitions are the pool's log

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed;
  private final String id;
  private final int maxConcurrency;
  private final StateEvents events;
  private final PoolClock clock;
  private final Consumer<PluginInstance> launch;
  private final Held held = new Held();

  /** What a waiter looks for under the lock: a value ends its wait, empty waits on, {@code E} ends it in error. */
  @FunctionalInterface
  interface Look<T, E extends Exception> {
    Optional<T> look() throws E;
  }

  private final CrashHistory crashes;
  private final List<PluginInstance> instances = new ArrayList<>();
  private final List<PluginInstance> instancesView = Collections.unmodifiableList(instances);
  private int instanceNumbers;
  private PluginState state = PluginState.STOPPED;
  private Optional<String> reason = Optional.empty();
  private Instant backoffUntil;
  private int replacementsOwed;
  private PluginStartException lastStartFailure;
  private long startFailures;
  private int waiting;
  private boolean replaced;
  private boolean closed;

  /** {@code launch} runs on a new instance's own thread, outside the lock, to start its process. */
  PoolState(String id, int maxConcurrency, CrashHistory crashes, StateEvents events, PoolClock clock,
            Consumer<PluginInstance> launch) {
    this.id = id;
    this.maxConcurrency = maxConcurrency;
    this.crashes = crashes;
    this.events = events;
    this.clock = clock;
    this.launch = launch;
    this.changed = clock.newCondition(lock);
  }

  /** Takes the lock; close the hold (try-with-resources) to release it and publish what changed. */
  Held lock() {
    lock.lock();
    return held;
  }

  /**
   * The pool's state while its lock is held; every operation "under the lock" is one of these, and
   * {@link PluginInstance}'s changing fields take it too. A pool hands out one {@code Held}, from
   * {@link #lock()}: it stands for the hold between that call and its {@link #close()}, so keep it
   * in the try-with-resources that took it.
   */
  final class Held implements AutoCloseable {

    private Held() {}

    /** Releases the lock, then delivers the state changes queued under it. */
    @Override
    public void close() {
      lock.unlock();
      events.flush();
    }

    /**
     * The one way to wait on the pool, for a registration that still takes calls: as
     * {@link #awaitUntil}, but a registration replaced meanwhile throws {@link PluginPool.Replaced}
     * (the caller goes on in its successor) and an unregistered one {@link PluginNotFoundException}.
     */
    <T> Optional<T> awaitWhileOpen(Instant deadline, Look<T, RunnerException> look)
        throws RunnerException, InterruptedException {
      return awaitUntil(deadline, () -> {
        checkOpen();
        return look.look();
      });
    }

    /**
     * Looks with {@code look} under the lock, and again after every change and when a restart
     * backoff ends (a start may be possible then), releasing the lock between looks, until
     * it has an answer or {@code deadline} passes on the pool's clock: then empty. {@code look}
     * may also end the wait by throwing.
     */
    <T, E extends Exception> Optional<T> awaitUntil(Instant deadline, Look<T, E> look)
        throws E, InterruptedException {
      while (true) {
        Optional<T> answer = look.look();
        if (answer.isPresent()) {
          return answer;
        }
        Instant now = clock.instant();
        long waitNanos = Duration.between(now, deadline).toNanos();
        if (waitNanos <= 0) {
          return Optional.empty();
        }
        if (backoffUntil != null) {
          if (!backoffUntil.isAfter(now)) {
            backoffUntil = null; // it ended since the look: look again, a start may be possible now
            continue;
          }
          waitNanos = Math.min(waitNanos, Duration.between(now, backoffUntil).toNanos());
        }
        changed.awaitNanos(waitNanos);
      }
    }

    /** Throws what a start that failed since a waiter saw {@code failuresSeen} failed with, for that waiter. */
    /** The last start's failure, until an instance is ready. */
    Optional<PluginStartException> lastStartFailure() {
      return Optional.ofNullable(lastStartFailure);
    }

    void throwStartFailureSince(long failuresSeen) throws PluginStartException {
      if (startFailures > failuresSeen && lastStartFailure != null) {
        throw new PluginStartException(id, lastStartFailure.getMessage(), null, lastStartFailure.permanent());
      }
    }

    /** Wakes every waiter to look again. */
    void signalAll() {
      changed.signalAll();
    }

    /** The plugin's own (derived) state. */
    PluginState state() {
      return state;
    }

    Optional<String> reason() {
      return reason;
    }

    CrashHistory crashes() {
      return crashes;
    }

    /** The instances, in start order (read only: starting and forgetting are operations here). */
    List<PluginInstance> instances() {
      return instancesView;
    }

    int instanceNumbers() {
      return instanceNumbers;
    }

    /** Instance ids go on from {@code previous}'s, so a swap never reuses one. */
    void numberFrom(int previous) {
      instanceNumbers = previous;
    }

    boolean replaced() {
      return replaced;
    }

    boolean closed() {
      return closed;
    }

    /** No more calls or starts; callers waiting are sent to the successor when {@code replacement}. */
    void end(boolean replacement) {
      replaced |= replacement;
      closed = true;
    }

    /** Throws when this registration no longer takes calls: replaced, or unregistered. */
    void checkOpen() throws PluginNotFoundException {
      if (replaced) {
        throw new PluginPool.Replaced();
      }
      if (closed) {
        throw new PluginNotFoundException(id, "plugin " + id + " was unregistered");
      }
    }

    /** How many starts have failed so far: a waiter compares it with what it saw when it came. */
    long startFailures() {
      return startFailures;
    }

    void startFailed(PluginStartException failure) {
      lastStartFailure = failure;
      startFailures++;
    }

    /** An instance is ready: the last start's failure no longer describes the plugin. */
    void startSucceeded() {
      lastStartFailure = null;
    }

    void beginWaiting() {
      waiting++;
    }

    void endWaiting() {
      waiting--;
    }

    /** Calls waiting for a slot. */
    int waiting() {
      return waiting;
    }

    Optional<Instant> backoffUntil() {
      return Optional.ofNullable(backoffUntil);
    }

    /** Starts wait until {@code until}; a crashed instance is restarted then when {@code owesReplacement}. */
    void backOff(Instant until, boolean owesReplacement) {
      backoffUntil = until;
      if (owesReplacement) {
        replacementsOwed++;
      }
    }

    /** Quarantine replaces any backoff and owed restarts: its end starts one probe instance. */
    void quarantined() {
      backoffUntil = null;
      replacementsOwed = 0;
    }

    /** Restarts owed after crashes, now counted as done. */
    int takeReplacementsOwed() {
      int owed = replacementsOwed;
      replacementsOwed = 0;
      return owed;
    }

    /** A backoff that has passed no longer holds starts back. */
    void endBackoffIfPassed(Instant now) {
      if (backoffUntil != null && !now.isBefore(backoffUntil)) {
        backoffUntil = null;
      }
    }

    /** Counts toward max_instances: starting or serving, not on its way out. */
    int liveCount() {
      return (int) instances.stream().filter(i -> i.live(this)).count();
    }

    /** Calls the instances being started will take once ready. */
    int startingCapacity() {
      return (int) instances.stream().filter(i -> i.state(this) == PluginState.STARTING).count() * maxConcurrency;
    }

    Optional<PluginInstance> anyReady() {
      return instances.stream().filter(i -> i.state(this) == PluginState.READY).findFirst();
    }

    /** The least-loaded instance that takes calls now, its slot taken; or null. */
    PluginInstance takeSlot(Instant deadline) {
      PluginInstance pick = instances.stream().filter(i -> i.takesCalls(this, maxConcurrency))
          .min(Comparator.comparingInt(i -> i.inFlight(this))).orElse(null);
      if (pick != null) {
        pick.takeSlot(this, clock.nanoTime(), deadline);
      }
      return pick;
    }

    /** A call on {@code instance} has ended: its slot is free. */
    void giveBackSlot(PluginInstance instance) {
      instance.giveBackSlot(this, clock.nanoTime());
      changed.signalAll();
    }

    /** For error messages: every instance, its state and load, and the backoff. */
    String describe() {
      return instances.size() + " instance(s): " + instances.stream()
          .map(i -> i.describe(this))
          .toList() + (backoffUntil != null ? "; restart backoff until " + backoffUntil : "");
    }

    /** Starts instances while {@code wanted} (each with the reason {@code why} gives at its start). */
    void startWhile(BooleanSupplier wanted, Supplier<String> why) {
      while (wanted.getAsBoolean()) {
        startInstance(why.get());
      }
    }

    /** A new instance, started on its own thread so that no caller's deadline waits on it. */
    void startInstance(String why) {
      PluginInstance instance = new PluginInstance(id + "#" + (++instanceNumbers), clock.instant(), clock.nanoTime());
      instances.add(instance);
      moveInstance(instance, PluginState.STARTING, why);
      recompute(why);
      Thread starter = Thread.ofVirtual().name("plugin-start-" + instance.id).unstarted(() -> launch.accept(instance));
      instance.startingOn(this, starter);
      starter.start();
    }

    /** The instance is gone from the pool; false when it was already. */
    boolean forget(PluginInstance instance) {
      return instances.remove(instance);
    }

    boolean has(PluginInstance instance) {
      return instances.contains(instance);
    }

    /** The plugin's state from its instances, backoff and quarantine; publishes a change. */
    void recompute(String why) {
      PluginState next;
      if (closed) {
        next = instances.isEmpty() ? PluginState.STOPPED : PluginState.STOPPING;
      } else if (crashes.quarantined()) {
        next = PluginState.QUARANTINED;
      } else if (instances.stream().anyMatch(i -> i.state(this) == PluginState.READY)) {
        next = PluginState.READY;
      } else if (instances.stream().anyMatch(i -> i.state(this) == PluginState.STARTING)) {
        next = PluginState.STARTING;
      } else if (lastStartFailure != null) {
        next = PluginState.ERROR; // its next start also waits for the backoff
      } else if (backoffUntil != null) {
        next = PluginState.BACKOFF;
      } else if (instances.stream().anyMatch(i -> i.state(this) == PluginState.STOPPING)) {
        next = PluginState.STOPPING; // scaling to zero: stopped once the last process is gone
      } else {
        next = PluginState.STOPPED;
      }
      if (next == state || replaced) {
        return; // a replaced registration's end is not the plugin's: its successor speaks for it
      }
      if (!state.canMoveTo(next)) {
        log.debug("[{}] unexpected transition {} -> {}", id, state, next);
      }
      PluginState previous = state;
      state = next;
      reason = next == PluginState.READY ? Optional.empty() : Optional.ofNullable(why);
      log.debug("[{}] {} -> {}", id, previous.jsonName(), next.jsonName());
      events.add(change(previous, next, reason, OptionalLong.empty(), Optional.empty()));
    }

    /** Publishes the current state as it is (a new registration's first). */
    void announce() {
      events.add(change(state, state, reason, OptionalLong.empty(), Optional.empty()));
    }

    /** One instance's change, published after the lock is released. */
    void moveInstance(PluginInstance instance, PluginState target, String why) {
      PluginState previous = instance.moveTo(this, target);
      events.add(change(previous, target, Optional.ofNullable(why), instance.pid(this), Optional.of(instance.id)));
    }

    private PluginStateListener.Change change(PluginState previous, PluginState next, Optional<String> why,
                                              OptionalLong pid, Optional<String> instanceId) {
      return new PluginStateListener.Change(id, previous, next, why, pid, clock.instant(), instanceId);
    }
  }
}
