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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 */
final class PipelineFloor implements BenchTarget {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_IN_FLIGHT = 256;

  private final String bootstrap;
  private final String prefix = "pipeline" + UUID.randomUUID().toString().substring(0, 8);
  private final DirectPlugin plugin;
  private final PluginServiceGrpc.PluginServiceFutureStub stub;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Map<TopicPartition, NavigableSet<Long>> unfinished = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread loop;

  PipelineFloor(String bootstrap, Path goPluginDir) throws Exception {
    this.bootstrap = bootstrap;
    KafkaClients.createTopics(bootstrap, requestTopic(), replyTopic());
    plugin = new DirectPlugin(goPluginDir);
    stub = PluginServiceGrpc.newFutureStub(plugin.channel());
    loop = Thread.ofPlatform().name("pipeline-poll").start(this::pollLoop);
  }

  private void pollLoop() {
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.groupConsumer(bootstrap, prefix);
         KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      consumer.subscribe(List.of(requestTopic()));
      Map<TopicPartition, Long> polledUpTo = new HashMap<>();
      long nextCommit = System.nanoTime();
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(5))) {
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
  public String requestTopic() {
    return prefix + ".requests";
  }

  @Override
  public String replyTopic() {
    return prefix + ".replies";
  }

  @Override
  public void close() {
    running.set(false);
    try {
      loop.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    plugin.close();
  }
}
