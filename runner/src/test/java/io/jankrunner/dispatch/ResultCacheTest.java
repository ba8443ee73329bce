package io.jankrunner.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.result.Result;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * What the cache promises: a finished id is answered with its result without running again, a
 * redelivery during the first run shares its outcome, the same id with another command is a
 * conflict, a failure or {@code forget} lets the next delivery run, and the bounds in entries
 * and in bytes evict the oldest ids.
 */
class ResultCacheTest {

  private static final Instant AT = Instant.parse("2026-12-02T12:00:00Z");
  private static final long NO_BYTE_BOUND = Long.MAX_VALUE;

  private static final Fingerprint F1 = new Fingerprint(1, 1);
  private static final Fingerprint F2 = new Fingerprint(2, 2);

  private final AtomicInteger runs = new AtomicInteger();

  private static Result result(String id) {
    return new Result(id, Optional.of("execute"), Optional.of("hello"), Optional.of("greet"), true, Optional.empty(),
        Optional.empty(), "worker-1", 1, 1, AT, AT);
  }

  private Supplier<CompletableFuture<Result>> running(String id) {
    return () -> {
      runs.incrementAndGet();
      return CompletableFuture.completedFuture(result(id));
    };
  }

  private Supplier<CompletableFuture<Result>> pending(CompletableFuture<Result> future) {
    return () -> {
      runs.incrementAndGet();
      return future;
    };
  }

  private static Result hit(CompletableFuture<ResultCache.Lookup> lookup) {
    return assertInstanceOf(ResultCache.Hit.class, lookup.join()).result();
  }

  @Test
  void aFinishedIdIsAnsweredWithTheSameResultWithoutRunningAgain() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    Result first = hit(cache.computeIfAbsent("c1", F1, running("c1")));
    Result again = hit(cache.computeIfAbsent("c1", F1, running("c1")));

    assertSame(first, again);
    assertEquals(1, runs.get());
  }

  @Test
  void aRedeliveryDuringTheFirstRunGetsItsResultWhenItFinishes() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    CompletableFuture<Result> underWay = new CompletableFuture<>();
    CompletableFuture<ResultCache.Lookup> firstLookup = cache.computeIfAbsent("c1", F1, pending(underWay));
    CompletableFuture<ResultCache.Lookup> redelivery = cache.computeIfAbsent("c1", F1, pending(underWay));

    assertFalse(redelivery.isDone(), "the redelivery waits for the first run, it does not run again");
    Result done = result("c1");
    underWay.complete(done);
    assertSame(done, hit(redelivery));
    assertSame(done, hit(firstLookup));
    assertEquals(1, runs.get());
  }

  @Test
  void theSameIdWithAnotherCommandIsAConflictNamingTheFirstFingerprint() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    cache.computeIfAbsent("c1", F1, running("c1")).join();

    ResultCache.Lookup lookup = cache.computeIfAbsent("c1", F2, running("c1")).join();
    assertEquals(new ResultCache.Conflict(F1), lookup);
    assertEquals(1, runs.get());
    assertInstanceOf(ResultCache.Hit.class, cache.computeIfAbsent("c1", F1, running("c1")).join(),
        "the conflict did not replace the first command's result");
  }

  @Test
  void aFailedRunIsForgottenSoTheNextDeliveryRunsAgain() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    CompletableFuture<ResultCache.Lookup> failed = cache.computeIfAbsent("c1", F1, () -> {
      runs.incrementAndGet();
      return CompletableFuture.failedFuture(new IllegalStateException("plugin gone"));
    });
    ExecutionException error = assertThrows(ExecutionException.class, failed::get);
    assertInstanceOf(IllegalStateException.class, error.getCause());

    hit(cache.computeIfAbsent("c1", F1, running("c1")));
    assertEquals(2, runs.get());
  }

  @Test
  void aComputationThatThrowsFailsItsLookupAndIsForgotten() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    CompletableFuture<ResultCache.Lookup> thrown = cache.computeIfAbsent("c1", F1, () -> {
      throw new IllegalArgumentException("bad");
    });
    assertTrue(thrown.isCompletedExceptionally());

    hit(cache.computeIfAbsent("c1", F1, running("c1")));
    assertEquals(1, runs.get());
  }

  @Test
  void aRedeliveryWaitingOnARunThatFailsFailsToo() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    CompletableFuture<Result> underWay = new CompletableFuture<>();
    cache.computeIfAbsent("c1", F1, pending(underWay));
    CompletableFuture<ResultCache.Lookup> redelivery = cache.computeIfAbsent("c1", F1, pending(underWay));

    underWay.completeExceptionally(new IllegalStateException("plugin gone"));
    assertTrue(redelivery.isCompletedExceptionally());
  }

  @Test
  void aForgottenIdRunsAgain() {
    ResultCache cache = new ResultCache(10, NO_BYTE_BOUND);
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    cache.forget("c1");
    cache.forget("never-seen"); // harmless

    hit(cache.computeIfAbsent("c1", F1, running("c1")));
    assertEquals(2, runs.get());
  }

  @Test
  void beyondItsEntryBoundTheOldestIdGoesFirst() {
    ResultCache cache = new ResultCache(2, NO_BYTE_BOUND);
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    cache.computeIfAbsent("c2", F1, running("c2")).join();
    cache.computeIfAbsent("c3", F1, running("c3")).join();
    assertEquals(3, runs.get());

    cache.computeIfAbsent("c3", F1, running("c3")).join();
    cache.computeIfAbsent("c2", F1, running("c2")).join();
    assertEquals(3, runs.get(), "the two newest are remembered");
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    assertEquals(4, runs.get(), "the oldest was evicted and runs again");
  }

  @Test
  void beyondItsByteBoundTheOldestResultsGoUntilItFits() {
    // Each entry weighs 256 bytes of overhead plus its serialized size.
    ResultCache cache = new ResultCache(100, 3 * 256 + 1000);
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    cache.computeIfAbsent("c2", F1, running("c2")).join();
    cache.computeIfAbsent("c3", F1, running("c3")).join();
    assertEquals(3, runs.get());

    cache.weigh("c3", 1001); // one byte too heavy for all three: the oldest goes
    cache.computeIfAbsent("c2", F1, running("c2")).join();
    cache.computeIfAbsent("c3", F1, running("c3")).join();
    assertEquals(3, runs.get());
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    assertEquals(4, runs.get());
  }

  @Test
  void aResultHeavierThanTheWholeBoundIsNotKept() {
    ResultCache cache = new ResultCache(100, 10_000);
    cache.computeIfAbsent("big", F1, running("big")).join();
    cache.weigh("big", 20_000);

    cache.computeIfAbsent("big", F1, running("big")).join();
    assertEquals(2, runs.get());
  }

  @Test
  void weighingAnUnknownIdChangesNothing() {
    ResultCache cache = new ResultCache(100, 2 * 256);
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    cache.weigh("gone", 1_000_000);
    cache.computeIfAbsent("c1", F1, running("c1")).join();
    assertEquals(1, runs.get());
  }

  @Test
  void anEvictedIdStillRunningStillAnswersItsFirstCaller() {
    ResultCache cache = new ResultCache(1, NO_BYTE_BOUND);
    CompletableFuture<Result> underWay = new CompletableFuture<>();
    CompletableFuture<ResultCache.Lookup> first = cache.computeIfAbsent("c1", F1, pending(underWay));
    cache.computeIfAbsent("c2", F1, running("c2")).join(); // evicts c1 while it runs

    Result done = result("c1");
    underWay.complete(done);
    assertSame(done, hit(first));
  }
}
