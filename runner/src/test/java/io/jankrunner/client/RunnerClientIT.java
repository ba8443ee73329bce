package io.jankrunner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.WorkerTestKit;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link RunnerClient} against a real broker and a real worker with a real plugin process. */
class RunnerClientIT {

  private static final Logger log = LoggerFactory.getLogger(RunnerClientIT.class);
  static final String PLUGIN = "test.plugins.echo";
  /** A liveness bound, not a measure of speed: the machine is shared. */
  static final Duration WAIT = Duration.ofSeconds(180);
  static final ExecuteOptions GENEROUS = ExecuteOptions.timeout(Duration.ofSeconds(120));

  @TempDir Path plugins;
  @TempDir Path state;
  private WorkerTestKit kit;
  private final List<RunnerClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", PLUGIN, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 64, \"timeout_ms\": 120000}");
    kit = new WorkerTestKit(plugins, state, "rc");
  }

  @AfterEach
  void tearDown() {
    clients.forEach(RunnerClient::close);
    kit.close();
  }

  private RunnerClient client(Topics topics, String replies) {
    RunnerClient client = RunnerClient.builder().bootstrap(TestBroker.bootstrap()).topicPrefix(topics.prefix())
        .createReplyTopic(topics.prefix() + "." + replies).resultGrace(Duration.ZERO).build();
    clients.add(client);
    return client;
  }

  private void startWorker() throws Exception {
    kit.start("w-1", WorkerConfig.Mode.SHARE, false, 2, 256, Duration.ofSeconds(10),
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
  }

  /** A worker, a client, and the echo plugin registered through the client. */
  private RunnerClient workerWithThePluginRegistered() throws Exception {
    startWorker();
    RunnerClient runner = client(kit.topics(), "app-replies");
    assertTrue(get(runner.register(PLUGIN, false, GENEROUS)).ok());
    return runner;
  }

  private static <T> T get(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletableFuture<?> future) {
    return assertThrows(ExecutionException.class, () -> get(future)).getCause();
  }

  @Test
  void aThousandConcurrentCallsAllCompleteEachWithItsOwnResult() throws Exception {
    RunnerClient runner = workerWithThePluginRegistered();

    long started = System.nanoTime();
    List<CompletableFuture<Result>> calls = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      calls.add(runner.execute(PLUGIN, "echo", Map.of("n", i, "name", "caller-" + i), GENEROUS));
    }
    get(CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)));
    log.info("1000 concurrent calls answered in {} ms", (System.nanoTime() - started) / 1_000_000);

    Set<String> ids = new HashSet<>();
    for (int i = 0; i < calls.size(); i++) {
      Result result = calls.get(i).join();
      assertEquals(i, result.data().path("n").asInt(), result.toString());
      assertEquals("caller-" + i, result.data().path("name").asText());
      assertEquals(PLUGIN, result.plugin().orElseThrow());
      ids.add(result.id());
    }
    assertEquals(1000, ids.size(), "every call had an id of its own");
    assertEquals(0, runner.inFlight());
  }

  @Test
  void aPluginCallThatOutlivesItsTimeoutFailsWithTimeout() throws Exception {
    RunnerClient runner = workerWithThePluginRegistered();

    CompletableFuture<Result> call = runner.execute(PLUGIN, "sleep", null,
        ExecuteOptions.timeout(Duration.ofSeconds(3)));

    RunnerException timeout = assertInstanceOf(RunnerException.class, failure(call));
    assertEquals(ErrorCode.TIMEOUT, timeout.code(), timeout.getMessage());
    assertTrue(timeout.retriable());
  }

  @Test
  void aCommandNoWorkerAnswersByItsDeadlineFailsWithTimeoutAtTheDeadline() throws Exception {
    // A deployment whose topics exist but whose workers are all down: the command waits in Kafka.
    Topics idle = new Topics("rcidle" + UUID.randomUUID().toString().substring(0, 8));
    kit.client().createTopic(idle.execute());
    RunnerClient runner = client(idle, "app-replies");

    long started = System.nanoTime();
    CompletableFuture<Result> call = runner.execute(PLUGIN, "echo", null,
        ExecuteOptions.timeout(Duration.ofSeconds(2)).withId("never-answered"));

    RunnerException timeout = assertInstanceOf(RunnerException.class, failure(call));
    assertTrue(System.nanoTime() - started >= Duration.ofSeconds(2).toNanos(), "not before the deadline");
    assertEquals(ErrorCode.TIMEOUT, timeout.code());
    assertTrue(timeout.result().isEmpty(), "no worker answered");
    assertEquals("no result for never-answered within 2000 ms", timeout.getMessage());
    assertEquals(0, runner.inFlight());
  }

  @Test
  void closingWithCallsInFlightFailsThemCleanlyAndTheWorkerServesTheNextClient() throws Exception {
    RunnerClient runner = workerWithThePluginRegistered();
    List<CompletableFuture<Result>> calls = new ArrayList<>();
    // Calls that finish, slowly: calls left to time out would open the plugin's circuit, and on a
    // loaded machine the next client's call came after those timeouts and was refused.
    for (int i = 0; i < 20; i++) {
      calls.add(runner.execute(PLUGIN, "slow", Map.of("ms", 20_000), ExecuteOptions.timeout(Duration.ofSeconds(120))));
    }

    runner.close();

    for (CompletableFuture<Result> call : calls) {
      RunnerClientClosedException closed = assertInstanceOf(RunnerClientClosedException.class, failure(call));
      assertTrue(closed.getMessage().contains("was closed while command " + closed.commandId()), closed.getMessage());
    }
    assertFalse(runner.readerRunning(), "the reply consumer is closed");
    assertEquals(0, runner.inFlight());
    assertInstanceOf(RunnerClientClosedException.class, failure(runner.execute(PLUGIN, "echo", null, GENEROUS)));

    RunnerClient next = client(kit.topics(), "next-replies");
    assertEquals("Ada", get(next.execute(PLUGIN, "echo", Map.of("name", "Ada"), GENEROUS)).data()
        .path("name").asText());
  }

  @Test
  void registerGetListAndUnregisterGoThroughTheControlTopicAndTraceparentComesBack() throws Exception {
    startWorker();
    RunnerClient runner = client(kit.topics(), "app-replies");

    Result registered = get(runner.register(PLUGIN, false, GENEROUS));
    assertEquals("register", registered.type().orElseThrow());
    assertEquals(PLUGIN, registered.data().path("id").asText(), registered.toString());

    Result got = get(runner.get(PLUGIN, GENEROUS));
    assertTrue(got.data().path("registered").asBoolean(), got.toString());
    assertEquals("closed", got.data().path("circuit").asText());

    Result listed = get(runner.list(GENEROUS));
    List<String> ids = new ArrayList<>();
    listed.data().path("plugins").forEach(plugin -> ids.add(plugin.path("id").asText()));
    assertTrue(ids.contains(PLUGIN), listed.toString());

    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    Result traced = get(runner.execute(PLUGIN, "echo", Map.of("name", "Ada"), GENEROUS.withTraceparent(traceparent)));
    assertEquals(traceparent, traced.traceparent().orElseThrow());

    assertTrue(get(runner.unregister(PLUGIN, GENEROUS)).ok());
    RunnerException again = assertInstanceOf(RunnerException.class, failure(runner.unregister(PLUGIN, GENEROUS)));
    assertEquals(ErrorCode.PLUGIN_NOT_FOUND, again.code());
    assertFalse(again.retriable());
    JsonNode missing = assertInstanceOf(RunnerException.class,
        failure(runner.get("test.plugins.nobody", GENEROUS))).result().orElseThrow().json();
    assertEquals("PLUGIN_NOT_FOUND", missing.path("error").path("code").asText());
  }
}
