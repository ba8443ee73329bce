package io.jankrunner.client;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that reads the client's reply topic, from its end at the time the client was
 * built, and hands every record to the client. It owns the consumer: Kafka's consumer may be
 * used by one thread only, so it is also closed here.
 */
final class ReplyReader {

  private static final Logger log = LoggerFactory.getLogger(ReplyReader.class);
  /** How often to look for partitions added to the reply topic after the client started. */
  private static final Duration PARTITION_CHECK = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofSeconds(1);

  private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final Consumer<ConsumerRecord<byte[], byte[]>> onRecord;
  private final Thread thread;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final Set<TopicPartition> assigned = new HashSet<>();
  private Instant nextPartitionCheck = Instant.now().plus(PARTITION_CHECK);

  private ReplyReader(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer, String topic,
                      Consumer<ConsumerRecord<byte[], byte[]>> onRecord, String name) {
    this.consumer = consumer;
    this.topic = topic;
    this.onRecord = onRecord;
    this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
  }

  /**
   * Assigns every partition of {@code topic} to {@code consumer} at its end (on the calling thread,
   * so nothing sent after this returns can be missed), then starts reading it.
   *
   * @throws IllegalStateException when the topic does not exist within {@code wait}
   */
  static ReplyReader start(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer, String topic,
                           Duration wait, Consumer<ConsumerRecord<byte[], byte[]>> onRecord, String name) {
    ReplyReader reader = new ReplyReader(consumer, topic, onRecord, name);
    List<TopicPartition> partitions = partitions(consumer, topic, wait);
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    reader.assigned.addAll(partitions);
    reader.thread.start();
    return reader;
  }

  private static List<TopicPartition> partitions(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
                                                 String topic, Duration wait) {
    Instant until = Instant.now().plus(wait);
    while (true) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
      }
      if (!Instant.now().isBefore(until)) {
        throw new IllegalStateException("reply topic " + topic + " does not exist (waited " + wait.toSeconds()
            + " s): create it, let the client create it, or for the results topic start a worker");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for reply topic " + topic, e);
      }
    }
  }

  private void run() {
    try {
      while (stopping.getCount() > 0) {
        try {
          consumer.poll(POLL).forEach(onRecord);
          if (Instant.now().isAfter(nextPartitionCheck)) {
            addNewPartitions();
          }
        } catch (WakeupException | InterruptException e) {
          // close() woke us up
        } catch (KafkaException e) {
          if (stopping.getCount() > 0) {
            // Calls in flight keep their own deadlines; a broker that comes back is read again.
            log.warn("reading reply topic {} failed, trying again in 1 s: {}", topic, e.toString());
            awaitStop(Duration.ofSeconds(1));
          }
        } catch (RuntimeException e) {
          log.error("a reply record could not be handled", e);
        }
      }
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        log.debug("closing the reply consumer failed", e);
      }
    }
  }

  /** Partitions added to the topic later are read from their beginning: their results came after we started. */
  private void addNewPartitions() {
    nextPartitionCheck = Instant.now().plus(PARTITION_CHECK);
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
    if (infos == null) {
      return;
    }
    List<TopicPartition> added = infos.stream().map(info -> new TopicPartition(topic, info.partition()))
        .filter(partition -> !assigned.contains(partition)).toList();
    if (!added.isEmpty()) {
      assigned.addAll(added);
      consumer.assign(List.copyOf(assigned));
      consumer.seekToBeginning(added);
      log.info("reply topic {} grew: now reading {} partitions", topic, assigned.size());
    }
  }

  private void awaitStop(Duration duration) {
    try {
      stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops reading and closes the consumer, waiting up to {@code timeout} for the thread. */
  void stop(Duration timeout) {
    stopping.countDown();
    consumer.wakeup();
    try {
      thread.join(timeout.plusSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean isRunning() {
    return thread.isAlive();
  }
}
