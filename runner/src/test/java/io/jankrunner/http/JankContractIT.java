package io.jankrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.config.ApiTokens;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.worker.Worker;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream Jank's {@code /api/v1/plugin/*} contract, written from Done-0/Jank's own code at
 * 83979eee9ee5585eca2bd2bb4c0a9bea1d439583 (each expectation names the file it comes from), over
 * a real worker, broker and plugin processes: what a client written against upstream relies on.
 */
class JankContractIT {

  /** A plain id, as upstream's docs use them: pkg/serve/controller/dto/plugin.go validates only min=1,max=100. */
  static final String PLAIN = "hello-world";
  static final String COLD = "com.example.cold";
  static final String BROKEN = "com.example.broken";
  static final String SPARE = "com.example.spare";
  static final String SOURCE = "com.example.source";
  static final String TOKEN = "contract-token";
  static final String SECRET = "jank-jwt-secret-for-tests";
  static final String ALLOWED_ORIGIN = "https://console.example";

  // pkg/vo/plugin.go GetPluginResponse: the fields without omitempty, always present, with their Go types.
  static final List<String> ALWAYS_STRINGS = List.of("id", "name", "version", "author", "repository", "binary", "type",
      "status");
  static final List<String> ALWAYS_BOOLEANS = List.of("auto_start");
  // ... and the omitempty ones: left out when zero, so when present a non-empty string, a positive number or true.
  static final List<String> OPTIONAL_STRINGS = List.of("description", "process_id", "protocol", "network_addr");
  static final List<String> OPTIONAL_NUMBERS = List.of("start_timeout", "min_port", "max_port", "started_at",
      "negotiated_version", "process_pid", "protocol_version");
  static final List<String> OPTIONAL_TRUE = List.of("auto_mtls", "managed", "is_exited");

  @TempDir static Path plugins;
  @TempDir static Path state;
  static Topics topics;
  static Worker worker;
  static HttpCalls http;

