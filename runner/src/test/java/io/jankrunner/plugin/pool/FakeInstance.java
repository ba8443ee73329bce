package io.jankrunner.plugin.pool;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginCallException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An instance without a process, for the pool's unit tests: calls wait until the test answers
 * them ({@link #answerAll}), so a call is as slow as the test wants; it can {@link #crash}, and be
 * made to stop answering health checks ({@link #hang}). It records how it was ended.
 */
final class FakeInstance implements InstanceHandle {

  /** How it was ended: not yet, a graceful stop, a kill, or its own crash. */
  enum End { NONE, STOPPED, KILLED, CRASHED }

  private static final AtomicLong PIDS = new AtomicLong(40_000);

  private final long pid = PIDS.incrementAndGet();
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final List<CompletableFuture<ObjectNode>> pending = new CopyOnWriteArrayList<>();
  private volatile boolean answersHealthChecks = true;
  private volatile CountDownLatch healthCheckGate = new CountDownLatch(0);
  private volatile int healthChecks;
  private volatile int calls;
  private volatile End end = End.NONE;

  @Override
  public CompletableFuture<ObjectNode> executeAsync(String method, ObjectNode args, Instant deadline,
                                                    Optional<String> traceparent) {
    calls++;
    CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
    if (!isAlive()) {
      answer.completeExceptionally(new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, "fake", "exited"));
      return answer;
    }
    pending.add(answer);
    return answer;
  }

  /** Answers every call waiting on it. */
  void answerAll() {
    for (CompletableFuture<ObjectNode> answer : pending) {
      pending.remove(answer);
      answer.complete(JsonNodeFactory.instance.objectNode().put("pid", pid));
    }
  }

  /** Fails every call waiting on it as a call that passed its deadline. */
  void timeOutAll() {
    failAll(new PluginCallException(ErrorCode.TIMEOUT, "fake", "did not answer in time"));
  }

  private void failAll(PluginCallException error) {
    for (CompletableFuture<ObjectNode> answer : pending) {
      pending.remove(answer);
      answer.completeExceptionally(error);
    }
  }

  /** From now on it answers no health check: what a hung process does. */
  void hang() {
    answersHealthChecks = false;
  }

  /** Health checks wait (as a busy process's would) until {@link #answerHealthChecks}. */
  void holdHealthChecks() {
    healthCheckGate = new CountDownLatch(1);
  }

  void answerHealthChecks() {
    healthCheckGate.countDown();
  }

  /** Exits by itself, as a crash. */
  void crash(int code) {
    end(End.CRASHED, code);
  }

  private void end(End how, int code) {
    synchronized (this) {
      if (end != End.NONE) {
        return;
      }
      end = how;
    }
    exit.complete(code);
  }

  int callsTaken() {
    return calls;
  }

  int callsWaiting() {
    return pending.size();
  }

  int healthChecks() {
    return healthChecks;
  }

  End end() {
    return end;
  }

  @Override
  public boolean healthy(Duration timeout) {
    return answers(timeout);
  }

  @Override
  public boolean answers(Duration timeout) {
    healthChecks++;
    try {
      healthCheckGate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return isAlive() && answersHealthChecks;
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public boolean isAlive() {
    return end == End.NONE;
  }

  @Override
  public Duration coldStart() {
    return Duration.ofMillis(5);
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return exit;
  }

  @Override
  public String exitDescription(int exitCode) {
    return "fake process " + pid + " exited with code " + exitCode;
  }

  @Override
  public void stop(Duration grace) {
    end(End.STOPPED, 0);
    failAll(new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, "fake", "stopped"));
  }

  @Override
  public void kill() {
    end(End.KILLED, 137);
    failAll(new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, "fake", "killed"));
  }

  @Override
  public void abandon() {
    failAll(new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, "fake", "abandoned"));
  }

  @Override
  public String toString() {
    return "fake pid=" + pid;
  }
}
