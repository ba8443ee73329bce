package io.jankrunner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Correlation, deadlines and close on Kafka's MockProducer and MockConsumer (RunnerClientIT: a real broker and worker). */
class RunnerClientTest {

  private static final String REPLIES = "my-app.replies";
  private static final TopicPartition PARTITION = new TopicPartition(REPLIES, 0);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("latest");
  private long offset;
  private RunnerClient client;

  private RunnerClient client(Duration grace) {
    consumer.updatePartitions(REPLIES, List.of(new PartitionInfo(REPLIES, 0, null, null, null)));
    consumer.updateEndOffsets(Map.of(PARTITION, 0L));
    client = new RunnerClient("test-client", "runner", REPLIES, grace, WAIT, producer, consumer, Runnable::run);
    return client;
  }

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
  }

  private JsonNode sent(int index) throws Exception {
    return Json.MAPPER.readTree(producer.history().get(index).value());
  }

  private void reply(String key, String value, String traceparent) {
    RecordHeaders headers = new RecordHeaders();
    if (traceparent != null) {
      headers.add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    }
    consumer.addRecord(new ConsumerRecord<>(REPLIES, 0, offset++, 0L, TimestampType.CREATE_TIME, 0, 0,
        key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), headers,
        java.util.Optional.empty()));
  }

  private static String ok(String id, String data) {
    return "{\"v\":1,\"id\":\"" + id + "\",\"type\":\"execute\",\"status\":\"ok\",\"data\":" + data
        + ",\"worker\":\"w-1\",\"attempts\":1,\"delivery_count\":1,\"duration_ms\":3}";
  }

  private static String error(String id, String code, boolean retriable) {
    return "{\"v\":1,\"id\":\"" + id + "\",\"status\":\"error\",\"error\":{\"code\":\"" + code
        + "\",\"message\":\"it went wrong\",\"retriable\":" + retriable + "},\"worker\":\"w-1\",\"attempts\":0}";
  }

  private static Throwable failure(CompletableFuture<?> future) {
    ExecutionException error = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
    return error.getCause();
  }

  @Test
  void aCommandCarriesItsIdTimeoutDeadlineReplyTopicAndTraceparentOnTheExecuteTopic() throws Exception {
    client(Duration.ZERO);
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    client.execute("hello", "greet", Map.of("name", "Ada"),
        ExecuteOptions.timeout(Duration.ofSeconds(5)).withId("c-1").withTraceparent(traceparent));
    client.register("hello", true, ExecuteOptions.defaults());

    ProducerRecord<byte[], byte[]> record = producer.history().getFirst();
    JsonNode command = sent(0);
    assertEquals("runner.execute", record.topic());
    assertEquals("c-1", new String(record.key(), StandardCharsets.UTF_8));
    assertEquals(traceparent, new String(record.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8));
    assertEquals("c-1", command.path("id").asText());
    assertEquals(REPLIES, command.path("reply_to").asText());
    assertEquals(5000, command.path("timeout_ms").asLong());
    assertTrue(java.time.Instant.parse(command.path("deadline").asText()).isAfter(java.time.Instant.now()));
    assertEquals("Ada", command.path("args").path("name").asText());

    ProducerRecord<byte[], byte[]> control = producer.history().get(1);
    assertEquals("runner.control", control.topic());
    assertEquals("hello", new String(control.key(), StandardCharsets.UTF_8));
    assertEquals("register", sent(1).path("type").asText());
    assertTrue(sent(1).path("rebuild").asBoolean());
    assertEquals(36, sent(1).path("id").asText().length(), "a generated id is a UUID");
  }

  @Test
  void aResultCompletesTheCallOfItsIdAndOtherRecordsOnTheReplyTopicAreSkipped() throws Exception {
    client(Duration.ZERO);
    CompletableFuture<Result> first = client.execute("hello", "echo", null, ExecuteOptions.defaults().withId("c-1"));
    CompletableFuture<Result> second = client.execute("hello", "echo", null, ExecuteOptions.defaults().withId("c-2"));

    reply("someone-else", ok("someone-else", "{}"), null);
    reply("c-1", "{not json", null);
    reply("c-2", ok("c-1", "{\"n\":0}"), null); // keyed for c-2 but about c-1: not c-2's
    reply("c-2", ok("c-2", "{\"n\":2}"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    reply("c-1", ok("c-1", "{\"n\":1}"), null);
    reply("c-1", ok("c-1", "{\"n\":99}"), null); // a redelivery's second result

    assertEquals(1, first.get(30, TimeUnit.SECONDS).data().path("n").asInt());
    Result result = second.get(30, TimeUnit.SECONDS);
    assertEquals(2, result.data().path("n").asInt());
    assertEquals("w-1", result.worker());
    assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", result.traceparent().orElseThrow());
    assertEquals(0, client.inFlight());
  }

  @Test
  void anErrorResultFailsTheCallWithItsCodeAndKeepsTheResult() {
    client(Duration.ZERO);
    CompletableFuture<Result> call = client.get("hello", ExecuteOptions.defaults().withId("g-1"));
    CompletableFuture<Result> newer = client.get("hello", ExecuteOptions.defaults().withId("g-2"));

    reply("g-1", error("g-1", "PLUGIN_NOT_FOUND", false), null);
    reply("g-2", error("g-2", "SOMETHING_NEW", true), null);

    RunnerException notFound = assertInstanceOf(RunnerException.class, failure(call));
    assertEquals(ErrorCode.PLUGIN_NOT_FOUND, notFound.code());
    assertFalse(notFound.retriable());
    assertEquals("g-1", notFound.result().orElseThrow().id());
    assertEquals("PLUGIN_NOT_FOUND: it went wrong", notFound.getMessage());
    RunnerException unknown = assertInstanceOf(RunnerException.class, failure(newer));
    assertEquals(ErrorCode.UNRECOGNIZED, unknown.code());
    assertEquals("SOMETHING_NEW", unknown.result().orElseThrow().error().orElseThrow().codeName());
    assertTrue(unknown.retriable(), "the worker's own flag counts for a code the client does not know");
  }

  @Test
  void noResultWithinTheTimeoutAndGraceFailsTheCallWithTimeout() {
    client(Duration.ofMillis(100));
    CompletableFuture<Result> call = client.execute("hello", "sleep", null,
        ExecuteOptions.timeout(Duration.ofMillis(200)).withId("slow-1"));

    RunnerException timeout = assertInstanceOf(RunnerException.class, failure(call));
    assertEquals(ErrorCode.TIMEOUT, timeout.code());
    assertTrue(timeout.retriable());
    assertTrue(timeout.result().isEmpty());
    assertEquals("no result for slow-1 within 300 ms", timeout.getMessage());
    assertEquals(0, client.inFlight());
  }

  @Test
  void anIdAlreadyWaitingIsRefusedAndCanBeUsedAgainOnceAnswered() throws Exception {
    client(Duration.ZERO);
    CompletableFuture<Result> call = client.execute("hello", "echo", null, ExecuteOptions.defaults().withId("same"));
    assertThrows(IllegalArgumentException.class,
        () -> client.execute("hello", "echo", null, ExecuteOptions.defaults().withId("same")));
    reply("same", ok("same", "{}"), null);
    call.get(30, TimeUnit.SECONDS);
    client.execute("hello", "echo", null, ExecuteOptions.defaults().withId("same"));
  }

  @Test
  void aCommandTheBrokerRefusesFailsItsCallWithKafkasError() {
    MockProducer<byte[], byte[]> refusing = new MockProducer<>(false, null, new ByteArraySerializer(),
        new ByteArraySerializer());
    consumer.updatePartitions(REPLIES, List.of(new PartitionInfo(REPLIES, 0, null, null, null)));
    consumer.updateEndOffsets(Map.of(PARTITION, 0L));
    client = new RunnerClient("test-client", "runner", REPLIES, Duration.ZERO, WAIT, refusing, consumer, Runnable::run);
    CompletableFuture<Result> call = client.execute("hello", "echo", null, ExecuteOptions.defaults());

    refusing.errorNext(new org.apache.kafka.common.errors.TopicAuthorizationException("not authorized"));

    assertInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class, failure(call));
    assertEquals(0, client.inFlight());
  }

  @Test
  void closingFailsTheCallsInFlightAndLaterCallsAndClosesTheKafkaClients() throws Exception {
    client(Duration.ZERO);
    CompletableFuture<Result> first = client.execute("hello", "sleep", null, ExecuteOptions.defaults().withId("a"));
    CompletableFuture<Result> second = client.list(ExecuteOptions.defaults().withId("b"));

    client.close();

    RunnerClientClosedException closed = assertInstanceOf(RunnerClientClosedException.class, failure(first));
    assertEquals("a", closed.commandId());
    assertTrue(closed.getMessage().contains("may still run"), closed.getMessage());
    assertInstanceOf(RunnerClientClosedException.class, failure(second));
    assertInstanceOf(RunnerClientClosedException.class,
        failure(client.execute("hello", "echo", null, ExecuteOptions.defaults())));
    assertInstanceOf(RunnerClientClosedException.class, failure(client.send(Command.list(), ExecuteOptions.defaults())));
    assertTrue(producer.closed());
    assertTrue(consumer.closed());
    assertFalse(client.readerRunning());
    client.close(); // again: nothing happens
  }

  @Test
  void aSendOnlyClientSendsAndRefusesToWait() throws Exception {
    client = new RunnerClient("test-client", "p", "p.results", Duration.ZERO, WAIT, producer, null, Runnable::run);

    String id = client.send(Command.execute("hello", "echo", null), ExecuteOptions.defaults().withId("fire-1"))
        .get(30, TimeUnit.SECONDS);

    assertEquals("fire-1", id);
    assertEquals("p.execute", producer.history().getFirst().topic());
    ObjectNode command = (ObjectNode) sent(0);
    assertEquals("p.results", command.path("reply_to").asText());
    assertThrows(IllegalStateException.class, () -> client.list(ExecuteOptions.defaults()));
  }
}
