package io.jankrunner.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A producer and topic readers, as a caller of the runner has them. */
public final class TestClient implements AutoCloseable {

  public static final ObjectMapper JSON = new ObjectMapper();
  private final String bootstrap;
  private final Map<String, String> security;
  private final KafkaProducer<byte[], byte[]> producer;

  public TestClient(String bootstrap) {
    this(bootstrap, Map.of());
  }

  /** A client whose producer and readers also use {@code security} (e.g. SASL_SSL settings of one principal). */
  public TestClient(String bootstrap, Map<String, String> security) {
    this.bootstrap = bootstrap;
    this.security = Map.copyOf(security);
    this.producer = new KafkaProducer<>(with(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 1,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024)),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private Map<String, Object> with(Map<String, Object> config) {
    Map<String, Object> merged = new java.util.HashMap<>(config);
    merged.putAll(security);
    return merged;
  }

  /** Sends without waiting: the future fails if the broker refuses the record (e.g. not authorized). */
  public java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> sendRecord(
      String topic, String key, JsonNode command) {
    return producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        bytes(command)));
  }

  public static ObjectNode execute(String id, String plugin, String method, String replyTo) {
    return JSON.createObjectNode().put("v", 1).put("id", id).put("type", "execute").put("plugin", plugin)
        .put("method", method).put("reply_to", replyTo);
  }

  public static ObjectNode control(String id, String type, String plugin, String replyTo) {
    ObjectNode command = JSON.createObjectNode().put("v", 1).put("id", id).put("type", type).put("reply_to", replyTo);
    return plugin == null ? command : command.put("plugin", plugin);
  }

  public void send(String topic, String key, JsonNode command) {
    send(topic, key, bytes(command), new RecordHeaders());
  }

  public void send(String topic, String key, byte[] value, Headers headers) {
    try {
      producer.send(new ProducerRecord<>(topic, null, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value,
          headers)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public void sendAsync(String topic, String key, JsonNode command) {
    producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        bytes(command)));
  }

  /**
   * Creates {@code topic} (as a caller creates its reply topic: workers never create one), and
   * returns once it can be described.
   */
  public void createTopic(String topic) {
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
        org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      try {
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, java.util.Optional.of(3),
            java.util.Optional.empty()))).all().get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
          throw e;
        }
      }
      // A topic just created may not be in the broker's metadata yet: ask again until it is.
      Instant until = Instant.now().plusSeconds(30);
      while (true) {
        try {
          admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
          return;
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
              || Instant.now().isAfter(until)) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not create " + topic, e);
    }
  }

  public void flush() {
    producer.flush();
  }

  /** Reads {@code topic} from the beginning until {@code done} holds for what was read, or the timeout. */
  public List<ConsumerRecord<byte[], byte[]>> read(String topic, Duration timeout,
                                                    Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(with(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024)),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Instant until = Instant.now().plus(timeout);
      List<TopicPartition> partitions = List.of();
      while (partitions.isEmpty() && Instant.now().isBefore(until)) {
        var infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        partitions = infos == null ? List.of() : infos.stream()
            .map(info -> new TopicPartition(topic, info.partition())).toList();
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (Instant.now().isBefore(until) && !done.test(records)) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /** The results on {@code topic} by command id, waiting until {@code count} distinct ids arrived. */
  public Map<String, List<JsonNode>> results(String topic, int count, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = read(topic, timeout,
        read -> read.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).distinct().count() >= count);
    Map<String, List<JsonNode>> byId = new java.util.LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      byId.computeIfAbsent(new String(record.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
          .add(parse(record.value()));
    }
    return byId;
  }

  public JsonNode result(String topic, String id, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = read(topic, timeout, read -> read.stream()
        .anyMatch(r -> new String(r.key(), StandardCharsets.UTF_8).equals(id)));
    return records.stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals(id)).findFirst()
        .map(r -> parse(r.value())).orElseThrow(() -> new AssertionError("no result for " + id + " on " + topic));
  }

  public static JsonNode parse(byte[] bytes) {
    try {
      return JSON.readTree(bytes);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
