package io.jankrunner.intake;

import io.jankrunner.result.KafkaWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One share consumer of a worker's {@link ShareIntake}, on its own thread, with explicit
 * acknowledgement. It reserves room for a fetch in the worker's {@link InFlightSlots}, polls, and
 * starts each record itself as soon as it is fetched (parses it and sends the plugin call, with
 * no hand-off to another thread; no thread waits for the plugin or the broker); each record reports its
 * acknowledgement to a completion queue once its outputs are on the broker: ACCEPT for an
 * answered command, REJECT for poison after its dead letter is written, RELEASE (redelivered,
 * elsewhere or later) on overload or shutdown. The consumer acknowledges each record as it
 * completes; the acknowledgements ride on the next ShareFetch (no separate commit round trip).
 *
 * <p>A share consumer in explicit mode must acknowledge every record of a poll before it polls
 * again (the client throws {@code IllegalStateException} otherwise), so from a fetch to its last
 * acknowledgement this consumer is held. It is <em>stalled</em> when, while held, none of its
 * fetch's commands has finished for a while: {@link #stalledNanos} says for how long, and the
 * intake opens more consumers while one is stalled. A fetch that is merely slow (a busy worker
 * finishing its commands one after another) is not stalled: more consumers would not help it.
 * A command that runs longer than half the acquisition lock has its lock renewed (KIP-1222), so
 * it is not redelivered while it still runs.
 */
