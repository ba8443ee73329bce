package io.jankrunner.dispatch;

import io.jankrunner.result.Result;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Recent results by command id, so a redelivered command that already finished here is answered
 * with the same result instead of running again, and a redelivery that arrives while the first
 * delivery still runs waits for it. An id comes with the fingerprint of its command: the same id
 * with another command is a caller's mistake, never answered with the old result. Bounded in
 * entries and in bytes (a result counts by its serialized size); the oldest ids go first.
 */
final class ResultCache {

  /** What the cache says of an id. */
  sealed interface Lookup permits Hit, Conflict {}

  /** The result for the id (remembered, awaited, or just computed). */
  record Hit(Result result) implements Lookup {}

  /** The id was seen with another command. */
  record Conflict(Fingerprint previousFingerprint) implements Lookup {}

  private static final int ENTRY_OVERHEAD_BYTES = 256;

  private final int maxEntries;
  private final long maxBytes;
  private final Map<String, Entry> byId = new LinkedHashMap<>();
  private long bytes;

  private static final class Entry {
    final Fingerprint fingerprint;
    final CompletableFuture<Result> result = new CompletableFuture<>();
    long weight = ENTRY_OVERHEAD_BYTES;

    Entry(Fingerprint fingerprint) {
      this.fingerprint = fingerprint;
    }
  }

  ResultCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /**
   * The result for {@code id}: a remembered one, the one under way (its future: nobody waits
   * here), or {@code compute}'s. A computation that fails is forgotten, so a redelivery runs again.
   */
  CompletableFuture<Lookup> computeIfAbsent(String id, Fingerprint fingerprint,
                                            Supplier<CompletableFuture<Result>> compute) {
    Entry mine = new Entry(fingerprint);
    Entry existing;
    synchronized (byId) {
      existing = byId.putIfAbsent(id, mine);
      if (existing == null) {
        bytes += mine.weight;
        evict();
      }
    }
    if (existing != null) {
      return existing.fingerprint.equals(fingerprint) ? existing.result.thenApply(Hit::new)
          : CompletableFuture.completedFuture(new Conflict(existing.fingerprint));
    }
    CompletableFuture<Result> computed;
    try {
      computed = compute.get();
    } catch (RuntimeException e) {
      computed = CompletableFuture.failedFuture(e);
    }
    computed.whenComplete((result, error) -> {
      if (error != null) {
        remove(id, mine);
        mine.result.completeExceptionally(error);
      } else {
        mine.result.complete(result);
      }
    });
    return mine.result.thenApply(Hit::new);
  }

  /**
   * Sets what {@code id}'s result weighs: its size once serialized, which the writer knows
   * (weighing it here would serialize every result a second time). Until then it weighs the
   * entry overhead only.
   */
  void weigh(String id, long serializedBytes) {
    long weight = ENTRY_OVERHEAD_BYTES + serializedBytes;
    synchronized (byId) {
      Entry entry = byId.get(id);
      if (entry != null && entry.weight != weight) {
        bytes += weight - entry.weight;
        entry.weight = weight;
        evict();
      }
    }
  }

  /** Forgets {@code id}, so its next delivery runs again (a result that could not be sent). */
  void forget(String id) {
    synchronized (byId) {
      Entry removed = byId.remove(id);
      if (removed != null) {
        bytes -= removed.weight;
      }
    }
  }

  private void remove(String id, Entry entry) {
    synchronized (byId) {
      if (byId.remove(id, entry)) {
        bytes -= entry.weight;
      }
    }
  }

  // Callers hold the lock. Entries still running are evicted too: their callers hold the future.
  private void evict() {
    Iterator<Entry> eldest = byId.values().iterator();
    while ((byId.size() > maxEntries || bytes > maxBytes) && eldest.hasNext()) {
      Entry entry = eldest.next();
      eldest.remove();
      bytes -= entry.weight;
    }
  }
}
