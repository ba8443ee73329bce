package io.jankrunner.registry;

import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.dispatch.ControlPlane;
import io.jankrunner.intake.PollLoop;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.result.KafkaWriter;
import io.jankrunner.result.OutputRecords;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
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
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet-wide plugin registrations in a compacted topic, after Kafka Connect's config topic: the
 * worker that handles a control command writes the outcome (key: plugin id; a tombstone for
 * unregister); every worker reads the topic from the beginning, without a group, and reconciles
 * its local plugin manager to it, so a worker started later catches up.
 *
 * <p>A starting worker first reads to the end and only then acts, bringing each plugin once to
 * its <em>latest</em> desired state (a topic not yet compacted holds every past registration;
 * replaying them one by one would redo every past build). Applying runs off the reader thread,
 * one plugin at a time per plugin ({@link Reconciler}), so a build never stalls the fleet state.
 * The reader survives any error: it logs, pauses, and reads on.
 */
public final class RegistryTopic implements ControlPlane, Runnable {

  private static final Logger log = LoggerFactory.getLogger(RegistryTopic.class);
  private static final Duration PAUSE_AFTER_ERROR = Duration.ofSeconds(1);

  /** One registration as the topic holds it. */
  record Entry(String pluginId, String version, String buildId) {}

  private final String topic;
  private final String workerId;
  private final Producer<byte[], byte[]> producer;
  private final Consumer<byte[], byte[]> consumer;
  private final Reconciler reconciler;
  private final Map<String, Entry> desired = new ConcurrentHashMap<>();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean stopping;
  /** Still reading what was on the topic when this worker started (the reader thread's only). */
  private boolean replaying = true;

  /**
   * @param buildsDir where this machine remembers which build of each plugin it last made
   * @param rebuildInterval the least time between two registry-triggered builds of one plugin
   */
  public RegistryTopic(String topic, String workerId, Producer<byte[], byte[]> producer,
                       Consumer<byte[], byte[]> consumer, PluginManager manager, Path buildsDir,
                       java.time.Duration rebuildInterval) {
    this.topic = topic;
    this.workerId = workerId;
    this.producer = producer;
    this.consumer = consumer;
    this.reconciler = new Reconciler(manager, buildsDir, rebuildInterval);
  }

  @Override
  public void registered(String pluginId, String version, String buildId) throws RunnerException {
    reconciler.appliedHere(pluginId, buildId);
    byte[] value;
    try {
      value = RegistryRecord.encode(pluginId, version, buildId, workerId, Instant.now());
    } catch (IOException e) {
      throw new RunnerException(ErrorCode.INTERNAL, pluginId, "could not encode registry entry", e);
    }
    write(pluginId, value);
    desired.put(pluginId, new Entry(pluginId, version, buildId));
  }

  @Override
  public void unregistered(String pluginId) throws RunnerException {
    reconciler.appliedHere(pluginId, null);
    write(pluginId, null);
    desired.remove(pluginId);
  }

  @Override
  public boolean isRegistered(String pluginId) {
    return desired.containsKey(pluginId);
  }

  private void write(String pluginId, byte[] value) throws RunnerException {
    try {
      KafkaWriter.send(producer, new ProducerRecord<>(topic, OutputRecords.utf8(pluginId), value))
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new RunnerException(ErrorCode.INTERNAL, pluginId, "registry write failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RunnerException(ErrorCode.INTERNAL, pluginId, "interrupted during the registry write");
    }
  }

  /** Waits until the state on the topic when this worker started has been applied here. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the state on the topic when this worker started has been applied here. */
  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  @Override
  public void run() {
    try {
      Map<TopicPartition, Long> end = null;
      while (!stopping && end == null) {
        try {
          end = assignFromBeginning();
        } catch (WakeupException e) {
          // stopping
        } catch (RuntimeException e) {
          log.warn("registry topic {} not readable yet: {}; retrying", topic, e.toString());
          pause();
        }
      }
      Map<TopicPartition, Long> replayEnd = end;
      Map<String, Optional<Entry>> initial = new HashMap<>();
      PollLoop.run("registry reader on " + topic, () -> stopping, () -> round(replayEnd, initial));
    } finally {
      reconciler.close();
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /**
   * One poll: until the topic's end as it was at the start is reached, changes are collected in
   * {@code initial} and applied together; after that each is applied as it comes.
   */
  private void round(Map<TopicPartition, Long> end, Map<String, Optional<Entry>> initial) {
    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
      read(record).ifPresent(change -> {
        if (caughtUp()) {
          reconciler.desire(change.pluginId(), change.entry());
        } else {
          initial.put(change.pluginId(), change.entry());
        }
      });
    }
    if (replaying && reachedEnd(end)) {
      replaying = false;
      log.info("registry: read {} plugins' desired state; applying it", initial.size());
      Thread.ofVirtual().name("registry-catch-up").start(() -> {
        reconciler.applyAll(initial);
        caughtUp.countDown();
      });
    }
  }

  private Map<TopicPartition, Long> assignFromBeginning() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " has no partitions");
    }
    List<TopicPartition> partitions = infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer.endOffsets(partitions);
  }

  private boolean reachedEnd(Map<TopicPartition, Long> end) {
    return end.entrySet().stream().allMatch(entry -> consumer.position(entry.getKey()) >= entry.getValue());
  }

  /** A plugin's desired state changed: registered (with this entry) or not (empty). */
  private record Change(String pluginId, Optional<Entry> entry) {}

  private Optional<Change> read(ConsumerRecord<byte[], byte[]> record) {
    return switch (RegistryRecord.read(record.key(), record.value())) {
      case RegistryRecord.Registration registration -> {
        Entry entry = registration.entry();
        desired.put(entry.pluginId(), entry);
        yield Optional.of(new Change(entry.pluginId(), Optional.of(entry)));
      }
      case RegistryRecord.Tombstone tombstone -> {
        desired.remove(tombstone.pluginId());
        yield Optional.of(new Change(tombstone.pluginId(), Optional.empty()));
      }
      case RegistryRecord.Malformed malformed -> {
        // Only the shape workers write counts: anything else never registers (or unregisters) a plugin.
        log.warn("registry: record {}-{}@{} is not a registry record ({}); skipped", record.topic(),
            record.partition(), record.offset(), malformed.reason());
        yield Optional.empty();
      }
    };
  }

  private static void pause() {
    try {
      Thread.sleep(PAUSE_AFTER_ERROR);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