  @BeforeAll
  static void startWorker() throws Exception {
    // A copy of the Java example's manifest fields under a plain id, served by a test plugin.
    String exampleFields = "\"author\": \"jank-runner\", \"description\": \"greets\","
        + " \"repository\": \"https://example.invalid/hello\", \"min_port\": 10000, \"max_port\": 25000,"
        + " \"managed\": true, \"runner\": {\"max_concurrency\": 8}";
    TestPlugins.javaPlugin(plugins, "hello-world", PLAIN, MisbehavingPlugin.class, "", exampleFields);
    TestPlugins.javaPlugin(plugins, "cold", COLD, MisbehavingPlugin.class, "", "");
    TestPlugins.javaPlugin(plugins, "spare", SPARE, MisbehavingPlugin.class, "", "");
    TestPlugins.scriptPlugin(plugins, "broken", BROKEN, "echo 'cannot start' >&2; exit 1",
        "\"runner\": {\"retry\": {\"max_attempts\": 1}}");
    Path source = Files.createDirectories(plugins.resolve("source"));
    Files.writeString(source.resolve("plugin.json"), TestPlugins.manifest(SOURCE, "./bin/not-built", ""));
    TestPlugins.executable(source.resolve("scripts/build.sh"), "#!/bin/sh\nexit 1\n");
    Path unreadable = Files.createDirectories(plugins.resolve("unreadable"));
    Files.writeString(unreadable.resolve("plugin.json"), "{ not json");
    Path badId = Files.createDirectories(plugins.resolve("bad-id"));
    Files.writeString(badId.resolve("plugin.json"), TestPlugins.manifest("p".repeat(101), "./bin/plugin", ""));

    topics = new Topics("c" + UUID.randomUUID().toString().substring(0, 8));
    worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), plugins, "contract-1", WorkerConfig.Mode.SHARE,
        false, topics, 1, 16, 64 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withHttp(new InetSocketAddress("127.0.0.1", 0), ApiTokens.parse(TOKEN).withJwtSecret(SECRET)
            .withCorsOrigins(List.of(ALLOWED_ORIGIN))));
    http = new HttpCalls("http://127.0.0.1:" + worker.httpAddress().orElseThrow().getPort());
    for (String plugin : List.of(PLAIN, COLD, BROKEN)) {
      HttpCalls.Answer registered = post("register", "{\"id\":\"" + plugin + "\"}");
      assertEquals(200, registered.status(), registered.body().toString());
    }
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  static HttpCalls.Answer post(String route, String body) throws Exception {
    return http.post("/api/v1/plugin/" + route, TOKEN, body);
  }

  static HttpCalls.Answer get(String pathAndQuery) throws Exception {
    return http.get("/api/v1/plugin/" + pathAndQuery, TOKEN);
  }

  /** internal/utils/vo/result_utils.go Success: data, requestId, timeStamp (time.Now().Unix()), no error. */
  static JsonNode success(HttpCalls.Answer answer) {
    assertEquals(200, answer.status(), answer.body().toString());
    JsonNode body = answer.body();
    assertFalse(body.has("error"), body.toString());
    assertTrue(body.path("requestId").isTextual(), body.toString());
    assertSeconds(body.path("timeStamp"));
    return body.path("data");
  }

  /**
   * internal/utils/vo/result_utils.go Fail: error.code the errno number as text, error.message,
   * the failure's detail in data; pkg/serve/controller/plugin.go the HTTP status.
   */
  static void failure(HttpCalls.Answer answer, int status, String code) {
    assertEquals(status, answer.status(), answer.body().toString());
    JsonNode body = answer.body();
    assertEquals(code, body.path("error").path("code").asText(), body.toString());
    assertTrue(body.path("error").path("message").isTextual(), body.toString());
    // The controllers pass the error as Fail's data; internal/middleware/jwt/jwt.go's Unauthorized passes nil,
    // which Result's data,omitempty leaves out.
    assertEquals(!code.equals("10003"), body.has("data"), "detail in data: " + body);
    assertTrue(body.path("requestId").isTextual(), body.toString());
    assertSeconds(body.path("timeStamp"));
  }

  static void assertSeconds(JsonNode time) {
    assertTrue(time.isIntegralNumber(), "Unix seconds: " + time);
    assertTrue(Math.abs(time.asLong() - Instant.now().getEpochSecond()) < 600, "Unix seconds, not ms: " + time);
  }

  /** pkg/vo/plugin.go GetPluginResponse: every field with its type and presence. */
  static void assertJanksPluginShape(JsonNode plugin) {
    for (String field : ALWAYS_STRINGS) {
      assertTrue(plugin.path(field).isTextual(), field + " is an always-present string: " + plugin);
    }
    for (String field : ALWAYS_BOOLEANS) {
      assertTrue(plugin.path(field).isBoolean(), field + " is an always-present boolean: " + plugin);
    }
    for (String field : OPTIONAL_STRINGS) {
      if (plugin.has(field)) {
        assertTrue(plugin.get(field).isTextual() && !plugin.get(field).asText().isEmpty(), field + ": " + plugin);
      }
    }
    for (String field : OPTIONAL_NUMBERS) {
      if (plugin.has(field)) {
        assertTrue(plugin.get(field).isIntegralNumber() && plugin.get(field).asLong() > 0, field + ": " + plugin);
      }
    }
    for (String field : OPTIONAL_TRUE) {
      if (plugin.has(field)) {
        assertTrue(plugin.get(field).isBoolean() && plugin.get(field).asBoolean(), field + ": " + plugin);
      }
    }
    plugin.fieldNames().forEachRemaining(field -> assertFalse(plugin.get(field).isNull(), field + " is null: " + plugin));
  }

  static Map<String, JsonNode> listAll(String query) throws Exception {
    JsonNode page = success(get("list?page_no=1&page_size=100" + query));
    // pkg/vo/plugin.go ListPluginsResponse: total, page_no, page_size as numbers and list an array.
    assertTrue(page.path("total").isIntegralNumber(), page.toString());
    assertEquals(1, page.path("page_no").asInt());
    assertEquals(100, page.path("page_size").asInt());
    assertTrue(page.path("list").isArray(), page.toString());
    Map<String, JsonNode> byDirectory = new java.util.HashMap<>();
    for (JsonNode plugin : page.path("list")) {
      assertJanksPluginShape(plugin);
      byDirectory.put(Path.of(plugin.path("directory").asText()).getFileName().toString(), plugin);
    }
    return byDirectory;
  }

  @Test
  void aPlainIdPluginRegistersExecutesOverHttpAndKafkaAndGetShowsEveryUpstreamField() throws Exception {
    // pkg/vo/plugin.go ExecutePluginResponse: method and data.
    JsonNode executed = success(post("execute", "{\"id\":\"" + PLAIN + "\",\"method\":\"echo\",\"args\":{\"n\":1}}"));
    assertEquals("echo", executed.path("method").asText());
    assertEquals(1, executed.path("data").path("n").asInt());

    try (TestClient kafka = new TestClient(TestBroker.bootstrap())) {
      String replyTo = topics.results();
      kafka.send(topics.execute(), PLAIN, TestClient.execute("contract-kafka-1", PLAIN, "echo", replyTo));
      JsonNode result = kafka.result(replyTo, "contract-kafka-1", Duration.ofSeconds(120));
      assertEquals("ok", result.path("status").asText(), result.toString());
    }

    JsonNode plugin = success(get("get?id=" + PLAIN));
    assertJanksPluginShape(plugin);
    assertEquals(PLAIN, plugin.path("id").asText());
    assertEquals("jank-runner", plugin.path("author").asText());
    assertEquals("greets", plugin.path("description").asText());
    assertEquals("handler", plugin.path("type").asText());
    assertEquals(10000, plugin.path("min_port").asInt());
    assertEquals(25000, plugin.path("max_port").asInt());
    assertEquals(60000, plugin.path("start_timeout").asInt());
    assertTrue(plugin.path("managed").asBoolean());
    assertFalse(plugin.has("auto_mtls"), "omitempty false: " + plugin);
    // internal/plugin/impl/plugin_manager.go: a registered plugin is consts.PluginStatusRunning.
    assertEquals("running", plugin.path("status").asText());
    // plugin_manager.go refreshPluginInfo: go-plugin's client.ID() (the pid as text), Protocol(), the pid and versions.
    assertSeconds(plugin.path("started_at"));
    assertTrue(plugin.path("process_pid").isIntegralNumber(), plugin.toString());
    assertEquals(plugin.path("process_pid").asText(), plugin.path("process_id").asText());
    assertEquals("grpc", plugin.path("protocol").asText());
    assertEquals(1, plugin.path("negotiated_version").asInt());
    assertEquals(1, plugin.path("protocol_version").asInt());
    assertFalse(plugin.has("is_exited"), "a live process has not exited (omitempty false): " + plugin);
    // The runner's additions beside upstream's fields.
    assertTrue(plugin.path("registered").asBoolean());
    assertTrue(plugin.path("instances").isArray());
  }

  @Test
  void aRegisteredPluginWithNoProcessYetIsRunningAndLeavesOutTheProcessFields() throws Exception {
    JsonNode plugin = success(get("get?id=" + COLD));
    assertJanksPluginShape(plugin);
    assertEquals("running", plugin.path("status").asText(), plugin.toString());
    // pkg/vo/plugin.go: process_pid and friends are omitempty, so absent, never null, without a process.
    for (String field : List.of("process_pid", "process_id", "protocol", "negotiated_version", "protocol_version")) {
      assertFalse(plugin.has(field), field + ": " + plugin);
    }
  }

  @Test
  void aPluginThatCannotStartIsError() throws Exception {
    // pkg/serve/controller/plugin.go ExecutePlugin: a failed execute is 500 ErrExecutePluginFailed (20004).
    failure(post("execute", "{\"id\":\"" + BROKEN + "\",\"method\":\"echo\"}"), 500, "20004");
    // plugin_manager.go ExecutePlugin: a failing plugin is consts.PluginStatusError.
    JsonNode plugin = success(get("get?id=" + BROKEN));
    assertJanksPluginShape(plugin);
    assertEquals("error", plugin.path("status").asText(), plugin.toString());
  }

  @Test
  void listShowsAvailableSourceOnlyAndIncompletePluginsWithEveryStringPresent() throws Exception {
    Map<String, JsonNode> all = listAll("");
    // plugin_manager.go ListPlugins / pkg/plugin/consts/plugin.go: the words of unregistered plugins.
    assertEquals("available", all.get("spare").path("status").asText());
    assertEquals("source_only", all.get("source").path("status").asText());
    assertEquals("incomplete", all.get("unreadable").path("status").asText());
    assertEquals("incomplete", all.get("bad-id").path("status").asText());
    assertEquals("running", all.get("hello-world").path("status").asText());
    // The console calls name.toLowerCase() and id.toLowerCase(): empty strings where nothing could be read.
    assertEquals("", all.get("unreadable").path("id").asText());
    assertEquals("", all.get("unreadable").path("name").asText());
    assertEquals("", all.get("unreadable").path("type").asText());
    assertFalse(all.get("unreadable").path("auto_start").asBoolean());
    // Unregistered plugins have no process: no omitempty runtime field.
    for (String dir : List.of("spare", "source", "unreadable", "bad-id")) {
      for (String field : List.of("started_at", "process_pid", "process_id", "protocol")) {
        assertFalse(all.get(dir).has(field), dir + " " + field + ": " + all.get(dir));
      }
    }
    // pkg/serve/service/impl/plugin.go ListPlugins: status filters on the same word.
    Map<String, JsonNode> sourceOnly = listAll("&status=source_only");
    assertEquals(Set.of("source"), sourceOnly.keySet());
    JsonNode got = success(get("get?id=" + SOURCE));
    assertJanksPluginShape(got);
    assertEquals("source_only", got.path("status").asText());
    JsonNode spare = success(get("get?id=" + SPARE));
    assertJanksPluginShape(spare);
    assertEquals("available", spare.path("status").asText());
  }

  @Test
  void registerAndUnregisterAnswerDataMessage() throws Exception {
    // pkg/vo/plugin.go RegisterPluginResponse / UnregisterPluginResponse: {"message": ...}.
    JsonNode registered = success(post("register", "{\"id\":\"" + SPARE + "\"}"));
    assertTrue(registered.path("message").isTextual() && !registered.path("message").asText().isEmpty(),
        registered.toString());
    JsonNode unregistered = success(post("unregister", "{\"id\":\"" + SPARE + "\"}"));
    assertTrue(unregistered.path("message").isTextual() && !unregistered.path("message").asText().isEmpty(),
        unregistered.toString());
  }

  @Test
  void eachErrorPathHasUpstreamsCodeAndStatus() throws Exception {
    // pkg/serve/controller/plugin.go: BindJSON failed and validator.Validate failed are 400 ErrInvalidParams,
    // internal/types/errno (10002).
    failure(post("register", "{ not json"), 400, "10002");
    failure(post("register", "{}"), 400, "10002");
    // pkg/serve/controller/dto/plugin.go RegisterPluginRequest: id max=100.
    failure(post("register", "{\"id\":\"" + "p".repeat(101) + "\"}"), 400, "10002");
    failure(post("unregister", "{}"), 400, "10002");
    failure(post("execute", "{\"id\":\"" + PLAIN + "\"}"), 400, "10002"); // ExecutePluginRequest method required
    failure(get("get"), 400, "10002"); // GetPluginRequest id required
    failure(get("list?page_no=1&page_size=101"), 400, "10002"); // ListPluginsRequest page_size max=100
    failure(get("list?page_no=x&page_size=10"), 400, "10002"); // BindQuery failed
    // internal/types/errno/plugin.go and the controller's 500s, one per operation.
    failure(get("get?id=com.example.nobody"), 500, "20001");
    failure(post("register", "{\"id\":\"com.example.nobody\"}"), 500, "20002");
    failure(post("unregister", "{\"id\":\"com.example.nobody\"}"), 500, "20003");
    failure(post("execute", "{\"id\":\"com.example.nobody\",\"method\":\"echo\"}"), 500, "20004");
  }

  @Test
  void aJwtSignedWithTheSecretIsAcceptedAnExpiredOrForeignOneIs401() throws Exception {
    // internal/middleware/jwt/jwt.go: HS256 with JWT.SECRET, exp checked, a failure is 401 ErrUnauthorized (10003).
    Instant now = Instant.now();
    String good = JWT.create().withClaim("sub", 42).withExpiresAt(Date.from(now.plusSeconds(600)))
        .sign(Algorithm.HMAC256(SECRET));
    String expired = JWT.create().withClaim("sub", 42).withExpiresAt(Date.from(now.minusSeconds(600)))
        .sign(Algorithm.HMAC256(SECRET));
    String foreign = JWT.create().withClaim("sub", 42).withExpiresAt(Date.from(now.plusSeconds(600)))
        .sign(Algorithm.HMAC256("someone-elses-secret"));
    success(http.get("/api/v1/plugin/list?page_no=1&page_size=10", good));
    for (String refused : List.of(expired, foreign)) {
      failure(http.get("/api/v1/plugin/list?page_no=1&page_size=10", refused), 401, "10003");
    }
    failure(http.get("/api/v1/plugin/list?page_no=1&page_size=10", null), 401, "10003");
  }

  @Test
  void aPreflightFromAnAllowedOriginIsAnsweredAndFromAnotherRefused() throws Exception {
    // internal/middleware/cors/cors.go: a preflight names the allowed origin, methods and headers.
    HttpCalls.Answer allowed = http.send(preflight(ALLOWED_ORIGIN));
    assertEquals(204, allowed.status());
    assertEquals(ALLOWED_ORIGIN,
        allowed.response().headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertTrue(allowed.response().headers().firstValue("Access-Control-Allow-Headers").orElse("")
        .contains("Authorization"));
    HttpCalls.Answer other = http.send(preflight("https://elsewhere.example"));
    assertEquals(403, other.status());
    assertTrue(other.response().headers().firstValue("Access-Control-Allow-Origin").isEmpty());
  }

  private static HttpRequest preflight(String origin) {
    return http.request("/api/v1/plugin/list", null).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", origin).header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization").build();
  }
}
