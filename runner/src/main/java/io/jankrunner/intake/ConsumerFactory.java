package io.jankrunner.intake;

import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Builds the intakes' consumers from their properties. The intakes see only Kafka's client
 * interfaces, so their poll rounds can run against Kafka's {@code MockConsumer} and
 * {@code MockShareConsumer}; a worker uses {@link #KAFKA}.
 */
public interface ConsumerFactory {

  Consumer<byte[], byte[]> group(Map<String, Object> properties);

  ShareConsumer<byte[], byte[]> share(Map<String, Object> properties);

  /** Kafka's own clients. */
  ConsumerFactory KAFKA = new ConsumerFactory() {
    @Override
    public Consumer<byte[], byte[]> group(Map<String, Object> properties) {
      return new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public ShareConsumer<byte[], byte[]> share(Map<String, Object> properties) {
      return new KafkaShareConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
  };
}
