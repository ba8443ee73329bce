package io.jankrunner.bench;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The echo floor: consume a request, produce a reply with its key. No plugin, no parsing. */
final class EchoFloor extends HandWrittenFloor {

  EchoFloor(String bootstrap) throws Exception {
    super(bootstrap, "floor");
    start();
  }

  @Override
  protected void loop() {
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.groupConsumer(bootstrap, group());
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
}
