package io.jankrunner.dispatch;

import io.jankrunner.result.Result;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Recent results by command id, so a redelivered command that already finished here is answered
 * with the same result instead of running again, and a redelivery that arrives while the first
 * delivery still runs waits for it. Bounded: the oldest ids are forgotten first.
 */
final class ResultCache {

  private final Map<String, CompletableFuture<Result>> byId;

  ResultCache(int capacity) {
    this.byId = new LinkedHashMap<>(capacity * 4 / 3 + 1, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<Result>> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The result for {@code id}: a remembered one, the one under way, or {@code compute}'s. */
  Result computeIfAbsent(String id, Supplier<Result> compute) {
    CompletableFuture<Result> mine = new CompletableFuture<>();
    CompletableFuture<Result> existing;
    synchronized (byId) {
      existing = byId.putIfAbsent(id, mine);
    }
    if (existing != null) {
      return existing.join();
    }
    try {
      Result result = compute.get();
      mine.complete(result);
      return result;
    } catch (RuntimeException e) {
      synchronized (byId) {
        byId.remove(id, mine);
      }
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /** Forgets {@code id}, so its next delivery runs again (a result that could not be sent). */
  void forget(String id) {
    synchronized (byId) {
      byId.remove(id);
    }
  }
}
