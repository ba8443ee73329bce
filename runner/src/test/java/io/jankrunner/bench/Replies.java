package io.jankrunner.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a reply topic from its end on its own thread, handing each record's key to a listener. */
final class Replies implements AutoCloseable {

  @FunctionalInterface
  interface Listener {
    void reply(String key, long nanoTime);
  }

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  Replies(String bootstrap, String topic, Listener listener) {
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = List.of();
    while (partitions.isEmpty()) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      partitions = infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    thread = Thread.ofPlatform().name("replies").start(() -> {
      try (consumer) {
        while (running.get()) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
            if (record.key() != null) {
              listener.reply(new String(record.key(), StandardCharsets.UTF_8), System.nanoTime());
            }
          }
        }
      }
    });
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join();
  }
}
