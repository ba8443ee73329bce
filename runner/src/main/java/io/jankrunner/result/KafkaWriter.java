package io.jankrunner.result;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The one way the worker writes records to Kafka: sends that complete when the broker has them.
 * A send that fails synchronously (serialization, a record over {@code max.request.size}, a
 * closed producer) fails the future instead of throwing, so callers handle one path.
 */
public final class KafkaWriter {

  /**
   * How long after a send to a topic was acknowledged the producer surely still holds the
   * topic's metadata (it forgets a topic after {@code metadata.max.idle.ms}, 5 min by default,
   * without sends).
   */
  static final long METADATA_KNOWN_NANOS = TimeUnit.MINUTES.toNanos(1);
  /** How often a topic's last acknowledged send is written down; every send would be a map write. */
  private static final long NOTE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final int MAX_TOPICS_NOTED = 10_000;

  private final Producer<byte[], byte[]> producer;
  /** {@link System#nanoTime} of an acknowledged send, per topic. */
  private final Map<String, Long> acknowledged = new ConcurrentHashMap<>();

  public KafkaWriter(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  public CompletableFuture<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    CompletableFuture<RecordMetadata> acked = send(producer, record);
    String topic = record.topic();
    Long last = acknowledged.get(topic);
    if (last == null || System.nanoTime() - last > NOTE_EVERY_NANOS) {
      acked.thenRun(() -> note(topic));
    }
    return acked;
  }

  private void note(String topic) {
    if (acknowledged.size() >= MAX_TOPICS_NOTED && !acknowledged.containsKey(topic)) {
      acknowledged.clear(); // a bound, not a cache policy: forgotten topics only cost a hand-off again
    }
    acknowledged.put(topic, System.nanoTime());
  }

  /**
   * Whether sending {@code records} now can be expected not to block: the producer's {@code
   * send} waits (up to {@code max.block.ms}) for the metadata of a topic it does not know, so
   * only topics it has sent to lately qualify. (It also waits when its buffer is full: that is
   * back-pressure from the broker, which every thread has to take.)
   */
  public boolean sendsAtOnce(List<ProducerRecord<byte[], byte[]>> records) {
    long now = System.nanoTime();
    for (ProducerRecord<byte[], byte[]> record : records) {
      Long last = acknowledged.get(record.topic());
      if (last == null || now - last > METADATA_KNOWN_NANOS) {
        return false;
      }
    }
    return true;
  }

  /** Completes when the broker has every one of {@code records}, or fails with the first error. */
  public CompletableFuture<Void> sendAll(List<ProducerRecord<byte[], byte[]>> records) {
    if (records.size() == 1) {
      return send(records.getFirst()).thenApply(ignored -> null);
    }
    return CompletableFuture.allOf(records.stream().map(this::send).toArray(CompletableFuture[]::new));
  }

  public static CompletableFuture<RecordMetadata> send(Producer<byte[], byte[]> producer,
                                                       ProducerRecord<byte[], byte[]> record) {
    CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
    Callback callback = (metadata, error) -> {
      if (error != null) {
        acked.completeExceptionally(error);
      } else {
        acked.complete(metadata);
      }
    };
    try {
      producer.send(record, callback);
    } catch (RuntimeException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }
}
