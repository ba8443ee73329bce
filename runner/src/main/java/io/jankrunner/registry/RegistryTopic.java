package io.jankrunner.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.dispatch.ControlPlane;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.result.OutputRecords;
import io.jankrunner.result.KafkaWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet-wide plugin registrations in a compacted topic, after Kafka Connect's config topic: the
 * worker that handles a control command writes the outcome (key: plugin id; a tombstone for
 * unregister); every worker reads the topic from the beginning, without a group, and reconciles
 * its local plugin manager to it, so a worker started later catches up.
 */
public final class RegistryTopic implements ControlPlane, Runnable {

  private static final Logger log = LoggerFactory.getLogger(RegistryTopic.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One registration as the topic holds it. */
  record Entry(String pluginId, String version, String buildId) {}

  private final String topic;
  private final String workerId;
  private final Producer<byte[], byte[]> producer;
  private final Consumer<byte[], byte[]> consumer;
  private final PluginManager manager;
  private final Map<String, Entry> desired = new ConcurrentHashMap<>();
  // What this worker's manager reflects, by plugin id: a registration we applied (or made).
  private final Map<String, String> appliedBuild = new ConcurrentHashMap<>();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean stopping;

  public RegistryTopic(String topic, String workerId, Producer<byte[], byte[]> producer,
                       Consumer<byte[], byte[]> consumer, PluginManager manager) {
    this.topic = topic;
    this.workerId = workerId;
    this.producer = producer;
    this.consumer = consumer;
    this.manager = manager;
  }

  @Override
  public void registered(String pluginId, String version, String buildId) throws RunnerException {
    appliedBuild.put(pluginId, buildId);
    byte[] value;
    try {
      value = JSON.writeValueAsBytes(JSON.createObjectNode().put("v", 1).put("plugin", pluginId)
          .put("registered", true).put("version", version).put("build_id", buildId).put("by", workerId)
          .put("at", Instant.now().toString()));
    } catch (IOException e) {
      throw new RunnerException(ErrorCode.INTERNAL, pluginId, "could not encode registry entry", e);
    }
    write(pluginId, value);
    desired.put(pluginId, new Entry(pluginId, version, buildId));
  }

  @Override
  public void unregistered(String pluginId) throws RunnerException {
    appliedBuild.remove(pluginId);
    write(pluginId, null);
    desired.remove(pluginId);
  }

  @Override
  public boolean isRegistered(String pluginId) {
    return desired.containsKey(pluginId);
  }

  private void write(String pluginId, byte[] value) throws RunnerException {
    try {
      KafkaWriter.send(producer, new ProducerRecord<>(topic, OutputRecords.utf8(pluginId), value)).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new RunnerException(ErrorCode.INTERNAL, pluginId, "registry write failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RunnerException(ErrorCode.INTERNAL, pluginId, "interrupted during the registry write");
    }
  }

  /** Waits until everything on the topic when this worker started has been applied. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> partitions = partitions();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      checkCaughtUp(end);
      while (!stopping) {
        try {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            apply(record);
          }
        } catch (WakeupException e) {
          continue;
        }
        if (caughtUp.getCount() > 0) {
          checkCaughtUp(end);
        }
      }
    } catch (RuntimeException e) {
      if (!stopping) {
        log.error("registry reader on {} failed", topic, e);
      }
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private List<TopicPartition> partitions() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    return infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
  }

  private void checkCaughtUp(Map<TopicPartition, Long> end) {
    boolean done = end.entrySet().stream().allMatch(entry -> consumer.position(entry.getKey()) >= entry.getValue());
    if (done) {
      caughtUp.countDown();
    }
  }

  private void apply(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      return;
    }
    String pluginId = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      desired.remove(pluginId);
      if (appliedBuild.remove(pluginId) != null || manager.isRegistered(pluginId)) {
        try {
          manager.unregister(pluginId);
          log.info("registry: unregistered {}", pluginId);
        } catch (RunnerException e) {
          log.debug("registry: {} was not registered here", pluginId);
        }
      }
      return;
    }
    Optional<Entry> entry = parse(pluginId, record.value());
    if (entry.isEmpty()) {
      return;
    }
    desired.put(pluginId, entry.get());
    String buildId = entry.get().buildId();
    if (manager.isRegistered(pluginId) && buildId.equals(appliedBuild.get(pluginId))) {
      return; // already what the fleet wants (our own write, or applied before)
    }
    boolean rebuild = !buildId.isEmpty() && !buildId.equals(appliedBuild.get(pluginId));
    try {
      manager.register(pluginId, rebuild, null);
      appliedBuild.put(pluginId, buildId);
      log.info("registry: registered {}{}", pluginId, rebuild ? " (rebuilt)" : "");
    } catch (RunnerException e) {
      log.warn("registry: cannot register {} on this worker: {}", pluginId, e.getMessage());
    }
  }

  private static Optional<Entry> parse(String pluginId, byte[] value) {
    try {
      JsonNode node = JSON.readTree(value);
      return Optional.of(new Entry(pluginId, node.path("version").asText(""), node.path("build_id").asText("")));
    } catch (IOException e) {
      log.warn("registry: unreadable entry for {}: {}", pluginId, e.toString());
      return Optional.empty();
    }
  }

  public void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
