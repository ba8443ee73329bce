package io.jankrunner.intake;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The commands a worker's share consumers run at once, against {@code --max-in-flight}. A
 * consumer reserves room for a whole fetch ({@code max.poll.records}) before it polls and gives
 * back what the fetch did not fill; each command gives its slot back when it is done. So the
 * commands running never exceed the capacity, however many consumers share it.
 */
final class InFlightSlots {

  /** A semaphore that may also be overdrawn: a command that came without a reservation still runs. */
  private static final class Permits extends Semaphore {
    Permits(int capacity) {
      super(capacity);
    }

    void overdraw(int n) {
      reducePermits(n);
    }
  }

  private final Permits permits;

  InFlightSlots(int capacity) {
    this.permits = new Permits(capacity);
  }

  /** Takes {@code n} slots, waiting up to {@code wait} for them; false when they did not free up in time. */
  boolean reserve(int n, Duration wait) {
    try {
      return permits.tryAcquire(n, wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Counts a command that arrived without a reservation (it must run: the consumer holds it). */
  void take(int n) {
    permits.overdraw(n);
  }

  void release(int n) {
    permits.release(n);
  }

  /** Slots free now; below zero while commands taken without a reservation overdraw the capacity. */
  int free() {
    return permits.availablePermits();
  }
}
