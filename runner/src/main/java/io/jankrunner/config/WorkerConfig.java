package io.jankrunner.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a worker runs. Every field has a command-line option and an environment variable
 * ({@code scripts/runner worker --help}).
 *
 * @param consumers execute consumers in this worker, each with its own poll loop
 * @param maxInFlight execute commands one consumer works on at once; it fetches no more until
 *     they finish (backpressure, not a buffer)
 * @param exactlyOnce group mode only: results and offsets in one Kafka transaction
 * @param maxPollInterval the consumer group's {@code max.poll.interval.ms}; the poll thread never
 *     waits for commands, so a command may run longer than this
 */
public record WorkerConfig(String bootstrapServers, Path pluginsDir, String workerId, Mode mode, boolean exactlyOnce,
                           Topics topics, int consumers, int maxInFlight, int maxCommandBytes, Duration heartbeatInterval,
                           Duration shutdownGrace, Path stateDir, Duration maxPollInterval) {

  /** How execute commands are consumed. */
  public enum Mode {
    /** A share group (KIP-932): any worker takes any record, acknowledged one by one. */
    SHARE,
    /** A consumer group: partitions assigned to workers, per-key order kept. */
    GROUP
  }

  public static final int DEFAULT_MAX_IN_FLIGHT = 256;
  public static final int DEFAULT_CONSUMERS = 1;
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(20);
  public static final Duration DEFAULT_MAX_POLL_INTERVAL = Duration.ofMinutes(5);

  public WorkerConfig {
    if (exactlyOnce && mode != Mode.GROUP) {
      throw new IllegalArgumentException("--exactly-once needs --mode group: share groups have no transactions");
    }
    if (consumers < 1) {
      throw new IllegalArgumentException("a worker needs at least one consumer");
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("max in-flight must be at least 1");
    }
  }
}
