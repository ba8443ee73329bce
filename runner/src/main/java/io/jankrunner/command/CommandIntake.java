package io.jankrunner.command;

import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.worker.WorkerConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Builds the worker's intake loops: execute (share or consumer group) and control. */
public final class CommandIntake {

  /** Builds run up to 15 minutes and control commands run one after another per plugin. */
  static final Duration CONTROL_MAX_POLL_INTERVAL = Duration.ofMinutes(30);

  private CommandIntake() {}

  /** Execute commands, in the worker's mode; {@code index} tells this worker's consumers apart. */
  public static Intake execute(WorkerConfig config, Dispatcher dispatcher, Producer<byte[], byte[]> producer,
                               Optional<Producer<byte[], byte[]>> transactional, ExecutorService workers,
                               int index) {
    CommandParser parser = new CommandParser(config.maxCommandBytes(), config.topics().results());
    Emitter emitter = new Emitter(producer);
    String topic = config.topics().execute();
    if (config.mode() == WorkerConfig.Mode.SHARE) {
      RecordHandler handler = new RecordHandler(parser, dispatcher, config.topics(), config.workerId(), true);
      KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(config.kafkaClient().applyTo(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, config.topics().workersGroup(),
          ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + "-execute-" + index,
          ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxInFlight(),
          ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit",
          ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1024 * 1024, config.maxCommandBytes() * 2))),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      return new ShareIntake(consumer, topic, handler, emitter, workers, config.shutdownGrace());
    }
    RecordHandler handler = new RecordHandler(parser, dispatcher, config.topics(), config.workerId(), false);
    KafkaConsumer<byte[], byte[]> consumer = groupConsumer(config, config.topics().workersGroup(), "-execute-" + index,
        config.maxInFlight(), Duration.ofMinutes(5), config.exactlyOnce());
    return new GroupIntake(consumer, topic, handler, emitter, transactional, workers);
  }

  /** Control commands: one consumer group, so each is handled by one worker; per plugin in order. */
  public static Intake control(WorkerConfig config, Dispatcher dispatcher, Producer<byte[], byte[]> producer,
                               ExecutorService workers) {
    CommandParser parser = new CommandParser(config.maxCommandBytes(), config.topics().results());
    RecordHandler handler = new RecordHandler(parser, dispatcher, config.topics(), config.workerId(), false);
    KafkaConsumer<byte[], byte[]> consumer = groupConsumer(config, config.topics().controlGroup(), "-control", 50,
        CONTROL_MAX_POLL_INTERVAL, false);
    return new GroupIntake(consumer, config.topics().control(), handler, new Emitter(producer), Optional.empty(),
        workers);
  }

  private static KafkaConsumer<byte[], byte[]> groupConsumer(WorkerConfig config, String group, String suffix,
                                                             int maxPollRecords, Duration maxPollInterval,
                                                             boolean readCommitted) {
    return config.kafkaClient().created(new KafkaConsumer<>(config.kafkaClient().applyTo(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + suffix,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords,
        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) maxPollInterval.toMillis(),
        ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1024 * 1024, config.maxCommandBytes() * 2))),
        new ByteArrayDeserializer(), new ByteArrayDeserializer()));
  }
}
