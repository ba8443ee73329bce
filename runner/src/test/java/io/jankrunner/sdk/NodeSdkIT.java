package io.jankrunner.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.PluginReply;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.TestPlugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Node SDK (proto/sdk-node) through the real plugin manager: the repo's hello-node example,
 * built by its own scripts/build.sh, over auto-mTLS (its manifest) and over plaintext (the same
 * program under a manifest without auto_mtls), and a plugin of the test's own that keeps a call
 * running while it gets SIGTERM.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.class) // builds in the checkout's plugins
class NodeSdkIT {

  private static final String HELLO = "com.jank.plugins.hello-node";
  private static final String PLAIN = "test.plugins.hello-node-plain";
  private static final String SLOW = "test.plugins.node-slow";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path plugins;
  @TempDir Path state;
  private PluginManager manager;

  @BeforeAll
  static void nodeIsInstalled() {
    Optional<String> missing = missingNode();
    assumeTrue(missing.isEmpty(), () -> "skipping the Node SDK's tests: " + missing.orElse(""));
  }

  @AfterEach
  void stopManager() {
    if (manager != null) {
      manager.close();
    }
  }

  private PluginManager manager(Path pluginsDir) throws IOException {
    manager = new PluginManager(PluginManagerConfig.defaults(pluginsDir).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(10)), PluginStateListener.NONE);
    return manager;
  }

  private static Path helloNode() {
    return TestPlugins.repo().resolve("plugins/hello-node");
  }

  /** The repo's plugins directory (hello-node's manifest: auto_mtls), or one with hello-node in plaintext. */
  private String registered(String id) throws Exception {
    if (id.equals(HELLO)) {
      manager(TestPlugins.repo().resolve("plugins")).register(HELLO);
      assertTrue(manager.manifest(HELLO).orElseThrow().autoMtls());
      return HELLO;
    }
    // Built first through the repo's manifest, then served by the same main.js under ours.
    manager(TestPlugins.repo().resolve("plugins")).register(HELLO);
    manager.close();
    Path dir = Files.createDirectories(plugins.resolve("plain"));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest(PLAIN, "./bin/plugin", "\"auto_mtls\": false"));
    TestPlugins.executable(dir.resolve("bin/plugin"),
        "#!/bin/sh\nexec '" + helloNode().resolve("bin/hello-node") + "'\n");
    manager(plugins).register(PLAIN);
    assertFalse(manager.manifest(PLAIN).orElseThrow().autoMtls());
    return PLAIN;
  }

  @ParameterizedTest
  @ValueSource(strings = {HELLO, PLAIN})
  void greetsEchoesAndDescribesItself(String which) throws Exception {
    String id = registered(which);
    assertEquals("Hello, Ada!", manager.execute(id, "greet", JSON.createObjectNode().put("name", "Ada"))
        .data().path("message").asText());
    ObjectNode args = (ObjectNode) JSON.readTree("""
        {"null": null, "true": true, "false": false, "zero": 0, "int": 42, "negative": -7,
         "big": 9007199254740992, "float": 3.25, "tiny": 1.0E-10, "string": "plain", "empty": "",
         "unicode": "héllo 世界 🎉 \\u0000 \\"quoted\\" \\n newline",
         "list": [1, "two", [3.5, null], {"four": false}], "emptyList": [], "emptyObject": {},
         "nested": {"a": {"b": {"c": [{"d": "deep"}]}}}}
        """);
    assertEquals(args, manager.execute(id, "echo", args).data());
    ObjectNode info = manager.execute(id, "info", JSON.createObjectNode()).data();
    assertEquals(id, info.path("id").asText());
    assertEquals("node", info.path("language").asText());
    assertTrue(manager.healthy(id, Duration.ofSeconds(5)));
  }

  @ParameterizedTest
  @ValueSource(strings = {HELLO, PLAIN})
  void answersErrorsWithTheirMessages(String which) throws Exception {
    String id = registered(which);
    RunnerException noName = assertThrows(RunnerException.class,
        () -> manager.execute(id, "greet", JSON.createObjectNode()));
    assertEquals(ErrorCode.PLUGIN_ERROR, noName.code());
    assertTrue(noName.getMessage().contains("greet needs a string argument 'name'"), noName.getMessage());
    RunnerException unknown = assertThrows(RunnerException.class,
        () -> manager.execute(id, "no-such-method", JSON.createObjectNode()));
    assertEquals(ErrorCode.PLUGIN_ERROR, unknown.code());
    assertTrue(unknown.getMessage().contains("unknown method 'no-such-method'"), unknown.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {HELLO, PLAIN})
  void twoHundredConcurrentCalls(String which) throws Exception {
    String id = registered(which);
    List<Future<ObjectNode>> answers = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        String name = "caller-" + i;
        answers.add(callers.submit(() -> manager.execute(id, "greet", JSON.createObjectNode().put("name", name)).data()));
      }
    }
    for (int i = 0; i < 200; i++) {
      assertEquals("Hello, caller-" + i + "!", answers.get(i).get().path("message").asText());
    }
  }

  @Test
  void sigtermLetsTheCallInFlightFinishThenExits() throws Exception {
    Path dir = Files.createDirectories(plugins.resolve("slow"));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest(SLOW, "./bin/plugin", "\"auto_mtls\": true"));
    Files.writeString(dir.resolve("main.js"), """
        const { serve } = require(%s);
        serve({
          async execute(method, args) {
            if (method === 'pid') return { pid: process.pid };
            await new Promise((resolve) => setTimeout(resolve, args.ms));
            return { slept: args.ms };
          },
        });
        """.formatted(JSON.writeValueAsString(TestPlugins.repo().resolve("proto/sdk-node").toString())));
    // The SDK's dependencies come from hello-node's build (it installs them in proto/sdk-node).
    manager(TestPlugins.repo().resolve("plugins")).register(HELLO);
    manager.close();
    TestPlugins.executable(dir.resolve("bin/plugin"), "#!/bin/sh\nexec '" + nodeBinary() + "' main.js\n");
    manager(plugins).register(SLOW);
    long pid = manager.execute(SLOW, "pid", JSON.createObjectNode()).data().path("pid").asLong();
    ProcessHandle plugin = ProcessHandle.of(pid).orElseThrow();

    CompletableFuture<PluginReply> slow = manager.executeAsync(SLOW, "sleep", JSON.createObjectNode().put("ms", 1500),
        Optional.empty(), Optional.empty());
    Thread.sleep(300); // the call has reached the plugin (a liveness margin, not a timing assertion)
    new ProcessBuilder("kill", "-TERM", Long.toString(pid)).inheritIO().start().waitFor();

    assertEquals(1500, slow.get(30, TimeUnit.SECONDS).data().path("slept").asInt());
    plugin.onExit().get(30, TimeUnit.SECONDS);
    manager.close();
    manager = null;
    assertEquals(0, TestPlugins.livingChildProcesses());
  }

  private static String nodeBinary() {
    return TestPlugins.onPath("node").orElseThrow(() -> new IllegalStateException("node is not on PATH")).toString();
  }

  /** Why the Node tests cannot run here, if they cannot: node or npm missing. */
  static Optional<String> missingNode() {
    return TestPlugins.missingNode();
  }
}
