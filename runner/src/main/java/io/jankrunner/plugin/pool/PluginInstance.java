package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One process of a plugin's pool, as a serverless function instance: named {@code <plugin>#<n>},
 * taking up to {@code max_concurrency} calls at once. What changes is guarded by its pool's lock:
 * every method that reads or writes it takes the {@link PoolState.Held} hold of that lock, so it
 * cannot be reached without holding it.
 */
final class PluginInstance {

  final String id;
  final Instant startedAt;
  private PluginState state = PluginState.STOPPED;
  private InstanceHandle process;
  private Thread starter;
  private int inFlight;
  private long readyNanos;
  private long lastActiveNanos;
  private long lastHealthCheckNanos;
  /** A call on it passed its deadline: no new calls until a HealthCheck says it is only slow. */
  private boolean suspect;
  private boolean checking;
  /** The latest deadline of a call it took: how long a drain waits for it. */
  private Instant drainBy = Instant.EPOCH;

  PluginInstance(String id, Instant startedAt, long startedNanos) {
    this.id = id;
    this.startedAt = startedAt;
    this.lastActiveNanos = startedNanos;
    this.lastHealthCheckNanos = startedNanos;
  }

  PluginState state(PoolState.Held held) {
    return state;
  }

  /** Sets its state (see {@link PoolState.Held#moveInstance}, which publishes it); returns the previous one. */
  PluginState moveTo(PoolState.Held held, PluginState target) {
    PluginState previous = state;
    state = target;
    return previous;
  }

  boolean takesCalls(PoolState.Held held, int maxConcurrency) {
    return state == PluginState.READY && !suspect && inFlight < maxConcurrency;
  }

  /** Counts toward max_instances: starting or serving, not on its way out. */
  boolean live(PoolState.Held held) {
    return state == PluginState.STARTING || state == PluginState.READY;
  }

  int inFlight(PoolState.Held held) {
    return inFlight;
  }

  /** A call takes a slot at {@code nowNanos}; a drain waits for it up to its {@code deadline}. */
  void takeSlot(PoolState.Held held, long nowNanos, Instant deadline) {
    inFlight++;
    lastActiveNanos = nowNanos;
    if (deadline.isAfter(drainBy)) {
      drainBy = deadline;
    }
  }

  void giveBackSlot(PoolState.Held held, long nowNanos) {
    inFlight--;
    lastActiveNanos = nowNanos;
  }

  /** The latest deadline of a call it took. */
  Instant drainBy(PoolState.Held held) {
    return drainBy;
  }

  /** Became ready after {@code sinceNanos}: a call that came then waited for its cold start. */
  boolean readyAfter(PoolState.Held held, long sinceNanos) {
    return readyNanos - sinceNanos > 0;
  }

  /** Its process, once launched (null before). */
  InstanceHandle process(PoolState.Held held) {
    return process;
  }

  /** The thread starting it, while it starts. */
  Optional<Thread> starter(PoolState.Held held) {
    return Optional.ofNullable(starter);
  }

  void startingOn(PoolState.Held held, Thread thread) {
    starter = thread;
  }

  /** Its start has ended: with its process when {@code launched} is not null. */
  void startEnded(PoolState.Held held, InstanceHandle launched) {
    starter = null;
    if (launched != null) {
      process = launched;
    }
  }

  /** Ready at {@code nowNanos}: idle and health-checked from then on. */
  void readyAt(PoolState.Held held, long nowNanos) {
    readyNanos = nowNanos;
    lastActiveNanos = nowNanos;
    lastHealthCheckNanos = nowNanos;
  }

  /** Ready, without calls and without a HealthCheck under way. */
  private boolean resting() {
    return state == PluginState.READY && inFlight == 0 && !checking;
  }

  boolean idleFor(PoolState.Held held, long nowNanos, Duration ttl) {
    return resting() && nowNanos - lastActiveNanos >= ttl.toNanos();
  }

  boolean healthCheckDue(PoolState.Held held, long nowNanos, Duration interval) {
    return resting() && nowNanos - lastHealthCheckNanos >= interval.toNanos();
  }

  /** A HealthCheck begins; a suspect takes no new calls until it ends. */
  void beginCheck(PoolState.Held held, boolean asSuspect) {
    checking = true;
    suspect |= asSuspect;
  }

  boolean checking(PoolState.Held held) {
    return checking;
  }

  /** A HealthCheck ended at {@code nowNanos}. */
  void endCheck(PoolState.Held held, long nowNanos) {
    checking = false;
    lastHealthCheckNanos = nowNanos;
  }

  boolean suspect(PoolState.Held held) {
    return suspect;
  }

  /** It answered: only slow, it takes calls again. */
  void clearSuspect(PoolState.Held held) {
    suspect = false;
  }

  OptionalLong pid(PoolState.Held held) {
    return process != null ? OptionalLong.of(process.pid()) : OptionalLong.empty();
  }

  PluginInfo.Instance info(PoolState.Held held) {
    return new PluginInfo.Instance(id, pid(held), state.jsonName(), inFlight, startedAt);
  }

  /** For error messages: its state and load. */
  String describe(PoolState.Held held) {
    return id + " " + state.jsonName() + (suspect ? " (suspect)" : "") + " " + inFlight + " in flight";
  }

  @Override
  public String toString() {
    return id;
  }
}
