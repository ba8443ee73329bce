package io.jankrunner.intake;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop every intake runs: one round (a poll and what follows it) after another, until
 * stopped. An error in one round is logged and the loop goes on after a pause: a worker that
 * silently stopped consuming would be worse than one that says what failed and retries. The
 * registry reader runs it too.
 */
public final class PollLoop {

  private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
  static final Duration PAUSE_AFTER_ERROR = Duration.ofSeconds(1);

  private PollLoop() {}

  public static void run(String name, BooleanSupplier stopping, Runnable round) {
    while (!stopping.getAsBoolean()) {
      try {
        round.run();
      } catch (WakeupException e) {
        // stop() woke the poll up; the loop condition decides
      } catch (RuntimeException e) {
        if (stopping.getAsBoolean()) {
          return;
        }
        log.error("{} failed; going on in {} ms", name, PAUSE_AFTER_ERROR.toMillis(), e);
        sleep(PAUSE_AFTER_ERROR);
      }
    }
  }

  static void sleep(Duration duration) {
    try {
      TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
