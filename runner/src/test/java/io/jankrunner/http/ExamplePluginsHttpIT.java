package io.jankrunner.http;

import io.jankrunner.config.ApiTokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jankrunner.kafka.TestBroker;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repo's example plugins (Java; Go when its toolchain is installed) through the HTTP API, as the README shows. */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.Shared.class) // runs the checkout's plugins
class ExamplePluginsHttpIT {

  static final String TOKEN = "example-token";
  @TempDir static Path state;
  static Worker worker;
  static HttpCalls http;

  @BeforeAll
  static void startWorker() throws Exception {
    worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), TestPlugins.repo().resolve("plugins"), "examples-1",
        WorkerConfig.Mode.SHARE, false, new Topics("x" + UUID.randomUUID().toString().substring(0, 8)), 1, 16,
        1024 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withHttp(new InetSocketAddress("127.0.0.1", 0), ApiTokens.parse(TOKEN)));
    http = new HttpCalls("http://127.0.0.1:" + worker.httpAddress().orElseThrow().getPort());
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void theJavaExampleGreetsOverHttpAndGetShowsItsManifest() throws Exception {
    greetsAndShowsItsManifest("com.jank.plugins.hello-java", false);
  }

  @Test
  void theGoExampleGreetsOverHttpRefusesANamelessGreetByItsSchemaAndGetShowsItsManifest() throws Exception {
    assumeTrue(TestPlugins.missingGoToolchain().isEmpty(), () -> TestPlugins.missingGoToolchain().orElseThrow());
    String plugin = "com.jank.plugins.hello-world";
    greetsAndShowsItsManifest(plugin, true); // Jank's hello-world asks for mTLS

    // Its plugin.json gives greet an args schema: the runner refuses a nameless greet itself.
    HttpCalls.Answer nameless = http.post("/api/v1/plugin/execute", TOKEN,
        "{\"id\":\"" + plugin + "\",\"method\":\"greet\",\"args\":{\"name\":\"\"}}");
    assertEquals(400, nameless.status(), nameless.body().toString());
    assertEquals("INVALID_ARGS", nameless.body().path("error").path("name").asText(), nameless.body().toString());
    assertTrue(nameless.body().path("data").asText().contains("/name: must be at least 1 characters long"),
        nameless.body().toString());
    HttpCalls.Answer got = http.get("/api/v1/plugin/get?id=" + plugin, TOKEN);
    assertEquals("name", got.data().path("methods").path("greet").path("args").path("required").path(0).asText(),
        got.data().toString());
  }

  private void greetsAndShowsItsManifest(String plugin, boolean autoMtls) throws Exception {
    HttpCalls.Answer registered = http.post("/api/v1/plugin/register", TOKEN, "{\"id\":\"" + plugin + "\"}");
    assertEquals(200, registered.status(), registered.body().toString());

    HttpCalls.Answer greeted = http.post("/api/v1/plugin/execute", TOKEN,
        "{\"id\":\"" + plugin + "\",\"method\":\"greet\",\"args\":{\"name\":\"Ada\"}}");
    assertEquals(200, greeted.status(), greeted.body().toString());
    assertEquals("greet", greeted.data().path("method").asText());
    assertEquals("Hello, Ada!", greeted.data().path("data").path("message").asText());

    HttpCalls.Answer got = http.get("/api/v1/plugin/get?id=" + plugin, TOKEN);
    assertEquals(200, got.status());
    assertEquals("handler", got.data().path("type").asText());
    assertEquals("1.0.0", got.data().path("version").asText());
    // Jank's auto_mtls is omitempty: absent when false.
    assertEquals(autoMtls, got.data().path("auto_mtls").asBoolean(false));
    assertEquals(autoMtls, got.data().has("auto_mtls"));
    assertEquals(1, got.data().path("instances").size(), got.data().toString());
  }
}
