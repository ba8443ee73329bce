package io.jankrunner.command;

import io.jankrunner.result.Publisher;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a handled record's outputs and completes when the broker has all of them. */
final class Emitter {

  private final Producer<byte[], byte[]> producer;

  Emitter(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  CompletableFuture<Void> emit(List<ProducerRecord<byte[], byte[]>> outputs) {
    return CompletableFuture.allOf(outputs.stream().map(record -> Publisher.send(producer, record))
        .toArray(CompletableFuture[]::new));
  }
}
