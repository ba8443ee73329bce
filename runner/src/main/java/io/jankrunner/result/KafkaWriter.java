package io.jankrunner.result;

import java.util.List;
import java.util.concurrent.CompletableFuture;
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

  private final Producer<byte[], byte[]> producer;

  public KafkaWriter(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  public CompletableFuture<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    return send(producer, record);
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
