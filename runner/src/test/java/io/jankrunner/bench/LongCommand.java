package io.jankrunner.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * One long command ({@link SleepPlugin}'s {@code sleep}) sent to a worker: returned once the
 * plugin runs it, so a phase measured after it runs beside it; {@link #close} waits for its
 * answer, so no two overlap.
 */
final class LongCommand implements AutoCloseable {

  private static final int RUNNING_WITHIN_S = 60; // liveness bounds: a cold Java plugin starts first
  private static final int ANSWERED_AFTER_S = 60;

  private final String id = "long-" + UUID.randomUUID();
  private final Duration length;
  private final CountDownLatch answered = new CountDownLatch(1);
  private final Replies replies;
  private final Path marker;

  /** Sends it with the worker's reply topic and waits until it runs. */
  LongCommand(String bootstrap, KafkaProducer<byte[], byte[]> producer, BenchTarget worker, Duration length)
      throws Exception {
    this.length = length;
    marker = Files.createTempFile("bench-long", ".running");
    Files.delete(marker);
    replies = new Replies(bootstrap, worker.replyTopic(), (key, now) -> {
      if (key.equals(id)) {
        answered.countDown();
      }
    });
    String command = "{\"v\":1,\"id\":\"" + id + "\",\"type\":\"execute\",\"plugin\":\"" + SleepPlugin.ID
        + "\",\"method\":\"sleep\",\"reply_to\":\"" + worker.replyTopic() + "\",\"args\":{\"ms\":" + length.toMillis()
        + ",\"marker\":\"" + marker + "\"}}";
    producer.send(new ProducerRecord<>(worker.requestTopic(), id.getBytes(StandardCharsets.UTF_8),
        command.getBytes(StandardCharsets.UTF_8))).get();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUNNING_WITHIN_S);
    while (!Files.exists(marker)) {
      if (System.nanoTime() > until || answered.getCount() == 0) {
        replies.close();
        throw new IllegalStateException("the long command " + id + " did not start within " + RUNNING_WITHIN_S + " s");
      }
      Thread.sleep(10);
    }
  }

  /** Whether its answer has come (it is no longer running). */
  boolean finished() {
    return answered.getCount() == 0;
  }

  /** Waits for its answer (a liveness bound past its length). */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (!answered.await(length.toSeconds() + ANSWERED_AFTER_S, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the long command " + id + " was not answered");
      }
    } finally {
      replies.close();
      Files.deleteIfExists(marker);
    }
  }
}
