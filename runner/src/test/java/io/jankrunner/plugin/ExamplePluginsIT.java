package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginStateListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The repo's example plugins, built by their own {@code scripts/build.sh} and called through the
 * manager: the Go one (hashicorp/go-plugin, Jank's proto) and the Java one (our SDK) must
 * behave the same.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.Shared.class) // runs the checkout's plugins
class ExamplePluginsIT {

  static final String GO = "com.jank.plugins.hello-world";
  static final String JAVA = "com.jank.plugins.hello-java";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static PluginManager manager;

  @BeforeAll
  static void registerExamples(@org.junit.jupiter.api.io.TempDir Path state) throws Exception {
    manager = new PluginManager(PluginManagerConfig.defaults(TestPlugins.repo().resolve("plugins"))
        .withStateDir(state).withStopGrace(Duration.ofSeconds(2)), PluginStateListener.NONE);
  }

  @AfterAll
  static void stopManager() {
    manager.close();
  }

  /** Registers the plugin once (building it when its binary is missing); skips Go without a toolchain. */
  private static void ensureRegistered(String id) throws RunnerException {
    if (id.equals(GO)) {
      Optional<String> missing = TestPlugins.missingGoToolchain();
      assumeTrue(missing.isEmpty(), () -> "skipping the Go plugin: " + missing.orElse(""));
    }
    if (!manager.get(id).orElseThrow().registered()) {
      manager.register(id);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void greetGreetsByName(String id) throws Exception {
    ensureRegistered(id);
    ObjectNode data = manager.execute(id, "greet", JSON.createObjectNode().put("name", "Ada")).data();
    assertEquals(JSON.readTree("{\"message\":\"Hello, Ada!\"}"), data);
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void greetWithoutANameIsAPluginError(String id) throws Exception {
    ensureRegistered(id);
    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute(id, "greet", JSON.createObjectNode()).data());
    assertEquals(ErrorCode.PLUGIN_ERROR, error.code());
    assertTrue(error.getMessage().contains("name"), error.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void infoDescribesThePluginFromItsManifest(String id) throws Exception {
    ensureRegistered(id);
    ObjectNode data = manager.execute(id, "info", JSON.createObjectNode()).data();
    assertEquals(id, data.get("id").asText());
    assertEquals("handler", data.get("type").asText());
    assertTrue(data.get("pid").asLong() > 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void echoRoundTripsEveryJsonType(String id) throws Exception {
    ensureRegistered(id);
    ObjectNode args = (ObjectNode) JSON.readTree("""
        {"null": null, "true": true, "false": false, "zero": 0, "int": 42, "negative": -7,
         "big": 9007199254740992, "float": 3.25, "tiny": 1.0E-10, "string": "plain", "empty": "",
         "unicode": "héllo 世界 🎉 \\u0000 \\"quoted\\" \\n newline",
         "list": [1, "two", [3.5, null], {"four": false}], "emptyList": [], "emptyObject": {},
         "nested": {"a": {"b": {"c": [{"d": "deep"}]}}}}
        """);
    assertEquals(args, manager.execute(id, "echo", args).data());
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void anUnknownMethodIsAPluginError(String id) throws Exception {
    ensureRegistered(id);
    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute(id, "no-such-method", JSON.createObjectNode()).data());
    assertEquals(ErrorCode.PLUGIN_ERROR, error.code());
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void twoHundredConcurrentCalls(String id) throws Exception {
    ensureRegistered(id);
    List<Future<ObjectNode>> answers = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        String name = "caller-" + i;
        answers.add(callers.submit(() -> manager.execute(id, "greet", JSON.createObjectNode().put("name", name)).data()));
      }
    }
    for (int i = 0; i < 200; i++) {
      assertEquals("Hello, caller-" + i + "!", answers.get(i).get().get("message").asText());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {GO, JAVA})
  void answersTheHealthCheck(String id) throws Exception {
    ensureRegistered(id);
    manager.execute(id, "echo", JSON.createObjectNode()).data();
    assertTrue(manager.healthy(id, Duration.ofSeconds(30)));
  }
}
