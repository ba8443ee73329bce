package io.jankrunner.result;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a reply topic exists, asked before a result is written to it. A producer's send to a
 * topic that does not exist makes the producer fetch its metadata, and on a broker with {@code
 * auto.create.topics.enable} (Kafka's default) that fetch creates the topic, under the worker's
 * identity, for whoever named it. The Admin client's {@code describeTopics} never creates one.
 *
 * <p>Answers are cached, both ways and bounded in number: a topic found stays known for {@link
 * #FOUND_FOR}, a missing one for {@link #MISSING_FOR} (so a topic created by its owner is
 * written to soon after, and a flood of commands naming missing topics costs one lookup per
 * topic and period). One lookup per topic is in flight at a time.
 */
public final class ReplyTopicCheck {

  private static final Logger log = LoggerFactory.getLogger(ReplyTopicCheck.class);
  static final Duration FOUND_FOR = Duration.ofMinutes(5);
  static final Duration MISSING_FOR = Duration.ofSeconds(10);
  static final int MAX_TOPICS = 10_000;

  private final Function<String, CompletableFuture<Void>> describe;
  private final Set<String> known;
  private final Cache<String, Boolean> found;
  private final Cache<String, String> missing;
  private final ConcurrentMap<String, CompletableFuture<Optional<String>>> lookups = new ConcurrentHashMap<>();

  /** @param known topics the worker made itself (results, DLQ): never looked up */
  public ReplyTopicCheck(Admin admin, Set<String> known) {
    this(topic -> admin.describeTopics(List.of(topic)).topicNameValues().get(topic).toCompletionStage()
        .toCompletableFuture().thenApply(description -> null), known, FOUND_FOR, MISSING_FOR);
  }

  ReplyTopicCheck(Function<String, CompletableFuture<Void>> describe, Set<String> known, Duration foundFor,
                  Duration missingFor) {
    this.describe = describe;
    this.known = Set.copyOf(known);
    this.found = CacheBuilder.newBuilder().maximumSize(MAX_TOPICS).expireAfterWrite(foundFor).build();
    this.missing = CacheBuilder.newBuilder().maximumSize(MAX_TOPICS).expireAfterWrite(missingFor).build();
  }

  /** For tests and one-off use: every topic counts as existing. */
  public static ReplyTopicCheck trusting() {
    return new ReplyTopicCheck(topic -> CompletableFuture.completedFuture(null), Set.of(), FOUND_FOR, MISSING_FOR);
  }

  /** Why no result may be written to {@code topic} now, or empty when it exists; never fails. */
  public CompletableFuture<Optional<String>> unwritable(String topic) {
    if (known.contains(topic) || found.getIfPresent(topic) != null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String reason = missing.getIfPresent(topic);
    if (reason != null) {
      return CompletableFuture.completedFuture(Optional.of(reason));
    }
    CompletableFuture<Optional<String>> lookup = new CompletableFuture<>();
    CompletableFuture<Optional<String>> underWay = lookups.putIfAbsent(topic, lookup);
    if (underWay != null) {
      return underWay;
    }
    CompletableFuture<Void> described;
    try {
      described = describe.apply(topic);
    } catch (RuntimeException e) {
      described = CompletableFuture.failedFuture(e);
    }
    described.whenComplete((ignored, error) -> {
      Optional<String> answer = answer(topic, error);
      lookups.remove(topic, lookup);
      lookup.complete(answer);
    });
    return lookup;
  }

  private Optional<String> answer(String topic, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause == null) {
      found.put(topic, Boolean.TRUE);
      return Optional.empty();
    }
    String reason;
    if (cause instanceof UnknownTopicOrPartitionException) {
      reason = "reply topic " + topic + " does not exist, and workers never create reply topics: create it first";
      missing.put(topic, reason);
    } else if (cause instanceof TopicAuthorizationException) {
      reason = "this worker may not describe reply topic " + topic + " (a Kafka ACL), so it does not write to it";
      missing.put(topic, reason);
    } else {
      // Not cached: the broker may answer the next time.
      reason = "could not check that reply topic " + topic + " exists: " + cause;
      log.warn("{}", reason);
    }
    return Optional.of(reason);
  }
}
