package io.jankrunner.bench;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The echo floor: consume a request, produce a reply with its key. No plugin, no parsing. */
final class EchoFloor implements BenchTarget {

  private final String bootstrap;
  private final String prefix = "floor" + UUID.randomUUID().toString().substring(0, 8);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread echo;

  EchoFloor(String bootstrap) throws Exception {
    this.bootstrap = bootstrap;
    KafkaClients.createTopics(bootstrap, requestTopic(), replyTopic());
    echo = Thread.ofPlatform().name("floor-echo").start(this::echo);
  }

  private void echo() {
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.groupConsumer(bootstrap, prefix);
         KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      consumer.subscribe(List.of(requestTopic()));
      while (running.get()) {
        var records = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          producer.send(new ProducerRecord<>(replyTopic(), record.key(), record.value()));
        }
        if (!records.isEmpty()) {
          producer.flush(); // like the worker: the reply is on the broker before the offset moves
          consumer.commitAsync();
        }
      }
    }
  }

  @Override
  public String name() {
    return "floor";
  }

  @Override
  public String requestTopic() {
    return prefix + ".requests";
  }

  @Override
  public String replyTopic() {
    return prefix + ".replies";
  }

  @Override
  public void close() {
    running.set(false);
    try {
      echo.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
