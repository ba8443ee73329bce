package io.jankrunner.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every result and every dead letter of the drill's topics from the beginning, on its own
 * thread, for the whole drill ({@code read_committed}: in exactly-once mode aborted results are
 * not seen; other results are plain records and visible either way). At the end it reads up to
 * the end offsets, so nothing published before the workers stopped is missed.
 */
final class Checker implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<String> topics;
  private final String dlqTopic;
  /** id → every result record seen for it (their error codes, "ok" for a success). */
  final Map<String, List<String>> results = new ConcurrentHashMap<>();
  final Set<String> deadLetterKeys = ConcurrentHashMap.newKeySet();
  /** Error result records by code and the start of the message (numbers masked), for the summary. */
  final Map<String, Integer> errorMessages = new ConcurrentHashMap<>();
  private final AtomicInteger unreadable = new AtomicInteger();
  private final Thread thread;
  private final CountDownLatch drained = new CountDownLatch(1);
  private volatile boolean draining;
  private volatile String failure;

  Checker(String bootstrap, String topicPrefix) {
    this.dlqTopic = topicPrefix + ".dlq";
    this.topics = List.of(topicPrefix + ".results", dlqTopic);
    this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = Thread.ofPlatform().name("drill-checker").unstarted(this::readUntilDrained);
  }

  void start() {
    thread.start();
  }

  /** Whether every id has a result and every key is dead-lettered. */
  boolean complete(Set<String> ids, Set<String> deadLetters) {
    return results.keySet().containsAll(ids) && deadLetterKeys.containsAll(deadLetters);
  }

  String status(String id) {
    List<String> seen = results.get(id);
    return seen == null || seen.isEmpty() ? null : seen.getLast();
  }

  int unreadable() {
    return unreadable.get();
  }

  /** Reads on up to the topics' current end, then stops; returns false if that took too long. */
  boolean drain() throws InterruptedException {
    draining = true;
    boolean done = drained.await(DRAIN_TIMEOUT.toSeconds() + 30, java.util.concurrent.TimeUnit.SECONDS);
    if (failure != null) {
      Drill.say("the checker failed: " + failure);
      return false;
    }
    return done;
  }

  private void readUntilDrained() {
    try {
      List<TopicPartition> partitions = partitions();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = null;
      Instant drainUntil = null;
      while (true) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          take(record);
        }
        if (draining) {
          if (ends == null) {
            ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            drainUntil = Instant.now().plus(DRAIN_TIMEOUT);
          }
          if (caughtUp(ends) || Instant.now().isAfter(drainUntil)) {
            return;
          }
        }
      }
    } catch (RuntimeException e) {
      failure = e.toString();
    } finally {
      drained.countDown();
    }
  }

  private boolean caughtUp(Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (consumer.position(end.getKey(), Duration.ofSeconds(10)) < end.getValue()) {
        return false;
      }
    }
    return true;
  }

  private List<TopicPartition> partitions() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist; did the workers start?");
      }
      infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
    }
    return partitions;
  }

  private void take(ConsumerRecord<byte[], byte[]> record) {
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    if (record.topic().equals(dlqTopic)) {
      if (key != null) {
        deadLetterKeys.add(key);
      }
      return;
    }
    try {
      JsonNode result = JSON.readTree(record.value());
      String id = result.path("id").isTextual() ? result.path("id").asText() : key;
      String outcome = result.path("status").asText().equals("ok") ? "ok" : result.path("error").path("code").asText("?");
      if (!outcome.equals("ok")) {
        String message = result.path("error").path("message").asText("").replaceAll("[0-9]+", "#");
        errorMessages.merge(outcome + ": " + message.substring(0, Math.min(70, message.length())), 1, Integer::sum);
      }
      if (id != null) {
        results.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(outcome);
      } else {
        unreadable.incrementAndGet();
      }
    } catch (Exception e) {
      unreadable.incrementAndGet();
    }
  }

  @Override
  public void close() throws InterruptedException {
    draining = true;
    thread.join(Duration.ofSeconds(90));
    if (!thread.isAlive()) {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
