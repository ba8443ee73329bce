package io.jankrunner.intake;

import io.jankrunner.command.CommandParser;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.result.KafkaWriter;
import io.jankrunner.result.ReplyTopicCheck;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.Producer;

/** Builds the worker's intake loops: execute (share or consumer group) and control. */
public final class CommandIntake {

  /** Control commands handled at once per worker (builds, registrations: per plugin in order). */
  static final int CONTROL_IN_FLIGHT = 16;
  static final String ACQUIRE_MODE_PROPERTY = "jankrunner.share.acquire.mode";

  private CommandIntake() {}

  /**
   * Share mode's execute intake: the worker's set of share consumers, from {@code --consumers} up
   * to one more than the execute topic's {@code partitions} while commands hold some.
   *
   * @param consumers builds the share consumers
   * @param onQueued told how long each command waited before it was received
   * @param replies checks that a reply topic exists before a result is written to it
   */
  public static Intake share(WorkerConfig config, ConsumerFactory consumers, Dispatcher dispatcher, KafkaWriter writer,
                             ExecutorService workers, int partitions, Consumer<Duration> onQueued,
                             ReplyTopicCheck replies) {
    // Producers write the execute topic: execute commands only (the others are the control topic's).
    CommandParser parser = CommandParser.forExecuteTopic(config.maxCommandBytes(), config.replyTopics());
    RecordHandler handler = new RecordHandler(parser, dispatcher, config.topics(), config.workerId(), true,
        Topics.MAX_REQUEST_BYTES, onQueued, replies, workers);
    InFlightSlots slots = new InFlightSlots(config.maxInFlight());
    int most = ShareIntake.mostConsumers(config.consumers(), partitions, config.maxInFlight());
    IntFunction<ShareMember> member = index -> shareMember(config, consumers, handler, writer, workers, slots,
        index, ShareIntake.fetchSize(index, config.consumers(), most, config.maxInFlight()));
    return new ShareIntake(member, config.consumers(), most, slots);
  }

  private static ShareMember shareMember(WorkerConfig config, ConsumerFactory consumers, RecordHandler handler,
                                         KafkaWriter writer, ExecutorService workers, InFlightSlots slots, int index,
                                         int fetchSize) {
    return new ShareMember(index, consumers.share(
        config.kafkaClient().applyTo(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, config.topics().workersGroup(),
            ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + "-execute-" + index,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, fetchSize,
            ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit",
            // record_limit: at most max.poll.records acquired at a time, so a worker holds no more locks
            // than it works on. (A JVM property picks the other mode for measurements: BENCHMARKS.md.)
            ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, System.getProperty(ACQUIRE_MODE_PROPERTY, "record_limit"),
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1024 * 1024, config.maxCommandBytes() * 2)))),
        config.topics().execute(), handler, writer, workers, config.shutdownGrace(), slots, fetchSize);
  }

  /**
   * Group mode's execute intake; {@code index} tells this worker's consumers apart.
   *
   * @param consumers builds the group consumer
   * @param transactions exactly-once mode: builds this consumer's transactional producer
   * @param onQueued told how long each command waited before it was received
   * @param replies checks that a reply topic exists before a result is written to it
   */
  public static Intake group(WorkerConfig config, ConsumerFactory consumers, Dispatcher dispatcher, KafkaWriter writer,
                             Optional<Supplier<Producer<byte[], byte[]>>> transactions, ExecutorService workers,
                             int index, Consumer<Duration> onQueued, ReplyTopicCheck replies) {
    // Producers write the execute topic: execute commands only (the others are the control topic's).
    CommandParser parser = CommandParser.forExecuteTopic(config.maxCommandBytes(), config.replyTopics());
    String topic = config.topics().execute();
    RecordHandler handler = new RecordHandler(parser, dispatcher, config.topics(), config.workerId(), false,
        Topics.MAX_REQUEST_BYTES, onQueued, replies, workers);
    int maxPollRecords = Math.max(1, Math.min(500, config.maxInFlight() / 4));
    org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer = groupConsumer(config, consumers,
        config.topics().workersGroup(), "-execute-" + index,
        maxPollRecords, config.exactlyOnce());
    return new GroupIntake(consumer, topic, handler, writer, transactions, workers, config.maxInFlight(),
        maxPollRecords, drainGrace(config));
  }

  /** Control commands: one consumer group, so each is handled by one worker; per plugin in order. */
  public static Intake control(WorkerConfig config, ConsumerFactory consumers, Dispatcher dispatcher,
                               KafkaWriter writer, ExecutorService workers, Consumer<Duration> onQueued,
                               ReplyTopicCheck replies) {
    CommandParser parser = CommandParser.forControlTopic(config.maxCommandBytes(), config.replyTopics());
    RecordHandler handler = new RecordHandler(parser, dispatcher, config.topics(), config.workerId(), false,
        Topics.MAX_REQUEST_BYTES, onQueued, replies, workers);
    org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer = groupConsumer(config, consumers,
        config.topics().controlGroup(), "-control", 4, false);
    return new GroupIntake(consumer, config.topics().control(), handler, writer, Optional.empty(), workers,
        CONTROL_IN_FLIGHT, 4, drainGrace(config));
  }

  /** Revoked partitions wait this long for their commands: within the group's rebalance timeout. */
  private static Duration drainGrace(WorkerConfig config) {
    Duration half = config.maxPollInterval().dividedBy(2);
    return config.shutdownGrace().compareTo(half) < 0 ? config.shutdownGrace() : half;
  }

  private static org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> groupConsumer(WorkerConfig config,
      ConsumerFactory consumers, String group, String suffix, int maxPollRecords, boolean readCommitted) {
    return config.kafkaClient().created(consumers.group(config.kafkaClient().applyTo(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + suffix,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords,
        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) config.maxPollInterval().toMillis(),
        ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1024 * 1024, config.maxCommandBytes() * 2)))));
  }
}
