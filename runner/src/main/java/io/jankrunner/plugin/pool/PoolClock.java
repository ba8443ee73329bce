package io.jankrunner.plugin.pool;

import java.time.Instant;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool's one source of time, as Kafka's {@code Time}: a monotonic clock for durations (idle
 * TTL, health-check interval), a wall clock for instants (deadlines, backoff and quarantine ends,
 * the times in state changes), and the timed waits of a pool's lock. Every lifecycle decision reads
 * it, so a test can move it by hand and see backoff, quarantine, idle reaping and drain limits
 * happen without a process and without waiting.
 */
public interface PoolClock {

  /** The real clocks: {@link System#nanoTime()}, {@link Instant#now()}, the lock's own timed waits. */
  PoolClock SYSTEM = new PoolClock() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public Instant instant() {
      return Instant.now();
    }

    @Override
    public Condition newCondition(ReentrantLock lock) {
      return lock.newCondition();
    }
  };

  /** Monotonic nanoseconds, for durations only (like {@link System#nanoTime()}). */
  long nanoTime();

  /** The wall clock. */
  Instant instant();

  /**
   * A condition of {@code lock} whose timed waits ({@link Condition#awaitNanos}) are measured on
   * this clock: a waiter's bound passes when this clock says so.
   */
  Condition newCondition(ReentrantLock lock);
}
