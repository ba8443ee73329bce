package io.jankrunner.intake;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Execute intake through a share group (KIP-932): a set of {@link ShareMember share consumers}
 * per worker that grows while a command holds one and shrinks when none has for a while.
 *
 * <p>Why a set: a share consumer in explicit acknowledgement mode cannot poll again until every
 * record of its last poll is acknowledged, so one long command holds its consumer (RENEW keeps
 * the lock but the next poll then returns only the renewed records). And the share group's
 * assignor gives each partition to exactly one member while the group has no more members than
 * the topic has partitions, so a held consumer also holds back every record on its partitions,
 * even when other consumers of the same worker are free. Once the group has more members than
 * partitions, every partition has at least two. So when a consumer has been stalled (held, with
 * none of its fetch's commands finishing) for {@link #STALLED_BEFORE_GROWTH}, this intake opens
 * consumers up to one more than the execute topic's partitions (within {@code --max-in-flight});
 * {@link #QUIET_BEFORE_SHRINK} after the last such stall it closes them again, down to
 * {@code --consumers}.
 *
 * <p>All consumers draw on one {@link InFlightSlots}: the commands a worker runs never exceed
 * {@code --max-in-flight}, and a consumer polls only when a whole fetch fits ({@link #fetchSize}).
 */
final class ShareIntake implements Intake {

  private static final Logger log = LoggerFactory.getLogger(ShareIntake.class);
  /** A consumer stalled this long by its fetch makes the intake open more. */
  static final Duration STALLED_BEFORE_GROWTH = Duration.ofSeconds(1);
  /** With no consumer stalled this long, the extra consumers are closed. */
  static final Duration QUIET_BEFORE_SHRINK = Duration.ofSeconds(60);
  private static final Duration CHECK_INTERVAL = Duration.ofMillis(100);

  private final IntFunction<ShareMember> newMember;
  private final int least;
  private final int most;
  private final InFlightSlots slots;
  private final List<ShareMember> members = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private int nextIndex;
  private long lastStalled = System.nanoTime();

  /**
   * @param newMember the consumer with the given index, drawing on {@code slots}
   * @param least consumers kept open ({@code --consumers})
   * @param most consumers open while commands hold some
   */
  ShareIntake(IntFunction<ShareMember> newMember, int least, int most, InFlightSlots slots) {
    this.newMember = newMember;
    this.least = least;
    this.most = Math.max(least, most);
    this.slots = slots;
  }

  /** One more than the partitions, so that each has two members: bounded by the commands a worker may run. */
  static int mostConsumers(int least, int partitions, int maxInFlight) {
    return Math.max(least, Math.min(partitions + 1, maxInFlight));
  }

  /**
   * The {@code max.poll.records} of consumer {@code index}, so that the fetches of all consumers
   * fit in the slots together and no idle consumer waits for room to poll (one that never polls
   * never joins the group, and the partitions it would share stay with a held consumer): the
   * {@code least} kept consumers share half the slots (all of them when no more can open), the
   * extra ones the other half.
   */
  static int fetchSize(int index, int least, int most, int maxInFlight) {
    int extras = most - least;
    int forKept = extras <= 0 ? maxInFlight : Math.max(least, maxInFlight / 2);
    int size = index < least ? forKept / least : (maxInFlight - forKept) / extras;
    return Math.max(1, Math.min(500, size));
  }

  @Override
  public void run() {
    try {
      while (open() < least) {
        open(1);
      }
      while (!await(CHECK_INTERVAL)) {
        supervise();
      }
    } finally {
      members.forEach(ShareMember::stop);
      for (Thread thread : threads) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private void supervise() {
    for (int i = members.size() - 1; i >= 0; i--) {
      if (!threads.get(i).isAlive()) {
        members.remove(i);
        threads.remove(i);
      }
    }
    long now = System.nanoTime();
    if (anyStalled(members, now)) {
      lastStalled = now;
      int open = open();
      if (open < most && slots.free() > 0) {
        log.info("a share consumer is held by a running command: opening {} more (up to {})", most - open, most);
        open(most - open);
      }
    } else if (open() > least && now - lastStalled >= QUIET_BEFORE_SHRINK.toNanos()) {
      List<ShareMember> extra = members.stream().filter(member -> !member.retiring()).skip(least).toList();
      log.info("no share consumer held for {} s: closing {} of {}", QUIET_BEFORE_SHRINK.toSeconds(), extra.size(),
          open());
      extra.forEach(ShareMember::retire);
    }
  }

  /**
   * Whether a consumer waits on a command that is still running while nothing else of its fetch
   * finishes: what more consumers fix. Not a fetch that is only slow: a worker busy with short
   * commands finishes some all the time, and opening consumers then only adds fetches (in
   * {@code scripts/bench share} the intake grew so during its warm-up, before any long command).
   */
  static boolean anyStalled(List<ShareMember> members, long now) {
    return members.stream().anyMatch(member -> member.stalledNanos(now) >= STALLED_BEFORE_GROWTH.toNanos());
  }

  /** Consumers open and not retiring. */
  private int open() {
    return (int) members.stream().filter(member -> !member.retiring()).count();
  }

  private void open(int count) {
    for (int i = 0; i < count; i++) {
      ShareMember member = newMember.apply(nextIndex++);
      members.add(member);
      threads.add(Thread.ofPlatform().name("worker-execute-" + member.index()).start(member));
    }
  }

  private boolean await(Duration duration) {
    try {
      return stopped.await(duration.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  @Override
  public void stop() {
    stopped.countDown();
  }
}
