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
 * entries and in bytes (a result's data counts by its JSON size); the oldest ids go first.
 */
final class ResultCache {

  /** What the cache says of an id. */
  sealed interface Lookup permits Hit, Conflict {}

  /** The result for the id (remembered, awaited, or just computed). */
  record Hit(Result result) implements Lookup {}

  /** The id was seen with another command. */
  record Conflict(String previousFingerprint) implements Lookup {}

  private static final int ENTRY_OVERHEAD_BYTES = 256;

  private final int maxEntries;
  private final long maxBytes;
  private final Map<String, Entry> byId = new LinkedHashMap<>();
  private long bytes;

  private static final class Entry {
    final String fingerprint;
    final CompletableFuture<Result> result = new CompletableFuture<>();
    long weight = ENTRY_OVERHEAD_BYTES;

    Entry(String fingerprint) {
      this.fingerprint = fingerprint;
    }
  }

  ResultCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** The result for {@code id}: a remembered one, the one under way, or {@code compute}'s. */
  Lookup computeIfAbsent(String id, String fingerprint, Supplier<Result> compute) {
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
      return existing.fingerprint.equals(fingerprint) ? new Hit(existing.result.join())
          : new Conflict(existing.fingerprint);
    }
    try {
      Result result = compute.get();
      long weight = ENTRY_OVERHEAD_BYTES + result.data().map(data -> (long) data.toString().length()).orElse(0L);
      synchronized (byId) {
        if (byId.get(id) == mine) {
          bytes += weight - mine.weight;
          mine.weight = weight;
          evict();
        }
      }
      mine.result.complete(result);
      return new Hit(result);
    } catch (RuntimeException e) {
      remove(id, mine);
      mine.result.completeExceptionally(e);
      throw e;
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
