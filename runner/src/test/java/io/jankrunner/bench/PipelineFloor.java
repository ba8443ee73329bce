package io.jankrunner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.jankrunner.protocol.JsonValues;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The pipeline floor: the least a hand-written Kafka → plugin → Kafka service does, with no
 * runner code. One consumer polls without waiting for calls to finish; each record is parsed and
 * sent at once as an asynchronous {@code Execute} (future stub, direct executor) to the Go
 * plugin, started by hand with the go-plugin handshake; the answer is produced to the reply
 * topic from the gRPC callback. At most 256 calls in flight (the worker's default). Offsets
 * are committed asynchronously every 100 ms up to the lowest record whose result is not yet on
 * the broker, so it is at-least-once like the runner; no retries, guards, status or cache.
 *
 * <p>It runs in a JVM of its own, as a worker does ({@link PipelineProcess} starts it with
 * {@link #main}), so its CPU time per command is read from {@code /proc} as the workers' is.
 */
final class PipelineFloor extends HandWrittenFloor {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_IN_FLIGHT = 256;

  private final DirectPlugin plugin;
  private final PluginServiceGrpc.PluginServiceFutureStub stub;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Map<TopicPartition, NavigableSet<Long>> unfinished = new ConcurrentHashMap<>();

  private final CountDownLatch assigned = new CountDownLatch(1);

  /** On the existing topics of {@code prefix} (see {@link HandWrittenFloor#topicPrefix}). */
  PipelineFloor(String bootstrap, Path goPluginDir, String prefix) throws Exception {
    super(bootstrap, prefix, false);
    plugin = new DirectPlugin(goPluginDir);
    stub = PluginServiceGrpc.newFutureStub(plugin.channel());
    start();
  }

  /**
   * {@code PipelineFloor BOOTSTRAP GO_PLUGIN_DIR TOPIC_PREFIX}: serves until SIGTERM; prints
   * {@code consuming} once its consumer has partitions.
   */
  public static void main(String[] args) throws Exception {
    PipelineFloor floor = new PipelineFloor(args[0], Path.of(args[1]), args[2]);
    Runtime.getRuntime().addShutdownHook(new Thread(floor::close));
    floor.assigned.await();
    System.out.println("consuming");
    new CountDownLatch(1).await(); // until SIGTERM
  }

  @Override
  protected void loop() {
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.groupConsumer(bootstrap, group());
         KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      consumer.subscribe(List.of(requestTopic()));
      Map<TopicPartition, Long> polledUpTo = new HashMap<>();
      long nextCommit = System.nanoTime();
      while (running.get()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(5));
        if (!consumer.assignment().isEmpty()) {
          assigned.countDown();
        }
        for (ConsumerRecord<byte[], byte[]> record : records) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          unfinished.computeIfAbsent(partition, p -> new ConcurrentSkipListSet<>()).add(record.offset());
          polledUpTo.put(partition, record.offset() + 1);
          inFlight.acquireUninterruptibly();
          call(record, partition, producer);
        }
        if (System.nanoTime() >= nextCommit) {
          commitFinished(consumer, polledUpTo);
          nextCommit = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        }
      }
    }
  }

  private void call(ConsumerRecord<byte[], byte[]> record, TopicPartition partition,
                    KafkaProducer<byte[], byte[]> producer) {
    String id;
    ExecuteRequest request;
    try {
      JsonNode command = JSON.readTree(record.value());
      id = command.path("id").asText();
      request = ExecuteRequest.newBuilder().setMethod(command.path("method").asText())
          .putAllArgs(JsonValues.toAnyMap((ObjectNode) command.path("args"))).build();
    } catch (IOException | RuntimeException e) {
      finished(partition, record.offset());
      return;
    }
    Futures.addCallback(stub.withDeadlineAfter(30, TimeUnit.SECONDS).execute(request),
        new FutureCallback<>() {
          @Override
          public void onSuccess(ExecuteResponse response) {
            ObjectNode result = JSON.createObjectNode().put("v", 1).put("id", id).put("ok", true)
                .put("worker", "pipeline");
            result.set("data", JsonValues.fromAnyMap(response.getDataMap()));
            reply(result);
          }

          @Override
          public void onFailure(Throwable error) {
            reply(JSON.createObjectNode().put("v", 1).put("id", id).put("ok", false).put("error", error.toString()));
          }

          private void reply(ObjectNode result) {
            byte[] value;
            try {
              value = JSON.writeValueAsBytes(result);
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
            producer.send(new ProducerRecord<>(replyTopic(), record.key(), value),
                (metadata, error) -> finished(partition, record.offset()));
          }
        }, MoreExecutors.directExecutor());
  }

  private void finished(TopicPartition partition, long offset) {
    unfinished.get(partition).remove(offset);
    inFlight.release();
  }

  /** Up to the lowest offset whose result is not on the broker yet (all polled ones if none). */
  private void commitFinished(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> polledUpTo) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    polledUpTo.forEach((partition, next) -> {
      NavigableSet<Long> pending = unfinished.get(partition);
      Long lowest = pending == null ? null : pending.ceiling(Long.MIN_VALUE);
      offsets.put(partition, new OffsetAndMetadata(lowest == null ? next : lowest));
    });
    if (!offsets.isEmpty()) {
      consumer.commitAsync(offsets, null);
    }
  }

  @Override
  public String name() {
    return "pipeline";
  }

  @Override
  public void close() {
    super.close();
    plugin.close();
  }
}
