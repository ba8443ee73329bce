package io.jankrunner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the client refuses before anything is sent: the values a worker would refuse. */
class OptionsTest {

  private static void refused(String expected, Runnable action) {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(error.getMessage().contains(expected), error.getMessage());
  }

  @Test
  void executeOptionsRefuseAnIdATimeoutATraceparentOrAKeyAWorkerWouldRefuse() {
    refused("does not match", () -> ExecuteOptions.defaults().withId("has space"));
    refused("does not match", () -> ExecuteOptions.defaults().withId("x".repeat(129)));
    refused("at least 1 ms", () -> ExecuteOptions.timeout(Duration.ZERO));
    refused("at least 1 ms", () -> ExecuteOptions.timeout(Duration.ofMillis(-5)));
    refused("not W3C trace context", () -> ExecuteOptions.defaults().withTraceparent("00-abc"));
    refused("not W3C trace context", () -> ExecuteOptions.defaults()
        .withTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    refused("must not be empty", () -> ExecuteOptions.defaults().withKey(""));
  }

  @Test
  void executeOptionsKeepWhatTheyWereGiven() {
    ExecuteOptions options = ExecuteOptions.timeout(Duration.ofSeconds(5)).withId("order-42:greet")
        .withTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").withKey("order-42");

    assertEquals("order-42:greet", options.id().orElseThrow());
    assertEquals(Duration.ofSeconds(5), options.timeout());
    assertEquals("order-42", options.key().orElseThrow());
    assertEquals(ExecuteOptions.DEFAULT_TIMEOUT, ExecuteOptions.defaults().timeout());
    assertTrue(ExecuteOptions.defaults().id().isEmpty());
  }

  @Test
  void commandsRefuseAPluginIdAMethodOrArgsAWorkerWouldRefuse() {
    refused("plugin is required", () -> Command.execute(null, "greet", null));
    refused("does not match", () -> Command.execute("../etc", "greet", null));
    refused("does not match", () -> Command.execute("a..b", "greet", null));
    refused("method is required", () -> Command.execute("hello", null, null));
    refused("does not match", () -> Command.execute("hello", "gr eet", null));
    refused("must be a JSON object", () -> Command.execute("hello", "greet", List.of(1, 2)));
    refused("must be a JSON object", () -> Command.execute("hello", "greet", "Ada"));
    refused("plugin is required", () -> Command.register(null, false));
    refused("unknown command type 'explode': one of execute, register, unregister, build, get, list",
        () -> Command.Type.parse("explode"));
  }

  @Test
  void aCommandIsWrittenAsTheContractSaysAndKeyedByIdOrPlugin() {
    record Greeting(String name) {}
    Command execute = Command.execute("hello", "greet", new Greeting("Ada"));
    var json = execute.toJson("c-1", "my-app.replies", ExecuteOptions.timeout(Duration.ofSeconds(5)),
        java.time.Instant.parse("2026-11-27T18:00:00Z"));

    assertEquals("{\"v\":1,\"id\":\"c-1\",\"type\":\"execute\",\"plugin\":\"hello\",\"method\":\"greet\","
        + "\"args\":{\"name\":\"Ada\"},\"reply_to\":\"my-app.replies\",\"timeout_ms\":5000,"
        + "\"deadline\":\"2026-11-27T18:00:00Z\"}", json.toString());
    assertEquals("c-1", execute.defaultKey("c-1"));
    assertEquals("hello", Command.register("hello", true).defaultKey("c-2"));
    assertEquals("c-3", Command.list().defaultKey("c-3"));
    assertTrue(Command.register("hello", true).toJson("c-2", "r", ExecuteOptions.defaults(),
        java.time.Instant.EPOCH).path("rebuild").asBoolean());
    assertEquals(Command.Type.BUILD, Command.of(Command.Type.BUILD, "hello", "ignored", null, false).type());
  }

  @Test
  void theBuilderRefusesAReplyTopicWorkersWouldNotAnswerOn() {
    refused("one of the deployment's own topics", () -> RunnerClient.builder().bootstrap("x:1")
        .replyTopic("runner.execute").validate());
    refused("one of the deployment's own topics", () -> RunnerClient.builder().bootstrap("x:1").topicPrefix("p")
        .createReplyTopic("p.dlq").validate());
    refused("internal topic", () -> RunnerClient.builder().bootstrap("x:1").replyTopic("__consumer_offsets")
        .validate());
    refused("not a valid topic name", () -> RunnerClient.builder().bootstrap("x:1").replyTopic("a/b").validate());
    refused("topic prefix", () -> RunnerClient.builder().bootstrap("x:1").topicPrefix("a b").validate());
    refused("must not be negative", () -> RunnerClient.builder().resultGrace(Duration.ofSeconds(-1)));
    refused("must be positive", () -> RunnerClient.builder().replyTopicWait(Duration.ZERO));
    assertEquals("runner.results", RunnerClient.builder().validate());
    assertEquals("p.results", RunnerClient.builder().topicPrefix("p").validate());
  }

  @Test
  void kafkaPropertiesMayNotUndoWhatTheClientsPromisesRestOn() {
    refused("acks=1 is refused", () -> new KafkaSettings(Map.of("bootstrap.servers", "x:1", "acks", "1"), "c").producer());
    refused("enable.auto.commit=true is refused", () -> new KafkaSettings(Map.of("bootstrap.servers", "x:1",
        "enable.auto.commit", "true"), "c").consumer());
    refused("isolation.level=read_uncommitted is refused", () -> new KafkaSettings(Map.of("bootstrap.servers", "x:1",
        "isolation.level", "read_uncommitted"), "c").consumer());
    refused("no bootstrap servers", () -> new KafkaSettings(Map.of(), "c"));

    KafkaSettings settings = new KafkaSettings(Map.of("bootstrap.servers", "x:1", "acks", "-1", "group.id", "shared",
        "security.protocol", "SASL_SSL"), "c");
    assertEquals("all", settings.producer().get("acks"));
    assertEquals("SASL_SSL", settings.consumer().get("security.protocol"));
    assertTrue(!settings.consumer().containsKey("group.id"), "the reply consumer is assigned, in no group");
  }
}
