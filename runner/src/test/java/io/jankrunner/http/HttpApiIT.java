package io.jankrunner.http;

import io.jankrunner.config.ApiTokens;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jank's plugin API on a real worker (real broker, real plugin processes), called as curl would:
 * every endpoint's success and error statuses, tokens, the body limit, and a burst of executes.
 */
class HttpApiIT {

  static final String ECHO = "test.plugins.echo";
  static final String NARROW = "test.plugins.narrow";
  static final String WIDE = "test.plugins.wide";
  static final String BROKEN = "test.plugins.broken";
  static final String IDLE = "test.plugins.idle";
  static final String WRITER = "writer-token";
  static final String READER = "reader-token";
  static final int LIMIT = 64 * 1024;

  @TempDir static Path plugins;
  @TempDir static Path state;
  static Worker worker;
  static HttpCalls http;

  @BeforeAll
  static void startWorker() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", ECHO, MisbehavingPlugin.class, "", "\"runner\": {\"max_concurrency\": 64}");
    TestPlugins.javaPlugin(plugins, "narrow", NARROW, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 1, \"max_instances\": 1}");
    TestPlugins.javaPlugin(plugins, "wide", WIDE, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 256}");
    TestPlugins.javaPlugin(plugins, "idle", IDLE, MisbehavingPlugin.class, "", "");
    TestPlugins.scriptPlugin(plugins, "broken", BROKEN, "echo 'cannot start' >&2; exit 1",
        "\"runner\": {\"retry\": {\"max_attempts\": 1}}");
    Topics topics = new Topics("h" + UUID.randomUUID().toString().substring(0, 8));
    worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), plugins, "http-1", WorkerConfig.Mode.SHARE, false,
        topics, 1, 64, LIMIT, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withHttp(new InetSocketAddress("127.0.0.1", 0), ApiTokens.parse(WRITER + ",ro:" + READER)));
    http = new HttpCalls("http://127.0.0.1:" + worker.httpAddress().orElseThrow().getPort());
    for (String plugin : List.of(ECHO, NARROW, WIDE, BROKEN)) {
      assertEquals(200, register(plugin).status());
    }
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  static HttpCalls.Answer register(String plugin) throws Exception {
    return http.post("/api/v1/plugin/register", WRITER, "{\"id\":\"" + plugin + "\"}");
  }

  static HttpCalls.Answer execute(String body) throws Exception {
    return http.post("/api/v1/plugin/execute", WRITER, body);
  }

  @Test
  void anExecuteAnswersMethodAndDataInJanksEnvelope() throws Exception {
    HttpCalls.Answer answer = http.send(http.request("/api/v1/plugin/execute", WRITER)
        .header("X-Request-Id", "req-42")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + ECHO + "\",\"method\":\"echo\","
            + "\"args\":{\"name\":\"Ada\"},\"timeout_ms\":30000}")).build());

    assertEquals(200, answer.status(), answer.body().toString());
    assertEquals("echo", answer.data().path("method").asText());
    assertEquals("Ada", answer.data().path("data").path("name").asText());
    assertEquals("req-42", answer.body().path("requestId").asText());
    assertTrue(answer.body().path("timeStamp").isIntegralNumber());
    assertTrue(Math.abs(answer.body().path("timeStamp").asLong() - Instant.now().getEpochSecond()) < 600,
        "timeStamp in Unix seconds: " + answer.body());
    assertEquals("req-42", answer.response().headers().firstValue("X-Request-Id").orElseThrow());
  }

  @Test
  void getShowsJanksFieldsAndTheInstances() throws Exception {
    execute("{\"id\":\"" + ECHO + "\",\"method\":\"echo\"}");

    HttpCalls.Answer answer = http.get("/api/v1/plugin/get?id=" + ECHO, READER);

    assertEquals(200, answer.status(), answer.body().toString());
    JsonNode plugin = answer.data();
    assertEquals(ECHO, plugin.path("id").asText());
    assertEquals("1.0.0", plugin.path("version").asText());
    assertEquals("handler", plugin.path("type").asText());
    assertEquals("./bin/plugin", plugin.path("binary").asText());
    assertEquals(60000, plugin.path("start_timeout").asLong());
    for (String field : List.of("name", "author", "repository", "auto_start", "status", "started_at",
        "process_pid")) {
      assertTrue(plugin.has(field), field + " in " + plugin);
    }
    assertTrue(plugin.path("process_pid").asLong() > 0, plugin.toString());
    assertEquals(plugin.path("process_pid").asLong(), plugin.path("instances").path(0).path("pid").asLong());
  }

  @Test
  void listPagesRegisteredAndUnregisteredPluginsFilteredByStatus() throws Exception {
    HttpCalls.Answer all = http.get("/api/v1/plugin/list?page_size=100", READER);
    assertEquals(200, all.status());
    assertEquals(5, all.data().path("total").asInt(), all.body().toString());
    assertEquals(5, all.data().path("list").size());

    HttpCalls.Answer second = http.get("/api/v1/plugin/list?page_no=2&page_size=3", READER);
    assertEquals(5, second.data().path("total").asInt());
    assertEquals(2, second.data().path("page_no").asInt());
    assertEquals(3, second.data().path("page_size").asInt());
    assertEquals(2, second.data().path("list").size());

    HttpCalls.Answer unregistered = http.get("/api/v1/plugin/list?status=available", READER);
    assertEquals(1, unregistered.data().path("total").asInt(), unregistered.body().toString());
    assertEquals(IDLE, unregistered.data().path("list").path(0).path("id").asText());

    assertEquals(400, http.get("/api/v1/plugin/list?page_size=101", READER).status());
    HttpCalls.Answer zero = http.get("/api/v1/plugin/list?page_size=0", READER);
    assertEquals(400, zero.status());
    assertTrue(zero.detail().contains("page_size"), zero.body().toString());
  }

  @Test
  void unregisterGoesFleetWideAndThenExecuteIsAConflict() throws Exception {
    assertEquals(200, register(IDLE).status());
    HttpCalls.Answer unregistered = http.post("/api/v1/plugin/unregister", WRITER, "{\"id\":\"" + IDLE + "\"}");
    assertEquals(200, unregistered.status(), unregistered.body().toString());
    assertFalse(unregistered.data().path("registered").asBoolean(true));
    assertEquals("Plugin unregistered successfully", unregistered.data().path("message").asText());

    HttpCalls.Answer notRegistered = execute("{\"id\":\"" + IDLE + "\",\"method\":\"echo\"}");
    assertEquals(500, notRegistered.status(), notRegistered.body().toString());
    assertEquals("20004", notRegistered.code());
    assertEquals("PLUGIN_NOT_FOUND", notRegistered.name());
    HttpCalls.Answer nobody = http.post("/api/v1/plugin/unregister", WRITER, "{\"id\":\"com.example.nobody\"}");
    assertEquals(500, nobody.status());
    assertEquals("20003", nobody.code());
  }

  @Test
  void badRequestsAre400NamingTheField() throws Exception {
    HttpCalls.Answer notJson = execute("{not json");
    assertEquals(400, notJson.status());
    assertEquals("10002", notJson.code());
    assertEquals("INVALID_COMMAND", notJson.name());

    HttpCalls.Answer noMethod = execute("{\"id\":\"" + ECHO + "\"}");
    assertEquals(400, noMethod.status());
    assertTrue(noMethod.detail().contains("method"), noMethod.body().toString());

    HttpCalls.Answer badId = execute("{\"id\":\"no spaces allowed\",\"method\":\"echo\"}");
    assertEquals(400, badId.status());
    assertTrue(badId.detail().contains("'id'"), badId.body().toString());

    assertEquals(400, http.get("/api/v1/plugin/get", READER).status());
    assertEquals(400, execute("{\"id\":\"" + ECHO + "\",\"method\":\"echo\",\"timeout_ms\":-1}").status());
  }

  @Test
  void runnerErrorsAreJanks500WithTheRunnersNameBeside() throws Exception {
    assertEquals(500, http.get("/api/v1/plugin/get?id=com.example.nobody", READER).status());
    assertEquals(500, execute("{\"id\":\"com.example.nobody\",\"method\":\"x\"}").status());
    HttpCalls.Answer failed = execute("{\"id\":\"" + ECHO + "\",\"method\":\"fail\"}");
    assertEquals(500, failed.status());
    assertEquals("20004", failed.code());
    assertEquals("PLUGIN_ERROR", failed.name());
    HttpCalls.Answer slow = execute("{\"id\":\"" + ECHO + "\",\"method\":\"sleep\",\"timeout_ms\":500}");
    assertEquals(500, slow.status(), slow.body().toString());
    assertEquals("TIMEOUT", slow.name());
    HttpCalls.Answer broken = execute("{\"id\":\"" + BROKEN + "\",\"method\":\"x\"}");
    assertEquals(500, broken.status(), broken.body().toString());
    assertEquals("PLUGIN_UNAVAILABLE", broken.name());
    assertEquals(405, http.get("/api/v1/plugin/execute", WRITER).status());
    assertEquals(404, http.get("/api/v1/plugin/nothing", WRITER).status());
  }

  @Test
  void aFullBulkheadIs429() throws Exception {
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<HttpCalls.Answer> holding = callers.submit(() ->
          execute("{\"id\":\"" + NARROW + "\",\"method\":\"slow\",\"args\":{\"ms\":9000},\"timeout_ms\":120000}"));
      await().atMost(Duration.ofSeconds(30)).until(() ->
          http.get("/api/v1/plugin/get?id=" + NARROW, READER).data().path("in_flight").asInt() == 1);

      HttpCalls.Answer refused = execute("{\"id\":\"" + NARROW + "\",\"method\":\"echo\"}");

      assertEquals(429, refused.status(), refused.body().toString());
      assertEquals("10007", refused.code());
      assertEquals("OVERLOADED", refused.name());
      assertEquals(200, holding.get().status());
    }
  }

  @Test
  void tokensAreCheckedMissingOrWrongIs401ReadOnlyOnAWriteIs403() throws Exception {
    HttpCalls.Answer missing = http.get("/api/v1/plugin/list", null);
    assertEquals(401, missing.status());
    assertEquals("Bearer", missing.response().headers().firstValue("WWW-Authenticate").orElseThrow());
    assertEquals(401, http.get("/api/v1/plugin/list", "not-a-token").status());
    HttpCalls.Answer readOnly = execute("{}".replace("{}", "{\"id\":\"" + ECHO + "\",\"method\":\"echo\"}"));
    assertEquals(200, readOnly.status());
    assertEquals(403, http.post("/api/v1/plugin/execute", READER, "{\"id\":\"" + ECHO + "\",\"method\":\"echo\"}")
        .status());
    assertEquals(403, http.post("/api/v1/plugin/register", READER, "{\"id\":\"" + ECHO + "\"}").status());
    assertEquals(200, http.get("/api/v1/plugin/list", READER).status());
    assertEquals(200, http.get("/healthz", null).status());
    assertEquals(200, http.get("/metrics", null).status());
  }

  @Test
  void aDeclaredBodyOverTheLimitIs413BeforeAnyOfItIsSent() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", worker.httpAddress().orElseThrow().getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/v1/plugin/execute HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + WRITER
          + "\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String statusLine = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", statusLine);
    }
  }

  @Test
  void aChunkedBodyOverTheLimitIs413() throws Exception {
    byte[] big = new byte[LIMIT + 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    HttpCalls.Answer answer = http.send(http.request("/api/v1/plugin/execute", WRITER)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
    assertEquals(413, answer.status());
    assertEquals("PAYLOAD_TOO_LARGE", answer.name());
  }

  @Test
  void twoHundredConcurrentExecutesAreAllAnswered() throws Exception {
    List<Future<HttpCalls.Answer>> answers = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        String body = "{\"id\":\"" + WIDE + "\",\"method\":\"echo\",\"args\":{\"n\":" + i + "}}";
        answers.add(callers.submit(() -> execute(body)));
      }
    }
    for (int i = 0; i < 200; i++) {
      HttpCalls.Answer answer = answers.get(i).get();
      assertEquals(200, answer.status(), answer.body().toString());
      assertEquals(i, answer.data().path("data").path("n").asInt());
    }
  }
}
