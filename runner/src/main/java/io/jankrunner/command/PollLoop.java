package io.jankrunner.command;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop every intake runs: poll, hand a non-empty batch on, until stopped. An error in one
 * round is logged and the loop goes on after a pause: a worker that silently stopped consuming
 * would be worse than one that says what failed and retries.
 */
final class PollLoop {

  private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
  static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  static final Duration PAUSE_AFTER_ERROR = Duration.ofSeconds(1);

  private PollLoop() {}

  static void run(String name, BooleanSupplier stopping,
                  Function<Duration, ConsumerRecords<byte[], byte[]>> poll,
                  Consumer<ConsumerRecords<byte[], byte[]>> batch) {
    while (!stopping.getAsBoolean()) {
      try {
        ConsumerRecords<byte[], byte[]> records = poll.apply(POLL_TIMEOUT);
        if (!records.isEmpty()) {
          batch.accept(records);
        }
      } catch (WakeupException e) {
        // stop() woke the poll up; the loop condition decides
      } catch (RuntimeException e) {
        if (stopping.getAsBoolean()) {
          return;
        }
        log.error("{} failed; retrying in {} ms", name, PAUSE_AFTER_ERROR.toMillis(), e);
        try {
          Thread.sleep(PAUSE_AFTER_ERROR);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
