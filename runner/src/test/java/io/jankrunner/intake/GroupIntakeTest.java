package io.jankrunner.intake;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.command.CommandParser;
import io.jankrunner.config.ReplyTopics;
import io.jankrunner.config.Topics;
import io.jankrunner.dispatch.ControlPlane;
import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.resilience.PluginGuards;
import io.jankrunner.result.KafkaWriter;
import io.jankrunner.result.OutputRecords;
import io.jankrunner.result.ReplyTopicCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poll rounds of the consumer-group intake against Kafka's {@link MockConsumer}, with the real
 * record handler and dispatcher (over a plugin manager with no plugins: every execute command is
 * answered {@code PLUGIN_NOT_FOUND}, which is an answer like any other) and a producer whose
 * sends the test acknowledges one by one. What a command's plugin does is out of reach here (the
 * dispatcher has no seam for a fake plugin); what the intake does with records, results and
 * offsets is not.
 */
class GroupIntakeTest {

  private static final Topics TOPICS = new Topics(Topics.DEFAULT_PREFIX);
  private static final String TOPIC = TOPICS.execute();
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final Duration LIVENESS = Duration.ofSeconds(30);

  /**
   * A consumer that, like the real one, waits a little when it has nothing, so the loop does not
   * spin; and keeps what the intake committed (the mock reports offset 0 for partitions no
   * longer assigned).
   */
  private static final class WaitingConsumer extends MockConsumer<byte[], byte[]> {
    final Map<TopicPartition, Long> commits = new ConcurrentHashMap<>();

    WaitingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      super.commitSync(offsets);
      offsets.forEach((partition, offset) -> commits.put(partition, offset.offset()));
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                         OffsetCommitCallback callback) {
      super.commitAsync(offsets, callback);
      offsets.forEach((partition, offset) -> commits.put(partition, offset.offset()));
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
      ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
      if (records.isEmpty()) {
        PollLoop.sleep(Duration.ofMillis(2));
      }
      return records;
    }
  }

  @TempDir
  Path dir;

  private final WaitingConsumer consumer = new WaitingConsumer();
  private final HeldProducer producer = new HeldProducer();
  private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
  private PluginManager manager;
  private GroupIntake intake;
  private Thread pollThread;

  @BeforeEach
  void noPluginsYet() throws Exception {
    Path plugins = Files.createDirectory(dir.resolve("plugins"));
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(dir.resolve("state")),
        PluginStateListener.NONE);
  }

  private void startIntake(int maxInFlight, int maxPollRecords) {
    Dispatcher dispatcher = new Dispatcher(manager, new PluginGuards(PluginGuards.DEFAULT_BULKHEAD_WAIT),
        ControlPlane.LOCAL, "worker-1", 1000);
    RecordHandler handler = new RecordHandler(
        CommandParser.forExecuteTopic(CommandParser.DEFAULT_MAX_BYTES, ReplyTopics.of(TOPICS)), dispatcher, TOPICS,
        "worker-1", false, Topics.MAX_REQUEST_BYTES, queued -> { }, ReplyTopicCheck.trusting(), workers);
    intake = new GroupIntake(consumer, TOPIC, handler, new KafkaWriter(producer), Optional.empty(), workers,
        maxInFlight, maxPollRecords, Duration.ofMillis(200));
    consumer.updateBeginningOffsets(Map.of(P0, 0L));
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0)));
    pollThread = Thread.ofPlatform().name("group-intake-test").start(intake);
    await().atMost(LIVENESS).until(() -> consumer.assignment().contains(P0));
  }

  @AfterEach
  void stop() throws Exception {
    if (intake != null) {
      intake.stop();
      pollThread.join(LIVENESS.toMillis());
    }
    workers.close();
    manager.close();
  }

  private static byte[] command(String id) {
    return ("""
        {"id":"%s","type":"execute","plugin":"com.example.absent","method":"greet","args":{}}
        """.formatted(id)).getBytes(StandardCharsets.UTF_8);
  }

  /** Adds a record from the poll thread (the only thread a consumer may be used on). */
  private void deliver(long offset, String key, byte[] value) {
    byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, offset, keyBytes, value)));
  }

  private void awaitSent(String key) {
    await().atMost(LIVENESS).until(() -> producer.wasSent(key));
  }

  private Long committed() {
    return consumer.commits.get(P0);
  }

  private void awaitCommitted(long offset) {
    await().atMost(LIVENESS).until(() -> Long.valueOf(offset).equals(committed()));
  }

  /**
   * Lets more than two commit intervals and two further poll rounds go by: long enough for a
   * commit to have happened had it been due. A lower bound on waiting, never a bound on speed.
   */
  private void letRoundsPass() throws InterruptedException {
    Thread.sleep(GroupIntake.COMMIT_INTERVAL.multipliedBy(3).toMillis());
    for (int i = 0; i < 2; i++) {
      CountDownLatch round = new CountDownLatch(1);
      consumer.schedulePollTask(round::countDown);
      assertTrue(round.await(LIVENESS.toMillis(), TimeUnit.MILLISECONDS));
    }
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void aPolledCommandIsAnsweredAndItsOffsetCommittedOnlyOnceTheResultIsWritten() throws Exception {
    startIntake(64, 4);
    deliver(0, "k", command("cmd-1"));

    awaitSent("cmd-1");
    ProducerRecord<byte[], byte[]> result = producer.sent().getFirst();
    assertEquals(TOPICS.results(), result.topic());
    assertTrue(new String(result.value(), StandardCharsets.UTF_8).contains("PLUGIN_NOT_FOUND"),
        "the dispatcher's answer is what is written");
    letRoundsPass();
    assertNull(committed(), "nothing is committed while its result is not on the broker");

    producer.acknowledge("cmd-1");
    awaitCommitted(1);
  }

  @Test
  void offsetsAreCommittedInOrderWhateverOrderResultsAreWrittenIn() throws Exception {
    startIntake(64, 4);
    deliver(0, "a", command("cmd-a"));
    deliver(1, "b", command("cmd-b"));
    awaitSent("cmd-a");
    awaitSent("cmd-b");

    producer.acknowledge("cmd-b");
    letRoundsPass();
    assertNull(committed(), "a commit never skips a record whose result is not written");

    producer.acknowledge("cmd-a");
    awaitCommitted(2);
  }

  @Test
  void aMalformedRecordGoesToTheDeadLetterTopicAndIsCommittedOnceItIsThere() throws Exception {
    startIntake(64, 4);
    byte[] garbage = "not json".getBytes(StandardCharsets.UTF_8);
    deliver(0, "poison", garbage);

    awaitSent("poison");
    ProducerRecord<byte[], byte[]> dead = producer.sent().getFirst();
    assertEquals(TOPICS.dlq(), dead.topic());
    assertEquals("INVALID_COMMAND", header(dead, OutputRecords.ERROR_CODE));
    assertEquals("0", header(dead, OutputRecords.ERROR_OFFSET));
    assertEquals("not json", new String(dead.value(), StandardCharsets.UTF_8), "the record goes as it came");
    assertEquals(1, producer.sent().size(), "no result: the record names no id to answer");

    producer.acknowledge("poison");
    awaitCommitted(1);
  }

  @Test
  void aRevocationCommitsWhatIsDoneAndIgnoresWhatFinishesAfterIt() throws Exception {
    startIntake(64, 4);
    deliver(0, "a", command("cmd-done"));
    deliver(1, "b", command("cmd-late"));
    awaitSent("cmd-done");
    awaitSent("cmd-late");
    producer.acknowledge("cmd-done");

    consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
    await().atMost(LIVENESS).until(() -> consumer.assignment().isEmpty());
    assertEquals(1L, committed(), "the done record is committed by the time the partition is gone");

    producer.acknowledge("cmd-late"); // finishes after its partition went to another owner
    letRoundsPass();
    assertEquals(1L, committed(), "the next owner reads it again; this worker no longer commits for it");
  }

  @Test
  void partitionsPauseAtTheInFlightLimitAndResumeWhenCommandsFinish() throws Exception {
    // Room for one more full poll is kept: with 2 slots and polls of 1, two running commands fill it
    // (a result not yet on the broker is a command still running).
    startIntake(2, 1);
    consumer.setMaxPollRecords(1);
    deliver(0, "a", command("cmd-1"));
    deliver(1, "b", command("cmd-2"));
    awaitSent("cmd-1");
    awaitSent("cmd-2");
    await().atMost(LIVENESS).until(() -> consumer.paused().contains(P0));

    deliver(2, "c", command("cmd-3"));
    letRoundsPass();
    assertFalse(producer.wasSent("cmd-3"), "a paused partition hands out no more records");

    producer.acknowledge("cmd-1");
    awaitSent("cmd-3"); // resumed: room for one more poll (and at once full again)
    producer.acknowledge("cmd-2");
    producer.acknowledge("cmd-3");
    await().atMost(LIVENESS).until(() -> consumer.paused().isEmpty());
    awaitCommitted(3);
  }

  @Test
  void aKeysCommandsAreAnsweredInOffsetOrderWithOneHandOffEachAtMost() throws Exception {
    startIntake(64, 4);
    deliver(0, "warm", command("cmd-warm"));
    awaitSent("cmd-warm");
    producer.acknowledge("cmd-warm"); // the producer has written to the results topic: sends go at once now

    deliver(1, "k", command("cmd-k1"));
    deliver(2, "k", command("cmd-k2"));
    deliver(3, "other", command("cmd-other"));
    awaitSent("cmd-k1");
    awaitSent("cmd-other");
    assertEquals(pollThread, producer.sender("cmd-k1"),
        "a key with nothing running starts, and here is answered, on the poll thread: no hand-off");
    assertEquals(pollThread, producer.sender("cmd-other"));
    letRoundsPass();
    assertFalse(producer.wasSent("cmd-k2"), "the key's next command waits until the result before it is written");

    producer.acknowledge("cmd-k1");
    awaitSent("cmd-k2");
    assertTrue(producer.sender("cmd-k2").isVirtual(),
        "the next command of the key starts on a worker thread once the first is done: its one hand-off");
    List<String> order = producer.sent().stream().map(HeldProducer::key).filter(key -> key.startsWith("cmd-k"))
        .toList();
    assertEquals(List.of("cmd-k1", "cmd-k2"), order);
    producer.acknowledge("cmd-other");
    producer.acknowledge("cmd-k2");
    awaitCommitted(4);
  }
}
