package io.jankrunner.intake;

import io.jankrunner.result.KafkaWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Intake through a consumer group, as a pipeline (after Kafka Connect's {@code WorkerSinkTask}):
 * the poll thread never waits for a command. It keeps polling, starts each record as soon as it
 * arrives (parses it and sends the plugin call itself; no thread waits for the plugin nor for
 * the broker's acknowledgement), commits the highest contiguous finished offset of each partition
 * every {@link #COMMIT_INTERVAL}, and applies backpressure by pausing partitions while
 * {@code maxInFlight} commands run. Records with the same key run one after another in offset
 * order (a per-key tail); records with other keys, or none, run at once.
 *
 * <p>Without a transaction each result is written as soon as its command finishes, before the
 * next command of its key starts, so callers see results in the order they sent commands. With
 * a transactional producer (exactly-once), results and offsets of each commit interval go in one
 * transaction; a fenced or broken producer is closed and rebuilt, and what the failed transaction
 * held goes in the next one (nothing of it was visible, so read_committed callers see each result
 * once).
 */
final class GroupIntake implements Intake {

  private static final Logger log = LoggerFactory.getLogger(GroupIntake.class);
  static final Duration COMMIT_INTERVAL = Duration.ofMillis(100);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(50);

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final RecordHandler handler;
  private final KafkaWriter writer;
  private final Optional<Supplier<Producer<byte[], byte[]>>> transactions;
  private final ExecutorService workers;
  private final int maxInFlight;
  private final int maxPollRecords;
  private final Duration drainGrace;
  private final OffsetTracker tracker = new OffsetTracker();
  private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
  /** A completion taken while waiting for one, applied first by the next {@link #applyCompletions}. */
  private Completion awaited;
  private final Map<Object, CompletableFuture<Void>> keyTails = new HashMap<>();
  private Producer<byte[], byte[]> producer;
  private boolean paused;
  private long nextCommitNanos;
  private volatile boolean stopping;

  /** A finished record, reported from its worker thread to the poll thread. */
  private record Completion(OffsetTracker.Track track, OffsetTracker.Slot slot,
                            List<ProducerRecord<byte[], byte[]>> outputs,
                            Function<Throwable, ProducerRecord<byte[], byte[]>> fallback, boolean failed) {}

  /**
   * @param transactions builds the transactional producer (exactly-once mode); again after a fence
   * @param maxInFlight commands this intake runs at once; partitions pause at that number
   * @param maxPollRecords the consumer's {@code max.poll.records}
   * @param drainGrace how long revoked partitions and shutdown wait for running commands
   */
  GroupIntake(Consumer<byte[], byte[]> consumer, String topic, RecordHandler handler, KafkaWriter writer,
              Optional<Supplier<Producer<byte[], byte[]>>> transactions, ExecutorService workers, int maxInFlight,
              int maxPollRecords, Duration drainGrace) {
    this.consumer = consumer;
    this.topic = topic;
    this.handler = handler;
    this.writer = writer;
    this.transactions = transactions;
    this.workers = workers;
    this.maxInFlight = maxInFlight;
    this.maxPollRecords = maxPollRecords;
    this.drainGrace = drainGrace;
  }

  @Override
  public void run() {
    try {
      transactions.ifPresent(factory -> producer = newProducer(factory)); // fails early on a bad config
      consumer.subscribe(List.of(topic), new Rebalance());
      PollLoop.run("group intake on " + topic, () -> stopping, this::round);
      drain(tracker.partitions(), drainGrace);
      try {
        commit(true);
      } catch (WakeupException e) {
        commit(true); // the wakeup of stop() was still pending
      }
    } catch (RuntimeException e) {
      log.warn("group intake on {}: final commit failed: {}", topic, e.toString());
    } finally {
      consumer.close(Duration.ofSeconds(5));
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
      }
    }
  }

  private void round() {
    ConsumerRecords<byte[], byte[]> records;
    if (paused) {
      // Paused, the wait is for a completion, not in poll: Kafka 4.3's consumer spins through
      // the whole timeout of a poll while its fetch buffer holds records of paused partitions
      // (KAFKA-21084), which cost this thread a core under load. poll(0) still runs rebalances.
      awaitCompletion(POLL_TIMEOUT);
      records = consumer.poll(Duration.ZERO);
    } else {
      records = consumer.poll(POLL_TIMEOUT);
    }
    for (ConsumerRecord<byte[], byte[]> record : records) {
      start(record);
    }
    applyCompletions();
    if (System.nanoTime() >= nextCommitNanos) {
      commit(false);
      nextCommitNanos = System.nanoTime() + COMMIT_INTERVAL.toNanos();
    }
    backpressure();
  }

  private void start(ConsumerRecord<byte[], byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    OffsetTracker.Track track = tracker.track(partition).orElseGet(() -> tracker.assign(partition));
    OffsetTracker.Slot slot = tracker.started(track, record.offset());
    Supplier<CompletableFuture<Void>> work = () -> process(record, track, slot).thenAccept(completions::add);
    if (record.key() == null) {
      work.get(); // no key, no order to keep: started on this thread, which sends the call and goes on
      return;
    }
    Object key = ByteBuffer.wrap(record.key());
    CompletableFuture<Void> previous = keyTails.get(key);
    // A key with no command running starts at once on this thread; otherwise after the one
    // before it, on a worker thread (the one hand-off: what completes the previous one is the
    // producer's I/O thread, which must not run commands).
    CompletableFuture<Void> tail = previous == null || previous.isDone() ? work.get()
        : previous.handle((ignored, error) -> null).thenComposeAsync(ignored -> work.get(), workers);
    keyTails.put(key, tail);
  }

  /**
   * The command, then (without a transaction) its outputs to the broker. Starts on a worker
   * thread, which is free again once the plugin call is sent; the rest runs as the answers come.
   * Always completes normally: a record that could not be handled is reported failed.
   */
  private CompletableFuture<Completion> process(ConsumerRecord<byte[], byte[]> record, OffsetTracker.Track track,
                                                OffsetTracker.Slot slot) {
    CompletableFuture<RecordHandler.Handled> handling;
    try {
      handling = handler.handle(record, 1);
    } catch (RuntimeException e) {
      handling = CompletableFuture.failedFuture(e);
    }
    return handling.thenCompose(handled -> {
      if (transactions.isPresent()) {
        return CompletableFuture.completedFuture(new Completion(track, slot, handled.outputs(),
            error -> handler.fallback(record, handled, error), false));
      }
      return handler.publish(writer, record, handled, workers)
          .thenApply(written -> new Completion(track, slot, List.of(), null, false))
          .exceptionally(neither -> new Completion(track, slot, List.of(), null, true));
    }).exceptionally(error -> {
      log.error("record {}-{}@{} could not be handled; it will be read again", record.topic(), record.partition(),
          record.offset(), error);
      return new Completion(track, slot, List.of(), null, true);
    });
  }

  private void awaitCompletion(Duration wait) {
    if (awaited != null) {
      return;
    }
    try {
      awaited = completions.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void applyCompletions() {
    Set<TopicPartition> rewind = new HashSet<>();
    Completion completion = awaited;
    awaited = null;
    for (; completion != null || (completion = completions.poll()) != null; completion = null) {
      if (completion.failed()) {
        if (tracker.track(completion.track().partition).orElse(null) == completion.track()) {
          rewind.add(completion.track().partition);
        }
      } else {
        tracker.finished(completion.track(), completion.slot(), completion.outputs(), completion.fallback());
      }
    }
    keyTails.values().removeIf(CompletableFuture::isDone);
    if (!rewind.isEmpty()) {
      // Nothing at or after the failed record is committed: read it (and what follows) again.
      commit(false);
      seekBack(rewind);
    }
  }

  /**
   * Commits what has finished. Without a transaction: the offsets, asynchronously (synchronously
   * when {@code sync}). With one: the outputs and offsets in one transaction.
   */
  private void commit(boolean sync) {
    OffsetTracker.Commit commit = tracker.pending();
    if (commit.isEmpty()) {
      return;
    }
    if (transactions.isPresent()) {
      commitInTransaction(commit);
      return;
    }
    if (sync) {
      try {
        consumer.commitSync(commit.offsets());
        tracker.committed(commit);
      } catch (CommitFailedException | RebalanceInProgressException e) {
        log.warn("offsets on {} not committed: {}; their records will be read again", topic, e.toString());
      }
      return;
    }
    // Forgotten at once: a failed async commit is superseded by the next, which covers more.
    tracker.committed(commit);
    consumer.commitAsync(commit.offsets(), (offsets, error) -> {
      if (error != null) {
        log.debug("async offset commit on {} failed: {}", topic, error.toString());
      }
    });
  }

  private void commitInTransaction(OffsetTracker.Commit commit) {
    if (producer == null) {
      try {
        producer = newProducer(transactions.orElseThrow());
      } catch (RuntimeException e) {
        log.warn("transactional producer for {} could not be built: {}; trying again", topic, e.toString());
        return;
      }
    }
    List<CompletableFuture<?>> sends = new ArrayList<>();
    try {
      producer.beginTransaction();
      for (OffsetTracker.Output output : commit.outputs()) {
        sends.add(KafkaWriter.send(producer, output.record()));
      }
      producer.sendOffsetsToTransaction(commit.offsets(), consumer.groupMetadata());
      producer.commitTransaction();
      tracker.committed(commit);
    } catch (RuntimeException e) {
      // Fenced, timed out or aborted: a producer in an unknown state is never reused. Nothing of
      // the transaction is visible; its records stay tracked and go in the next one, with a new
      // producer (whose initTransactions aborts whatever the old one left open).
      log.warn("transaction on {} failed ({}); rebuilding the producer, the next commit retries", topic,
          e.toString());
      replaceRefused(commit, sends);
      producer.close(Duration.ZERO);
      producer = null;
    }
  }

  /**
   * Records the broker refused (too large for the reply topic, say) would fail every retry of
   * the transaction: their commands are answered by their fallback (a small error result, or
   * the DLQ) in the next one. The slots stay tracked, so their outputs survive the rewind.
   */
  private void replaceRefused(OffsetTracker.Commit commit, List<CompletableFuture<?>> sends) {
    for (int i = 0; i < sends.size(); i++) {
      CompletableFuture<?> send = sends.get(i);
      if (!send.isCompletedExceptionally()) {
        continue;
      }
      Throwable error = send.handle((ignored, failure) -> failure).join();
      OffsetTracker.Slot slot = commit.outputs().get(i).slot();
      if (RecordHandler.refusal(error).isPresent() && slot.fallback != null) {
        slot.outputs = List.of(slot.fallback.apply(error));
        slot.fallback = null;
      }
    }
  }

  private static Producer<byte[], byte[]> newProducer(Supplier<Producer<byte[], byte[]>> factory) {
    Producer<byte[], byte[]> fresh = factory.get();
    fresh.initTransactions();
    return fresh;
  }

  /** Reads {@code partitions} again from their first uncommitted record, with fresh tracks. */
  private void seekBack(Set<TopicPartition> partitions) {
    Map<TopicPartition, Long> points = tracker.rewindPoints();
    for (TopicPartition partition : partitions) {
      Long point = points.get(partition);
      tracker.assign(partition);
      if (point != null) {
        consumer.seek(partition, point);
      }
    }
  }

  private void backpressure() {
    // Room for one more full poll, so running commands never exceed maxInFlight; and a bound on
    // finished records held behind a slow one.
    boolean full = tracker.running() + maxPollRecords > maxInFlight || tracker.held() > 16 * maxInFlight;
    if (full && !paused) {
      consumer.pause(consumer.assignment());
      paused = true;
    } else if (!full && paused) {
      consumer.resume(consumer.paused());
      paused = false;
    }
  }

  /** Waits up to {@code grace} for the running commands of {@code partitions}. */
  private void drain(List<TopicPartition> partitions, Duration grace) {
    long until = System.nanoTime() + grace.toNanos();
    while (tracker.running(partitions) > 0 && System.nanoTime() < until) {
      PollLoop.sleep(Duration.ofMillis(5));
      applyCompletions();
    }
    int left = tracker.running(partitions);
    if (left > 0) {
      log.warn("{} commands on {} still running after {} ms; their records go to the partitions' next owner",
          left, topic, grace.toMillis());
    }
  }

  /** Revoked partitions finish (or abandon) their work and commit before they go. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      List<TopicPartition> revoked = List.copyOf(partitions);
      drain(revoked, drainGrace);
      try {
        commit(true);
      } catch (RuntimeException e) {
        log.warn("commit on revocation of {} failed: {}", revoked, e.toString());
      }
      revoked.forEach(tracker::drop);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(tracker::drop);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(tracker::assign);
      if (paused) {
        consumer.pause(partitions);
      }
    }
  }


  @Override
  public void stop() {
    stopping = true;
    consumer.wakeup();
  }
}
