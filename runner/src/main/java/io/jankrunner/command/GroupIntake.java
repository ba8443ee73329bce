package io.jankrunner.command;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Intake through a consumer group: records with the same key run one after another in offset
 * order, different keys in parallel on virtual threads. A batch's offsets are committed only
 * once every record of it is handled and its outputs are on the broker. With a transactional
 * producer, results and offsets commit in one transaction (exactly-once results for
 * {@code read_committed} readers); a failed transaction is aborted and the batch is read again.
 */
final class GroupIntake implements Intake {

  private static final Logger log = LoggerFactory.getLogger(GroupIntake.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final RecordHandler handler;
  private final Emitter emitter;
  private final Optional<Producer<byte[], byte[]>> transactional;
  private final ExecutorService workers;
  private volatile boolean stopping;

  GroupIntake(KafkaConsumer<byte[], byte[]> consumer, String topic, RecordHandler handler, Emitter emitter,
              Optional<Producer<byte[], byte[]>> transactional, ExecutorService workers) {
    this.consumer = consumer;
    this.topic = topic;
    this.handler = handler;
    this.emitter = emitter;
    this.transactional = transactional;
    this.workers = workers;
  }

  @Override
  public void run() {
    try {
      transactional.ifPresent(Producer::initTransactions);
      consumer.subscribe(List.of(topic));
      PollLoop.run("group intake on " + topic, () -> stopping, consumer::poll, this::processBatch);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void processBatch(ConsumerRecords<byte[], byte[]> records) {
    Map<Object, List<ConsumerRecord<byte[], byte[]>>> byKey = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      // No key, no order to keep: such records each run on their own.
      Object key = record.key() == null ? record : ByteBuffer.wrap(record.key());
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(record);
    }
    List<CompletableFuture<List<ProducerRecord<byte[], byte[]>>>> chains = new ArrayList<>();
    for (List<ConsumerRecord<byte[], byte[]>> sameKey : byKey.values()) {
      chains.add(CompletableFuture.supplyAsync(() -> runInOrder(sameKey), workers));
    }
    List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
    boolean complete = true;
    for (CompletableFuture<List<ProducerRecord<byte[], byte[]>>> chain : chains) {
      try {
        outputs.addAll(chain.join());
      } catch (RuntimeException e) {
        log.error("a batch on {} could not be handled; it will be read again", topic, e);
        complete = false;
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = nextOffsets(records);
    if (!complete) {
      rewind(records);
    } else if (transactional.isPresent()) {
      commitInTransaction(transactional.get(), outputs, offsets, records);
    } else {
      try {
        consumer.commitSync(offsets);
      } catch (CommitFailedException | RebalanceInProgressException e) {
        // We lost these partitions mid-batch; their new owner reads the batch again and the
        // command ids keep the answers consistent.
        log.warn("offsets of a finished batch on {} not committed: {}", topic, e.toString());
      }
    }
  }

  /**
   * Handles records of one key in order. Without a transaction each record's outputs are written
   * before the next record runs, so a caller sees results in the order it sent commands.
   */
  private List<ProducerRecord<byte[], byte[]>> runInOrder(List<ConsumerRecord<byte[], byte[]>> sameKey) {
    List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : sameKey) {
      RecordHandler.Handled handled = handler.handle(record, 1);
      if (transactional.isPresent()) {
        outputs.addAll(handled.outputs());
        continue;
      }
      try {
        emitter.emit(handled.outputs()).join();
      } catch (RuntimeException e) {
        log.warn("outputs of {}-{}@{} not published: {}", record.topic(), record.partition(), record.offset(),
            e.toString());
        handler.forget(handled);
        // Throws if the DLQ is unreachable too: then nothing is committed and the batch comes back.
        emitter.emit(List.of(handler.undeliverable(record, e))).join();
      }
    }
    return outputs;
  }

  private void commitInTransaction(Producer<byte[], byte[]> producer, List<ProducerRecord<byte[], byte[]>> outputs,
                                   Map<TopicPartition, OffsetAndMetadata> offsets,
                                   ConsumerRecords<byte[], byte[]> records) {
    try {
      producer.beginTransaction();
      outputs.forEach(producer::send);
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
    } catch (RuntimeException e) {
      log.warn("transaction for a batch on {} failed, reading it again: {}", topic, e.toString());
      try {
        producer.abortTransaction();
      } catch (RuntimeException abortError) {
        log.error("could not abort the transaction; the producer must be recreated", abortError);
        throw e;
      }
      rewind(records);
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> inPartition = records.records(partition);
      offsets.put(partition, new OffsetAndMetadata(inPartition.getLast().offset() + 1));
    }
    return offsets;
  }

  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      consumer.seek(partition, records.records(partition).getFirst().offset());
    }
  }

  @Override
  public void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
