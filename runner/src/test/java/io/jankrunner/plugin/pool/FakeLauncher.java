package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginStartException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts {@link FakeInstance}s for a pool: at once, unless told to fail the next starts or to hold
 * every start until {@link #releaseStarts}. Records what it started.
 */
final class FakeLauncher implements PluginPool.Launcher {

  private final List<FakeInstance> started = new CopyOnWriteArrayList<>();
  private final Queue<PluginStartException> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger attempts = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(0);

  @Override
  public InstanceHandle launch(PluginPool pool) throws PluginStartException {
    attempts.incrementAndGet();
    try {
      gate.await();
    } catch (InterruptedException e) {
      throw new PluginStartException(pool.id(), "interrupted while starting");
    }
    PluginStartException failure = failures.poll();
    if (failure != null) {
      throw failure;
    }
    FakeInstance instance = new FakeInstance();
    started.add(instance);
    return instance;
  }

  /** The next start fails with {@code message}. */
  void failNextStart(String message) {
    failures.add(new PluginStartException(FakePool.ID, message));
  }

  /** The next start fails with {@code message}, as a binary that cannot be executed fails: {@code permanent}. */
  void failNextStartPermanently(String message) {
    failures.add(new PluginStartException(FakePool.ID, message, null, true));
  }

  /** Starts wait (STARTING) until {@link #releaseStarts}. */
  void holdStarts() {
    gate = new CountDownLatch(1);
  }

  void releaseStarts() {
    gate.countDown();
  }

  /** Every instance started so far, oldest first. */
  List<FakeInstance> started() {
    return started;
  }

  FakeInstance last() {
    return started.getLast();
  }

  /** Starts tried, failed ones included. */
  int attempts() {
    return attempts.get();
  }
}
