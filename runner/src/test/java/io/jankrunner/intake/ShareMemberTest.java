package io.jankrunner.intake;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.jankrunner.result.ReplyTopicCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockShareConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poll rounds of one share consumer of the share intake against Kafka's {@link MockShareConsumer},
 * with the real record handler and dispatcher (no plugins: execute commands are answered
 * {@code PLUGIN_NOT_FOUND}) and a producer whose sends the test acknowledges. The mock keeps no
 * record of acknowledgements, so the consumer here notes them; renewal of acquisition locks is out
 * of reach (the mock has no lock to run out, and the renewal waits half of the broker's 30 s).
 */
class ShareMemberTest {

  private static final Topics TOPICS = new Topics(Topics.DEFAULT_PREFIX);
  private static final String TOPIC = TOPICS.execute();
  private static final Duration LIVENESS = Duration.ofSeconds(30);

  /** Notes each acknowledgement by offset, and waits a little when it has nothing, like the real one. */
  private static final class NotingShareConsumer extends MockShareConsumer<byte[], byte[]> {
    final Map<Long, AcknowledgeType> acknowledged = new ConcurrentHashMap<>();
    volatile int polls;
    volatile boolean closed;

    @Override
    public synchronized void close(Duration timeout) {
      closed = true;
      super.close(timeout);
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
      ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
      polls++;
      if (records.isEmpty()) {
        PollLoop.sleep(Duration.ofMillis(2));
      }
      return records;
    }

    @Override
    public synchronized void acknowledge(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
      acknowledged.put(record.offset(), type);
      super.acknowledge(record, type);
    }
  }

  @TempDir
  Path dir;

  private final HeldProducer producer = new HeldProducer();
  private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
  private final List<ShareMember> members = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private PluginManager manager;
  private RecordHandler handler;

  @BeforeEach
  void noPluginsYet() throws Exception {
    Path plugins = Files.createDirectory(dir.resolve("plugins"));
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(dir.resolve("state")),
        PluginStateListener.NONE);
    Dispatcher dispatcher = new Dispatcher(manager, new PluginGuards(PluginGuards.DEFAULT_BULKHEAD_WAIT),
        ControlPlane.LOCAL, "worker-1", 1000);
    handler = new RecordHandler(CommandParser.forExecuteTopic(CommandParser.DEFAULT_MAX_BYTES, ReplyTopics.of(TOPICS)),
        dispatcher, TOPICS, "worker-1", true, Topics.MAX_REQUEST_BYTES, queued -> { }, ReplyTopicCheck.trusting(), workers);
  }

  private NotingShareConsumer startMember(InFlightSlots slots) {
    return startMember(slots, 1);
  }

  private NotingShareConsumer startMember(InFlightSlots slots, int fetchSize) {
    NotingShareConsumer consumer = new NotingShareConsumer();
    ShareMember member = new ShareMember(members.size(), consumer, TOPIC, handler, new KafkaWriter(producer), workers,
        Duration.ofMillis(200), slots, fetchSize);
    members.add(member);
    threads.add(Thread.ofPlatform().name("share-member-test-" + member.index()).start(member));
    await().atMost(LIVENESS).until(() -> consumer.subscription().contains(TOPIC));
    return consumer;
  }

  @AfterEach
  void stop() throws Exception {
    members.forEach(ShareMember::stop);
    for (Thread thread : threads) {
      thread.join(LIVENESS.toMillis());
    }
    workers.close();
    manager.close();
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, byte[] value) {
    return new ConsumerRecord<>(TOPIC, 0, offset, null, value);
  }

  private static byte[] command(String id) {
    return ("""
        {"id":"%s","type":"execute","plugin":"com.example.absent","method":"greet","args":{}}
        """.formatted(id)).getBytes(StandardCharsets.UTF_8);
  }

  private void awaitSent(String key) {
    await().atMost(LIVENESS).until(() -> producer.wasSent(key));
  }

  private static void awaitAcknowledged(NotingShareConsumer consumer, long offset, AcknowledgeType type) {
    await().atMost(LIVENESS).until(() -> consumer.acknowledged.get(offset) == type);
  }


  @Test
  void aFetchedCommandIsAcceptedOnlyOnceItsResultIsWritten() {
    NotingShareConsumer consumer = startMember(new InFlightSlots(4));
    consumer.addRecord(record(0, command("cmd-1")));

    awaitSent("cmd-1");
    assertEquals(TOPICS.results(), producer.sent().getFirst().topic());
    assertFalse(consumer.acknowledged.containsKey(0L), "not acknowledged while its result is not on the broker");

    producer.acknowledge("cmd-1");
    awaitAcknowledged(consumer, 0, AcknowledgeType.ACCEPT);
  }

  @Test
  void aMalformedRecordIsDeadLetteredAndRejected() {
    NotingShareConsumer consumer = startMember(new InFlightSlots(4));
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "poison".getBytes(StandardCharsets.UTF_8),
        "{".getBytes(StandardCharsets.UTF_8)));

    awaitSent("poison");
    assertEquals(TOPICS.dlq(), producer.sent().getFirst().topic());
    producer.acknowledge("poison");
    awaitAcknowledged(consumer, 0, AcknowledgeType.REJECT);
  }

  @Test
  void aConsumerDoesNotFetchWhileTheWorkersSlotsAreTaken() throws Exception {
    InFlightSlots slots = new InFlightSlots(1);
    NotingShareConsumer first = startMember(slots);
    first.addRecord(record(0, command("cmd-1")));
    awaitSent("cmd-1");
    assertEquals(0, slots.free(), "a running command holds its slot");

    NotingShareConsumer second = startMember(slots);
    second.addRecord(record(7, command("cmd-2")));
    // Several of the second consumer's rounds (each waits 200 ms for a slot): a lower bound, not a speed.
    Thread.sleep(1000);
    assertFalse(producer.wasSent("cmd-2"), "no slot, no fetch");
    assertEquals(0, second.polls, "the second consumer never polled: it would acquire records nobody can run");

    producer.acknowledge("cmd-1");
    awaitAcknowledged(first, 0, AcknowledgeType.ACCEPT);
    awaitSent("cmd-2");
    producer.acknowledge("cmd-2");
    awaitAcknowledged(second, 7, AcknowledgeType.ACCEPT);
  }

  @Test
  void aHeldConsumerIsStalledOnlyFromItsFetchsLastFinishedCommandOn() throws Exception {
    NotingShareConsumer consumer = startMember(new InFlightSlots(4), 2);
    ShareMember member = members.getFirst();
    assertEquals(0, member.stalledNanos(System.nanoTime()), "a free consumer is not stalled");
    consumer.addRecord(record(0, command("cmd-1")));
    consumer.addRecord(record(1, command("cmd-2")));
    awaitSent("cmd-1");
    awaitSent("cmd-2");
    long beforeProgress = System.nanoTime();
    long stalledThen = member.stalledNanos(beforeProgress);
    assertTrue(stalledThen > 0, "held by its fetch, nothing finished yet");

    // One command of the fetch finishes: the stall starts again from then (a busy worker whose
    // commands keep finishing is never stalled, so it opens no more consumers).
    producer.acknowledge("cmd-1");
    awaitAcknowledged(consumer, 0, AcknowledgeType.ACCEPT);
    long later = System.nanoTime();
    assertTrue(member.stalledNanos(later) < later - beforeProgress + stalledThen,
        "progress moved the stall's start past the fetch");
    assertTrue(member.stalledNanos(later + Duration.ofSeconds(5).toNanos()) >= Duration.ofSeconds(5).toNanos(),
        "still held by cmd-2: the stall grows while it runs");

    producer.acknowledge("cmd-2");
    awaitAcknowledged(consumer, 1, AcknowledgeType.ACCEPT);
    await().atMost(LIVENESS).until(() -> member.stalledNanos(System.nanoTime()) == 0);
  }

  @Test
  void onStopACommandStillRunningAfterTheGraceIsReleasedToTheGroup() throws Exception {
    NotingShareConsumer consumer = startMember(new InFlightSlots(4));
    consumer.addRecord(record(0, command("cmd-1")));
    awaitSent("cmd-1");

    members.getFirst().stop();
    threads.getFirst().join(LIVENESS.toMillis());
    assertFalse(threads.getFirst().isAlive());
    assertEquals(AcknowledgeType.RELEASE, consumer.acknowledged.get(0L), "another delivery will answer it");
    assertTrue(consumer.closed, "the consumer is closed on the way out");
  }
}
