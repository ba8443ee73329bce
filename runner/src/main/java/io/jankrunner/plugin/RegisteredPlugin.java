package io.jankrunner.plugin;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin registered with the manager: its manifest and binary as registered, its state, and
 * the process serving it. Starting is serialized per plugin by {@code startLock}, which no other
 * plugin ever waits on; state changes are serialized by {@code stateLock} and published in order.
 */
final class RegisteredPlugin {

  private static final Logger log = LoggerFactory.getLogger(RegisteredPlugin.class);

  private final PluginManifest manifest;
  private final Path directory;
  private final Path binary;
  private final PluginStateListener listener;
  private final ReentrantLock startLock = new ReentrantLock();
  private final ReentrantLock stateLock = new ReentrantLock();
  private PluginState state = PluginState.STOPPED;
  private Optional<String> reason = Optional.empty();
  private int inFlight;
  private volatile PluginProcess process;
  private volatile long lastActiveNanos = System.nanoTime();
  private volatile boolean unregistered;

  RegisteredPlugin(PluginManifest manifest, Path directory, Path binary, PluginStateListener listener) {
    this.manifest = manifest;
    this.directory = directory;
    this.binary = binary;
    this.listener = listener;
  }

  String id() {
    return manifest.id();
  }

  PluginManifest manifest() {
    return manifest;
  }

  Path directory() {
    return directory;
  }

  Path binary() {
    return binary;
  }

  ReentrantLock startLock() {
    return startLock;
  }

  /** The serving process, if one is up. */
  Optional<PluginProcess> process() {
    PluginProcess current = process;
    return current != null && current.isAlive() && !current.stopping() ? Optional.of(current) : Optional.empty();
  }

  void markUnregistered() {
    unregistered = true;
  }

  boolean unregistered() {
    return unregistered;
  }

  PluginState state() {
    stateLock.lock();
    try {
      return state;
    } finally {
      stateLock.unlock();
    }
  }

  Optional<String> reason() {
    stateLock.lock();
    try {
      return reason;
    } finally {
      stateLock.unlock();
    }
  }

  int inFlight() {
    stateLock.lock();
    try {
      return inFlight;
    } finally {
      stateLock.unlock();
    }
  }

  /** Publishes the initial state of a new registration. */
  void announce() {
    stateLock.lock();
    try {
      listener.onChange(new PluginStateListener.Change(id(), state, state, reason, OptionalLong.empty(),
          Instant.now()));
    } finally {
      stateLock.unlock();
    }
  }

  /** Moves to {@code target} if the transition table allows it from the current state. */
  boolean moveTo(PluginState target, String why) {
    stateLock.lock();
    try {
      return moveLocked(target, why);
    } finally {
      stateLock.unlock();
    }
  }

  private boolean moveLocked(PluginState target, String why) {
    if (state == target) {
      return true;
    }
    if (!state.canMoveTo(target)) {
      log.debug("[{}] ignored transition {} -> {} ({})", id(), state, target, why);
      return false;
    }
    PluginState previous = state;
    state = target;
    reason = Optional.ofNullable(why);
    PluginProcess current = process;
    OptionalLong pid = current != null ? OptionalLong.of(current.pid()) : OptionalLong.empty();
    if (target == PluginState.ERROR) {
      log.warn("[{}] {} -> {}: {}", id(), previous.jsonName(), target.jsonName(), why);
    } else {
      log.debug("[{}] {} -> {}", id(), previous.jsonName(), target.jsonName());
    }
    try {
      listener.onChange(new PluginStateListener.Change(id(), previous, target, reason, pid, Instant.now()));
    } catch (RuntimeException e) {
      log.warn("[{}] state listener failed: {}", id(), e.toString());
    }
    return true;
  }

  /**
   * Reserves a call on the serving process: READY becomes RUNNING with the first one. False when
   * there is no serving process any more (it crashed, or was reaped as idle): start it again.
   */
  boolean tryReserveCall(PluginProcess expected) {
    stateLock.lock();
    try {
      if (process != expected || (state != PluginState.READY && state != PluginState.RUNNING)) {
        return false;
      }
      inFlight++;
      if (state == PluginState.READY) {
        moveLocked(PluginState.RUNNING, null);
      }
      return true;
    } finally {
      stateLock.unlock();
    }
  }

  /**
   * Scale to zero: stops the process if it has been idle (READY, no call in flight) for at least
   * {@code ttl}. A call that arrives meanwhile finds no process and cold-starts a new one.
   */
  boolean stopIfIdle(Duration ttl, Duration grace) {
    PluginProcess idle;
    stateLock.lock();
    try {
      if (state != PluginState.READY || inFlight > 0 || process == null
          || System.nanoTime() - lastActiveNanos < ttl.toNanos()) {
        return false;
      }
      idle = process;
      process = null;
      moveLocked(PluginState.STOPPING, "idle for " + ttl.toMillis() + " ms (idle_ttl_ms)");
    } finally {
      stateLock.unlock();
    }
    idle.stop(grace);
    moveTo(PluginState.STOPPED, "idle for " + ttl.toMillis() + " ms (idle_ttl_ms)");
    return true;
  }

  /** A call has ended: RUNNING becomes READY when none is left. */
  void callFinished() {
    stateLock.lock();
    try {
      inFlight--;
      lastActiveNanos = System.nanoTime();
      if (inFlight == 0 && state == PluginState.RUNNING) {
        moveLocked(PluginState.READY, null);
      }
    } finally {
      stateLock.unlock();
    }
  }

  /** The process is up: remember it and become READY (or RUNNING if calls wait on it). */
  void started(PluginProcess started) {
    stateLock.lock();
    try {
      process = started;
      lastActiveNanos = System.nanoTime();
      moveLocked(PluginState.READY, null);
      if (inFlight > 0) {
        moveLocked(PluginState.RUNNING, null);
      }
    } finally {
      stateLock.unlock();
    }
  }

  /**
   * The process exited. If it was not being stopped that is a crash: in-flight calls are failed
   * at once and the plugin moves to ERROR; the next call cold-starts it again.
   */
  void exited(PluginProcess exited, int exitCode) {
    if (exited.stopping()) {
      return;
    }
    stateLock.lock();
    try {
      if (process != exited) {
        return;
      }
      process = null;
    } finally {
      stateLock.unlock();
    }
    exited.abandon();
    moveTo(PluginState.ERROR, exited.exitDescription(exitCode));
  }

  /** Stops the serving process, if any: STOPPING, drain and stop, STOPPED. */
  void stop(Duration grace, String why) {
    boolean locked = false;
    try {
      // Wait for a start under way, so its process is not left behind; never forever.
      locked = startLock.tryLock(grace.toMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      PluginProcess current;
      stateLock.lock();
      try {
        current = process;
        process = null;
        moveLocked(PluginState.STOPPING, why);
      } finally {
        stateLock.unlock();
      }
      if (current != null) {
        current.stop(grace);
      }
      moveTo(PluginState.STOPPED, why);
    } finally {
      if (locked) {
        startLock.unlock();
      }
    }
  }
}
