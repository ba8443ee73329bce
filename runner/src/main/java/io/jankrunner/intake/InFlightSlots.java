package io.jankrunner.intake;

import java.time.Duration;

/**
 * The commands a worker's share consumers run at once, against {@code --max-in-flight}. A
 * consumer reserves room for a whole fetch ({@code max.poll.records}) before it polls and gives
 * back what the fetch did not fill; each command gives its slot back when it is done. So the
 * commands running never exceed the capacity, however many consumers share it.
 */
final class InFlightSlots {

  private final int capacity;
  private int used;

  InFlightSlots(int capacity) {
    this.capacity = capacity;
  }

  /** Takes {@code n} slots, waiting up to {@code wait} for them; false when they did not free up in time. */
  synchronized boolean reserve(int n, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (used + n > capacity) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    used += n;
    return true;
  }

  /** Counts a command that arrived without a reservation (it must run: the consumer holds it). */
  synchronized void take(int n) {
    used += n;
  }

  synchronized void release(int n) {
    used -= n;
    notifyAll();
  }

  synchronized int free() {
    return capacity - used;
  }
}
