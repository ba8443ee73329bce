package io.jankrunner.result;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** A producer send as a future that completes when the broker has the record. */
public final class Publisher {

  private Publisher() {}

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
