package io.jankrunner.http;

import static io.jankrunner.contract.ContractSchemas.RESULT;
import static io.jankrunner.contract.ContractSchemas.assertValid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.config.ApiTokens;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.worker.Worker;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * plugin.json's per-method argument schemas on a real worker, over Kafka and over HTTP: args that
 * fail the schema are answered INVALID_ARGS (HTTP 400, 10002) and never reach the plugin process
 * (it is not even started while cold, and its own count of calls leaves them out once warm);
 * valid args are answered as always; {@code get} shows the schemas; a plugin whose schema is
 * invalid cannot be registered and says why.
 */
class ArgSchemaIT {

  static final String GREETER = "test.plugins.greeter";
  static final String BAD_SCHEMA = "test.plugins.bad-schema";
  static final String TOKEN = "arg-schema-token";
  static final Duration WAIT = Duration.ofSeconds(90);
  static final String ECHO_ARGS = """
      {"type": "object", "required": ["name"], "additionalProperties": false,
       "properties": {"name": {"type": "string", "minLength": 1}}}""";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path plugins;
  @TempDir Path state;
  private Worker worker;
  private HttpCalls http;
  private TestClient kafka;
  private Topics topics;

  @BeforeEach
  void startWorker() throws Exception {
    // One instance at most, none kept warm: a call that reached the plugin would have to start it.
    TestPlugins.javaPlugin(plugins, "greeter", GREETER, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_instances\": 1, \"min_instances\": 0, \"methods\": {\"echo\": {\"args\": " + ECHO_ARGS
            + "}, \"calls\": {}}}");
    TestPlugins.javaPlugin(plugins, "bad-schema", BAD_SCHEMA, MisbehavingPlugin.class, "",
        "\"runner\": {\"methods\": {\"greet\": {\"args\": {\"type\": \"text\"}}}}");
    topics = new Topics("a" + UUID.randomUUID().toString().substring(0, 8));
    worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), plugins, "args-1", WorkerConfig.Mode.SHARE, false,
        topics, 1, 16, 64 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withHttp(new InetSocketAddress("127.0.0.1", 0), ApiTokens.parse(TOKEN)));
    http = new HttpCalls("http://127.0.0.1:" + worker.httpAddress().orElseThrow().getPort());
    kafka = new TestClient(TestBroker.bootstrap());
  }

  @AfterEach
  void stopWorker() {
    if (kafka != null) {
      kafka.close();
    }
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void argsThatFailTheMethodsSchemaAreRefusedOverKafkaAndHttpWithoutReachingThePlugin() throws Exception {
    assertEquals("ok", control("register", GREETER).path("status").asText());

    JsonNode refused = execute("k-missing", "echo", "{}");
    assertRefused(refused, "args do not match the schema of method echo: required property 'name' not found");
    HttpCalls.Answer refusedOverHttp = httpExecute("echo", "{\"name\": 5}");
    assertHttpRefused(refusedOverHttp, "/name: integer found, string expected");

    JsonNode cold = control("get", GREETER).path("data");
    assertEquals(0, cold.path("instances").size(), "no call started the plugin: " + cold);
    assertEquals(JSON.readTree(ECHO_ARGS), cold.path("methods").path("echo").path("args"), cold.toString());

    JsonNode answered = execute("k-valid", "echo", "{\"name\": \"Ada\"}");
    assertEquals("ok", answered.path("status").asText(), answered.toString());
    assertEquals("Ada", answered.path("data").path("name").asText());
    HttpCalls.Answer answeredOverHttp = httpExecute("echo", "{\"name\": \"Grace\"}");
    assertEquals(200, answeredOverHttp.status(), answeredOverHttp.body().toString());
    assertEquals("Grace", answeredOverHttp.data().path("data").path("name").asText());

    // Warm now: the refusals still never reach it.
    assertRefused(execute("k-extra", "echo", "{\"name\": \"Ada\", \"shout\": true}"),
        "property 'shout' is not defined in the schema");
    assertHttpRefused(httpExecute("echo", "{\"name\": \"\"}"), "/name: must be at least 1 characters long");

    JsonNode counted = execute("k-calls", "calls", "{}");
    assertEquals("ok", counted.path("status").asText(), counted.toString());
    assertEquals(3, counted.path("data").path("calls").asInt(), "the plugin received the two valid echoes and this "
        + "call, none of the four refused: " + counted);
  }

  @Test
  void getOverHttpShowsTheMethodsBesideJanksFields() throws Exception {
    HttpCalls.Answer answer = http.get("/api/v1/plugin/get?id=" + GREETER, TOKEN);

    assertEquals(200, answer.status(), answer.body().toString());
    JsonNode plugin = answer.data();
    assertEquals(GREETER, plugin.path("id").asText());
    assertEquals("./bin/plugin", plugin.path("binary").asText());
    assertEquals(JSON.readTree(ECHO_ARGS), plugin.path("methods").path("echo").path("args"), plugin.toString());
    assertEquals(JSON.createObjectNode(), plugin.path("methods").path("calls"), "declared without a schema");
  }

  @Test
  void aPluginWhoseSchemaIsInvalidCannotBeRegisteredAndSaysWhichMethod() throws Exception {
    JsonNode overKafka = control("register", BAD_SCHEMA);
    assertEquals("error", overKafka.path("status").asText(), overKafka.toString());
    assertTrue(overKafka.path("error").path("message").asText().contains("runner.methods.greet.args is not a valid "
        + "JSON Schema"), overKafka.toString());

    HttpCalls.Answer overHttp = http.post("/api/v1/plugin/register", TOKEN, "{\"id\":\"" + BAD_SCHEMA + "\"}");
    assertEquals(500, overHttp.status(), overHttp.body().toString());
    assertTrue(overHttp.body().path("data").asText().contains("runner.methods.greet.args"), overHttp.body().toString());

    JsonNode listed = http.get("/api/v1/plugin/get?id=" + BAD_SCHEMA, TOKEN).data();
    assertEquals("incomplete", listed.path("status").asText(), listed.toString());
    assertTrue(listed.path("reason").asText().contains("/type: does not have a value in the enumeration"),
        listed.toString());
  }

  private static void assertRefused(JsonNode result, String reason) {
    assertValid(RESULT, result);
    assertEquals("error", result.path("status").asText(), result.toString());
    assertEquals("INVALID_ARGS", result.path("error").path("code").asText(), result.toString());
    assertFalse(result.path("error").path("retriable").asBoolean(), result.toString());
    assertEquals(0, result.path("attempts").asInt(), "no plugin call: " + result);
    assertTrue(result.path("error").path("message").asText().contains(reason), result.toString());
  }

  private static void assertHttpRefused(HttpCalls.Answer answer, String reason) {
    assertEquals(400, answer.status(), answer.body().toString());
    JsonNode error = answer.body().path("error");
    assertEquals("10002", error.path("code").asText(), answer.body().toString());
    assertEquals("INVALID_ARGS", error.path("name").asText(), answer.body().toString());
    assertTrue(answer.body().path("data").asText().contains(reason), answer.body().toString());
  }

  private JsonNode control(String type, String plugin) {
    String id = type + "-" + UUID.randomUUID();
    kafka.send(topics.control(), plugin, TestClient.control(id, type, plugin, topics.results()));
    return kafka.result(topics.results(), id, WAIT);
  }

  private JsonNode execute(String id, String method, String args) throws Exception {
    ObjectNode command = TestClient.execute(id, GREETER, method, topics.results());
    command.set("args", JSON.readTree(args));
    kafka.send(topics.execute(), GREETER, command);
    return kafka.result(topics.results(), id, WAIT);
  }

  private HttpCalls.Answer httpExecute(String method, String args) throws Exception {
    return http.post("/api/v1/plugin/execute", TOKEN, "{\"id\":\"" + GREETER + "\",\"method\":\"" + method
        + "\",\"args\":" + args + "}");
  }
}
