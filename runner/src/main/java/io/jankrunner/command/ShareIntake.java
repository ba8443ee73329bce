package io.jankrunner.command;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Execute intake through a share group (KIP-932) with explicit acknowledgement. One thread
 * polls; each record of a batch runs on its own virtual thread; the batch is acknowledged record
 * by record once its outputs are on the broker: ACCEPT for an answered command, REJECT for
 * poison after its dead letter is written, RELEASE (redelivered, elsewhere or later) on overload
 * or shutdown. No new batch is fetched before the last is acknowledged, so a worker never holds
 * more than {@code max.poll.records} commands: backpressure, not buffering.
 */
final class ShareIntake implements Intake {

  private static final Logger log = LoggerFactory.getLogger(ShareIntake.class);

  private final KafkaShareConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final RecordHandler handler;
  private final Emitter emitter;
  private final ExecutorService workers;
  private final Duration shutdownGrace;
  private volatile boolean stopping;

  ShareIntake(KafkaShareConsumer<byte[], byte[]> consumer, String topic, RecordHandler handler, Emitter emitter,
              ExecutorService workers, Duration shutdownGrace) {
    this.consumer = consumer;
    this.topic = topic;
    this.handler = handler;
    this.emitter = emitter;
    this.workers = workers;
    this.shutdownGrace = shutdownGrace;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic));
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(500));
        } catch (WakeupException e) {
          continue;
        }
        if (!records.isEmpty()) {
          processBatch(records);
        }
      }
    } catch (RuntimeException e) {
      if (!stopping) {
        log.error("share intake on {} failed", topic, e);
        throw e;
      }
    } finally {
      try {
        consumer.commitSync(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.debug("final acknowledgement commit failed: {}", e.toString());
      }
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void processBatch(ConsumerRecords<byte[], byte[]> records) {
    List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
    List<CompletableFuture<AcknowledgeType>> outcomes = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      batch.add(record);
      int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
      outcomes.add(CompletableFuture.supplyAsync(() -> handler.handle(record, deliveryCount), workers)
          .thenCompose(handled -> acknowledgement(record, handled)));
    }
    awaitOrRelease(outcomes);
    for (int i = 0; i < batch.size(); i++) {
      consumer.acknowledge(batch.get(i), outcomes.get(i).getNow(AcknowledgeType.RELEASE));
    }
    consumer.commitAsync();
  }

  private CompletableFuture<AcknowledgeType> acknowledgement(ConsumerRecord<byte[], byte[]> record,
                                                             RecordHandler.Handled handled) {
    if (handled.outcome() == RecordHandler.Outcome.RELEASE) {
      return CompletableFuture.completedFuture(AcknowledgeType.RELEASE);
    }
    AcknowledgeType done = handled.outcome() == RecordHandler.Outcome.ANSWERED
        ? AcknowledgeType.ACCEPT : AcknowledgeType.REJECT;
    return emitter.emit(handled.outputs()).thenApply(ignored -> done).exceptionallyCompose(error -> {
      // The result could not be written (e.g. a reply topic that cannot exist): keep the record in the DLQ.
      log.warn("outputs of {}-{}@{} not published: {}", record.topic(), record.partition(), record.offset(),
          error.toString());
      handler.forget(handled);
      return emitter.emit(List.of(handler.undeliverable(record, error)))
          .thenApply(ignored -> AcknowledgeType.REJECT)
          .exceptionally(dlqError -> AcknowledgeType.RELEASE);
    });
  }

  /** Waits for the batch; when stopping, waits at most the grace period and releases the rest. */
  private void awaitOrRelease(List<CompletableFuture<AcknowledgeType>> outcomes) {
    CompletableFuture<Void> all = CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new));
    long graceEnd = 0;
    while (true) {
      try {
        all.get(200, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        if (stopping) {
          long now = System.nanoTime();
          if (graceEnd == 0) {
            graceEnd = now + shutdownGrace.toNanos();
          } else if (now >= graceEnd) {
            log.warn("shutdown grace over: releasing {} unfinished commands",
                outcomes.stream().filter(outcome -> !outcome.isDone()).count());
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        return; // each outcome carries its own acknowledgement; failures became RELEASE or REJECT
      }
    }
  }

  @Override
  public void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
