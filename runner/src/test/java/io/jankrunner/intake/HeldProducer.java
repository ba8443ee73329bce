package io.jankrunner.intake;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's {@link MockProducer} whose sends stay unacknowledged until the test acknowledges them
 * by record key (a result's key is its command id), in any order: "the broker has the result" is
 * then a step the test takes, not something that happens by itself.
 */
final class HeldProducer extends MockProducer<byte[], byte[]> {

  private final Map<String, Callback> unacknowledged = new ConcurrentHashMap<>();
  private final List<ProducerRecord<byte[], byte[]>> sent = new CopyOnWriteArrayList<>();
  private final Map<String, Thread> senders = new ConcurrentHashMap<>();

  HeldProducer() {
    super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @Override
  public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
    sent.add(record);
    senders.put(key(record), Thread.currentThread());
    unacknowledged.put(key(record), callback);
    return new CompletableFuture<>();
  }

  /** The records sent so far, acknowledged or not, in send order. */
  List<ProducerRecord<byte[], byte[]>> sent() {
    return List.copyOf(sent);
  }

  /** The thread that sent the record keyed {@code key}. */
  Thread sender(String key) {
    return senders.get(key);
  }

  boolean wasSent(String key) {
    return sent.stream().anyMatch(record -> key(record).equals(key));
  }

  /** The broker has the record keyed {@code key}. */
  void acknowledge(String key) {
    Callback callback = unacknowledged.remove(key);
    if (callback == null) {
      throw new IllegalStateException("nothing unacknowledged is keyed " + key);
    }
    callback.onCompletion(new RecordMetadata(new TopicPartition("results", 0), 0, 0, 0, 0, 0), null);
  }

  static String key(ProducerRecord<byte[], byte[]> record) {
    return record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
  }
}
