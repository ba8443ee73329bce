package io.jankrunner.plugin.pool;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link PoolClock} that moves only when a test says {@link #advance}, like Kafka's
 * {@code MockTime}: a timed wait on one of its conditions ends when a signal comes or when the
 * clock has been moved past its bound, and what was scheduled on {@link #scheduler()} runs (on the
 * thread that moves the clock) once its time has come. No real time passes in between.
 */
final class FakeClock implements PoolClock {

  private record Waitable(ReentrantLock lock, Condition real) {}

  private record Task(long dueNanos, Runnable task) {}

  private final Instant origin = Instant.parse("2026-01-01T00:00:00Z");
  private volatile long nanos;
  private final List<Waitable> conditions = new CopyOnWriteArrayList<>();
  private final List<Task> tasks = new ArrayList<>();
  private final ManualScheduler scheduler = new ManualScheduler();

  @Override
  public long nanoTime() {
    return nanos;
  }

  @Override
  public Instant instant() {
    return origin.plusNanos(nanos);
  }

  @Override
  public Condition newCondition(ReentrantLock lock) {
    Condition real = lock.newCondition();
    conditions.add(new Waitable(lock, real));
    return new ClockedCondition(real);
  }

  /** Moves both clocks on, wakes every timed waiter to look again, then runs what has come due. */
  void advance(Duration by) {
    synchronized (this) {
      nanos += by.toNanos();
    }
    for (Waitable waitable : conditions) {
      waitable.lock().lock();
      try {
        waitable.real().signalAll();
      } finally {
        waitable.lock().unlock();
      }
    }
    for (Runnable task : due()) {
      task.run();
    }
  }

  private synchronized List<Runnable> due() {
    List<Task> ready = tasks.stream().filter(t -> t.dueNanos() <= nanos)
        .sorted(Comparator.comparingLong(Task::dueNanos)).toList();
    tasks.removeAll(ready);
    return ready.stream().map(Task::task).toList();
  }

  /** A scheduler on this clock: {@code schedule(task, delay)} runs the task from {@link #advance}. */
  ScheduledThreadPoolExecutor scheduler() {
    return scheduler;
  }

  private final class ManualScheduler extends ScheduledThreadPoolExecutor {
    ManualScheduler() {
      super(0);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
      synchronized (FakeClock.this) {
        tasks.add(new Task(nanos + unit.toNanos(delay), task));
      }
      return new NeverDone();
    }
  }

  /** What {@link ManualScheduler#schedule} hands back; the pool never looks at it. */
  private static final class NeverDone implements ScheduledFuture<Object> {
    @Override
    public long getDelay(TimeUnit unit) {
      return 0;
    }

    @Override
    public int compareTo(Delayed other) {
      return 0;
    }

    @Override
    public boolean cancel(boolean mayInterrupt) {
      return false;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public boolean isDone() {
      return false;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * A condition whose {@link #awaitNanos} bound is on this clock: it waits (untimed) for a signal,
   * and {@link #advance} signals every condition, so a waiter whose bound has passed returns.
   */
  private final class ClockedCondition implements Condition {
    private final Condition real;

    ClockedCondition(Condition real) {
      this.real = real;
    }

    @Override
    public long awaitNanos(long waitNanos) throws InterruptedException {
      long until = nanos + waitNanos;
      if (waitNanos > 0) {
        real.await(); // the caller holds the lock: advance's signal cannot slip in before this
      }
      return until - nanos;
    }

    @Override
    public void await() throws InterruptedException {
      real.await();
    }

    @Override
    public void awaitUninterruptibly() {
      real.awaitUninterruptibly();
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
      return awaitNanos(unit.toNanos(time)) > 0;
    }

    @Override
    public boolean awaitUntil(java.util.Date deadline) {
      throw new UnsupportedOperationException("the pool waits by durations on its clock");
    }

    @Override
    public void signal() {
      real.signal();
    }

    @Override
    public void signalAll() {
      real.signalAll();
    }
  }
}