final class ShareMember implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ShareMember.class);
  /** The broker's default {@code group.share.record.lock.duration.ms}, if the consumer cannot tell. */
  private static final Duration DEFAULT_LOCK = Duration.ofSeconds(30);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  /** How long a free consumer waits for room before it looks at its stop flags again. */
  private static final Duration RESERVE_WAIT = Duration.ofMillis(200);

  private final int index;
  private final ShareConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final RecordHandler handler;
  private final KafkaWriter writer;
  private final ExecutorService workers;
  private final Duration shutdownGrace;
  private final InFlightSlots slots;
  private final int fetchSize;
  private final LinkedBlockingQueue<Done> completions = new LinkedBlockingQueue<>();
  private volatile boolean stopping;
  private volatile boolean retiring;
  /**
   * {@link System#nanoTime} of the last progress of the fetch whose records are not all
   * acknowledged yet (the fetch itself, then each command of it that finished); 0 when free.
   */
  private volatile long progressAt;

  /** A record whose command has finished here, and how to acknowledge it. */
  private record Done(Position position, AcknowledgeType type) {}

  /** @param fetchSize this consumer's {@code max.poll.records}: the slots it reserves before each poll */
  ShareMember(int index, ShareConsumer<byte[], byte[]> consumer, String topic, RecordHandler handler,
              KafkaWriter writer, ExecutorService workers, Duration shutdownGrace, InFlightSlots slots,
              int fetchSize) {
    this.index = index;
    this.consumer = consumer;
    this.topic = topic;
    this.handler = handler;
    this.writer = writer;
    this.workers = workers;
    this.shutdownGrace = shutdownGrace;
    this.slots = slots;
    this.fetchSize = fetchSize;
  }

  int index() {
    return index;
  }

  /**
   * How long this consumer has been unable to poll with none of its last fetch's commands
   * finishing: since the fetch, or since the last of them finished; 0 when free.
   */
  long stalledNanos(long now) {
    long since = progressAt;
    return since == 0 ? 0 : Math.max(0, now - since);
  }

  boolean retiring() {
    return retiring;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic));
      PollLoop.run("share intake on " + topic + " (consumer " + index + ")", () -> stopping || retiring, this::round);
    } finally {
      try {
        consumer.commitSync(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.debug("final acknowledgement commit failed: {}", e.toString());
      }
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void round() {
    if (!slots.reserve(fetchSize, RESERVE_WAIT)) {
      return; // every slot is taken: polling now would acquire records nobody can run
    }
    int fetched = 0;
    try {
      ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
      fetched = records.count();
      slots.release(fetchSize - fetched);
      if (fetched > 0) {
        process(records);
      }
    } catch (RuntimeException e) {
      if (fetched == 0) {
        slots.release(fetchSize);
      }
      throw e;
    }
  }

  /** Starts every record of a poll, then acknowledges each as it completes, until none is left. */
  private void process(ConsumerRecords<byte[], byte[]> records) {
    Map<Position, ConsumerRecord<byte[], byte[]>> pending = new HashMap<>();
    progressAt = System.nanoTime();
    records.forEach(record -> start(record, pending));
    try {
      awaitAll(pending);
    } catch (RuntimeException e) {
      // Every record of the last poll must be acknowledged before the next poll, or every poll
      // after this one fails too: what is still pending goes back to the group.
      log.warn("releasing {} commands after an error in the share intake on {}", pending.size(), topic);
      pending.values().forEach(record -> acknowledge(record, AcknowledgeType.RELEASE));
      throw e;
    } finally {
      progressAt = 0;
    }
  }

  private void awaitAll(Map<Position, ConsumerRecord<byte[], byte[]>> pending) {
    Duration lock = consumer.acquisitionLockTimeoutMs().map(Duration::ofMillis).orElse(DEFAULT_LOCK);
    long renewAt = System.nanoTime() + lock.toNanos() / 2;
    long graceEnd = 0;
    while (!pending.isEmpty()) {
      long now = System.nanoTime();
      Done done = take(Math.min(renewAt - now, TimeUnit.MILLISECONDS.toNanos(200)));
      while (done != null) {
        ConsumerRecord<byte[], byte[]> record = pending.remove(done.position());
        if (record != null) {
          progressAt = System.nanoTime();
          acknowledge(record, done.type());
        }
        done = completions.poll();
      }
      now = System.nanoTime();
      if (stopping && !pending.isEmpty()) {
        graceEnd = graceEnd == 0 ? now + shutdownGrace.toNanos() : graceEnd;
        if (now >= graceEnd) {
          log.warn("shutdown grace over: releasing {} unfinished commands", pending.size());
          pending.values().forEach(record -> acknowledge(record, AcknowledgeType.RELEASE));
          pending.clear();
        }
      }
      if (!pending.isEmpty() && now >= renewAt) {
        renewLocks(pending);
        renewAt = System.nanoTime() + lock.toNanos() / 2;
      }
    }
  }

  private Done take(long timeoutNanos) {
    try {
      return completions.poll(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Starts a record's command; its slot (reserved before the poll) is given back when it is done. */
  private void start(ConsumerRecord<byte[], byte[]> record, Map<Position, ConsumerRecord<byte[], byte[]>> pending) {
    Position position = Position.of(record);
    pending.put(position, record);
    int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
    CompletableFuture<RecordHandler.Handled> handling;
    try {
      handling = handler.handle(record, deliveryCount); // on this thread: parse, send the call, done
    } catch (RuntimeException e) {
      handling = CompletableFuture.failedFuture(e);
    }
    handling.thenCompose(handled -> acknowledgement(record, handled))
        .exceptionally(error -> {
          log.error("record {}-{}@{} could not be handled; releasing it", record.topic(), record.partition(),
              record.offset(), error);
          return AcknowledgeType.RELEASE;
        })
        .thenAccept(type -> {
          completions.add(new Done(position, type));
          slots.release(1);
        });
  }

  /**
   * Commands still running when half the acquisition lock has passed keep their records: RENEW
   * extends the lock (KIP-1222), and the renewed records come back on the next poll, where the
   * new record objects replace the old (acknowledgements must name what the last poll returned).
   * The 4.x client returns only the renewed records there; should a poll bring a new one, it is
   * started like any fetched record. One that has not come back within the wait is acknowledged
   * under its old delivery, or redelivered when its lock ends.
   */
  private void renewLocks(Map<Position, ConsumerRecord<byte[], byte[]>> pending) {
    pending.values().forEach(record -> acknowledge(record, AcknowledgeType.RENEW));
    Set<Position> missing = new HashSet<>(pending.keySet());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    boolean startedNew = false;
    while (!missing.isEmpty() && !startedNew && System.nanoTime() < until) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
        Position position = Position.of(record);
        if (pending.containsKey(position)) {
          pending.put(position, record);
          missing.remove(position);
        } else {
          slots.take(1);
          start(record, pending);
          startedNew = true;
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

  private CompletableFuture<AcknowledgeType> acknowledgement(ConsumerRecord<byte[], byte[]> record,
                                                             RecordHandler.Handled handled) {
    if (handled.outcome() == RecordHandler.Outcome.RELEASE) {
      return CompletableFuture.completedFuture(AcknowledgeType.RELEASE);
    }
    AcknowledgeType done = handled.outcome() == RecordHandler.Outcome.ANSWERED
        ? AcknowledgeType.ACCEPT : AcknowledgeType.REJECT;
    // Too large for the broker: a small error result instead; unwritable: the record to the DLQ
    // (REJECT); neither written: another delivery will try again (RELEASE).
    return handler.publish(writer, record, handled, workers)
        .thenApply(fallback -> fallback.filter(handler::isDeadLetter).isPresent() ? AcknowledgeType.REJECT : done)
        .exceptionally(neither -> AcknowledgeType.RELEASE);
  }

  /** Stops after the current fetch is acknowledged (a retiring consumer of an idle worker). */
  void retire() {
    retiring = true;
  }

  /** Stops fetching; what runs finishes within the shutdown grace, or is released. */
  void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
