package io.jankrunner.http;

import io.jankrunner.config.ApiTokens;
import static io.jankrunner.http.PrometheusText.has;
import static io.jankrunner.http.PrometheusText.sum;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.worker.TopicSetup;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} counts what was sent; {@code /readyz} waits for the registry. Real worker, broker, plugins. */
class MetricsIT {

  static final String ECHO = "test.plugins.echo";

  @TempDir Path plugins;
  @TempDir Path state;
  @TempDir Path scratch;
  private Worker worker;
  private final Topics topics = new Topics("m" + UUID.randomUUID().toString().substring(0, 8));

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private WorkerConfig config(int port) {
    return new WorkerConfig(TestBroker.bootstrap(), plugins, "metrics-1", WorkerConfig.Mode.SHARE, false, topics, 1,
        64, 1024 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withHttp(new InetSocketAddress("127.0.0.1", port), ApiTokens.NONE);
  }

  @Test
  void metricsCountTheCommandsSentByTypeAndOutcome() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", ECHO, MisbehavingPlugin.class, "", "");
    worker = Worker.start(config(0));
    HttpCalls http = new HttpCalls("http://127.0.0.1:" + worker.httpAddress().orElseThrow().getPort());
    assertEquals(200, http.post("/api/v1/plugin/register", null, "{\"id\":\"" + ECHO + "\"}").status());
    for (int i = 0; i < 5; i++) {
      assertEquals(200, http.post("/api/v1/plugin/execute", null, "{\"id\":\"" + ECHO + "\",\"method\":\"echo\"}")
          .status());
    }
    for (int i = 0; i < 2; i++) {
      // Jank answers every failed execute 500 (code 20004); the runner's reason is error.name.
      assertEquals(500, http.post("/api/v1/plugin/execute", null, "{\"id\":\"" + ECHO + "\",\"method\":\"fail\"}")
          .status());
    }

    var response = http.get("/metrics", null).response();
    assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
    List<PrometheusText.Sample> samples = PrometheusText.parse(response.body());

    assertEquals(7, sum(samples, "jank_commands_received_total", Map.of("type", "execute")));
    assertEquals(5, sum(samples, "jank_commands_answered_total", Map.of("type", "execute", "status", "ok")));
    assertEquals(2, sum(samples, "jank_commands_answered_total", Map.of("type", "execute", "status", "error",
        "code", "PLUGIN_ERROR")));
    assertEquals(1, sum(samples, "jank_commands_answered_total", Map.of("type", "register", "status", "ok")));
    assertEquals(7, sum(samples, "jank_plugin_call_duration_seconds_count", Map.of("plugin", ECHO)));
    assertEquals(7, sum(samples, "jank_command_duration_seconds_count", Map.of("type", "execute")));
    assertEquals(1, sum(samples, "jank_plugin_cold_starts_total", Map.of("plugin", ECHO)));
    assertEquals(1, sum(samples, "jank_plugin_cold_start_duration_seconds_count", Map.of("plugin", ECHO)));
    assertEquals(1, sum(samples, "jank_plugin_instances", Map.of("plugin", ECHO)));
    assertEquals(0, sum(samples, "jank_dlq_writes_total", Map.of()));
    assertTrue(has(samples, "resilience4j_bulkhead_available_concurrent_calls"));
    assertTrue(has(samples, "resilience4j_circuitbreaker_state"));
    assertTrue(has(samples, "jvm_memory_used_bytes"));
    assertTrue(has(samples, "process_cpu_usage"));
    assertTrue(has(samples, "kafka_consumer_fetch_manager_records_consumed_total"), "the Kafka clients' own metrics");
    assertTrue(samples.stream().allMatch(sample -> !sample.labels().containsKey("worker")
        || sample.labels().get("worker").equals("metrics-1")));
  }

  @Test
  void aRecordThatIsNotACommandIsCountedAsADlqWrite() throws Exception {
    worker = Worker.start(config(0));
    HttpCalls http = new HttpCalls("http://127.0.0.1:" + worker.httpAddress().orElseThrow().getPort());
    try (TestClient client = new TestClient(TestBroker.bootstrap())) {
      client.send(topics.execute(), "k", new byte[] {'{', 'x'}, new org.apache.kafka.common.header.internals
          .RecordHeaders());
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> sum(PrometheusText.parse(http.get("/metrics", null).response()
        .body()), "jank_dlq_writes_total", Map.of()) == 1);
  }

  @Test
  void readyzIsFalseUntilTheRegistryIsCaughtUp() throws Exception {
    // A registration on the registry topic whose build waits for a file: the worker cannot catch up before it exists.
    Path release = scratch.resolve("release");
    Path dir = Files.createDirectories(plugins.resolve("waiting"));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest("test.plugins.waiting", "./bin/plugin", ""));
    TestPlugins.executable(dir.resolve("scripts/build.sh"), "#!/bin/sh\nwhile [ ! -f '" + release + "' ]; do sleep 0.1;"
        + " done\nmkdir -p bin && printf '#!/bin/sh\\nexit 1\\n' > bin/plugin && chmod +x bin/plugin\n");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()));
         TestClient client = new TestClient(TestBroker.bootstrap())) {
      TopicSetup.ensure(admin, topics, 3);
      client.send(topics.registry(), "test.plugins.waiting", TestClient.JSON.readTree(
          "{\"v\":1,\"plugin\":\"test.plugins.waiting\",\"registered\":true,\"version\":\"1.0.0\",\"build_id\":\"" + UUID.randomUUID()
          + "\",\"by\":\"operator\",\"at\":\"2026-12-01T00:00:00Z\"}"));
    }
    int port = TestBroker.freePort();
    CompletableFuture<Worker> starting = CompletableFuture.supplyAsync(() -> {
      try {
        return Worker.start(config(port));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    HttpCalls http = new HttpCalls("http://127.0.0.1:" + port);
    HttpCalls.Answer first = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> http.get("/readyz", null), answer -> answer != null);

    assertEquals(503, first.status(), first.body().toString());
    assertFalse(first.body().path("registry_caught_up").asBoolean(true));
    assertEquals(200, http.get("/healthz", null).status());
    assertEquals(503, http.get("/api/v1/plugin/list", null).status(), "the API waits for readiness too");

    Files.writeString(release, "go");
    worker = starting.get();
    assertEquals(200, http.get("/readyz", null).status());
  }
}
