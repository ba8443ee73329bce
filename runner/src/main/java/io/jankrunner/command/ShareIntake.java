package io.jankrunner.command;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Execute intake through a share group (KIP-932) with explicit acknowledgement. One thread
 * polls; each record of a batch runs on its own virtual thread; the batch is acknowledged record
 * by record once its outputs are on the broker: ACCEPT for an answered command, REJECT for
 * poison after its dead letter is written, RELEASE (redelivered, elsewhere or later) on overload
 * or shutdown. No new batch is fetched before the last is acknowledged, so a worker never holds
 * more than {@code max.poll.records} commands: backpressure, not buffering. A command that runs
 * longer than half the acquisition lock has its lock renewed, so it is not redelivered while it
 * still runs here.
 */
final class ShareIntake implements Intake {

  private static final Logger log = LoggerFactory.getLogger(ShareIntake.class);
  /** The broker's default {@code group.share.record.lock.duration.ms}, if the consumer cannot tell. */
  private static final Duration DEFAULT_LOCK = Duration.ofSeconds(30);

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
      PollLoop.run("share intake on " + topic, () -> stopping, consumer::poll, this::processBatch);
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
    Map<Position, InFlight> pending = new LinkedHashMap<>();
    records.forEach(record -> start(record, pending));
    Duration lock = consumer.acquisitionLockTimeoutMs().map(Duration::ofMillis).orElse(DEFAULT_LOCK);
    long renewAt = System.nanoTime() + lock.toNanos() / 2;
    long graceEnd = 0;
    while (!pending.isEmpty()) {
      awaitAny(pending.values());
      acknowledgeFinished(pending);
      long now = System.nanoTime();
      if (stopping) {
        graceEnd = graceEnd == 0 ? now + shutdownGrace.toNanos() : graceEnd;
        if (now >= graceEnd && !pending.isEmpty()) {
          log.warn("shutdown grace over: releasing {} unfinished commands", pending.size());
          pending.values().forEach(inFlight -> acknowledge(inFlight.record, AcknowledgeType.RELEASE));
          pending.clear();
        }
      }
      if (!pending.isEmpty() && now >= renewAt) {
        renewLocks(pending);
        renewAt = System.nanoTime() + lock.toNanos() / 2;
      }
    }
    consumer.commitAsync();
  }

  private void start(ConsumerRecord<byte[], byte[]> record, Map<Position, InFlight> pending) {
    int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
    CompletableFuture<AcknowledgeType> outcome = CompletableFuture
        .supplyAsync(() -> handler.handle(record, deliveryCount), workers)
        .thenCompose(handled -> acknowledgement(record, handled));
    pending.put(Position.of(record), new InFlight(record, outcome));
  }

  private static void awaitAny(Collection<InFlight> inFlight) {
    try {
      CompletableFuture.anyOf(inFlight.stream().map(f -> f.outcome).toArray(CompletableFuture[]::new))
          .get(200, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // nothing finished yet, or it finished with its own acknowledgement type
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acknowledgeFinished(Map<Position, InFlight> pending) {
    pending.values().removeIf(inFlight -> {
      if (!inFlight.outcome.isDone()) {
        return false;
      }
      acknowledge(inFlight.record, inFlight.outcome.getNow(AcknowledgeType.RELEASE));
      return true;
    });
  }

  /**
   * Commands still running when half the acquisition lock has passed keep their records: RENEW
   * extends the lock (KIP-1222), and the renewed records come back on the next poll, where the
   * new record objects replace the old (acknowledgements must name what the last poll returned).
   * Anything new that poll brings is started like any fetched record.
   */
  private void renewLocks(Map<Position, InFlight> pending) {
    pending.values().forEach(inFlight -> acknowledge(inFlight.record, AcknowledgeType.RENEW));
    try {
      consumer.commitSync(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.warn("lock renewal of {} commands failed: {}", pending.size(), e.toString());
    }
    Set<Position> missing = new HashSet<>(pending.keySet());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (!missing.isEmpty() && System.nanoTime() < until) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
        Position position = Position.of(record);
        InFlight inFlight = pending.get(position);
        if (inFlight != null) {
          inFlight.record = record;
          missing.remove(position);
        } else {
          start(record, pending);
        }
      }
    }
    log.debug("renewed the locks of {} long-running commands", pending.size() - missing.size());
  }

  private void acknowledge(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
    try {
      consumer.acknowledge(record, type);
    } catch (IllegalStateException e) {
      // The lock was lost (the record went back to the group): another delivery will answer it.
      log.warn("could not acknowledge {}-{}@{} as {}: {}", record.topic(), record.partition(), record.offset(), type,
          e.getMessage());
    }
  }

  /** Where a record sits; the same across its redeliveries to this consumer. */
  private record Position(String topic, int partition, long offset) {
    static Position of(ConsumerRecord<?, ?> record) {
      return new Position(record.topic(), record.partition(), record.offset());
    }
  }

  /** A command being handled, and the record object its acknowledgement must name. */
  private static final class InFlight {
    private ConsumerRecord<byte[], byte[]> record;
    private final CompletableFuture<AcknowledgeType> outcome;

    InFlight(ConsumerRecord<byte[], byte[]> record, CompletableFuture<AcknowledgeType> outcome) {
      this.record = record;
      this.outcome = outcome;
    }
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

  @Override
  public void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
