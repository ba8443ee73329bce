package io.jankrunner.plugin.pool;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * The crashes of one registered plugin and what follows from them under a {@link RestartPolicy}.
 * Time comes from a {@link PoolClock}, jitter from a supplier of numbers in [0, 1), so the policy is
 * tested without processes. Not thread-safe: reached only through its pool's {@link PoolState.Held},
 * under the pool's lock.
 */
final class CrashHistory {

  /** What to do after a crash: restart after {@code backoff}, or nothing until {@code quarantinedUntil}. */
  record Verdict(int crashesInWindow, Duration backoff, Optional<Instant> quarantinedUntil) {
    boolean quarantined() {
      return quarantinedUntil.isPresent();
    }
  }

  private final RestartPolicy policy;
  private final PoolClock clock;
  private final DoubleSupplier jitter;
  private final Deque<Instant> crashes = new ArrayDeque<>();
  private Instant quarantinedUntil;

  CrashHistory(RestartPolicy policy, PoolClock clock, DoubleSupplier jitter) {
    this.policy = policy;
    this.clock = clock;
    this.jitter = jitter;
  }

  /** Records a crash now and says what follows. */
  Verdict crashed() {
    Instant now = clock.instant();
    crashes.addLast(now);
    forgetBefore(now.minus(policy.crashWindow()));
    if (crashes.size() > policy.crashLimit()) {
      quarantinedUntil = now.plus(policy.quarantine());
      return new Verdict(crashes.size(), Duration.ZERO, Optional.of(quarantinedUntil));
    }
    // "Equal jitter": half the backoff fixed, half random, so restarts of many workers spread out.
    Duration full = policy.backoffAfter(crashes.size());
    Duration half = full.dividedBy(2);
    Duration backoff = half.plusNanos((long) (full.minus(half).toNanos() * jitter.getAsDouble()));
    return new Verdict(crashes.size(), backoff, Optional.empty());
  }

  /**
   * Records a crash that no restart can cure (a start that fails the same way every time) and
   * quarantines now, whatever the count: until when.
   */
  Instant quarantineNow() {
    Instant now = clock.instant();
    crashes.addLast(now);
    forgetBefore(now.minus(policy.crashWindow()));
    quarantinedUntil = now.plus(policy.quarantine());
    return quarantinedUntil;
  }

  /**
   * Whether the plugin is quarantined now. Once the quarantine has passed this says false, and
   * the crashes that caused it stay in the window: one more crash of the probe quarantines again.
   */
  boolean quarantined() {
    if (quarantinedUntil != null && !clock.instant().isBefore(quarantinedUntil)) {
      quarantinedUntil = null;
    }
    return quarantinedUntil != null;
  }

  Optional<Instant> quarantinedUntil() {
    return quarantined() ? Optional.of(quarantinedUntil) : Optional.empty();
  }

  /** How far back crashes count toward the quarantine. */
  Duration window() {
    return policy.crashWindow();
  }

  int crashesInWindow() {
    forgetBefore(clock.instant().minus(policy.crashWindow()));
    return crashes.size();
  }

  private void forgetBefore(Instant cutoff) {
    while (!crashes.isEmpty() && crashes.peekFirst().isBefore(cutoff)) {
      crashes.removeFirst();
    }
  }
}
