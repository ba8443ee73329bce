package io.jankrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestClient;
import io.jankrunner.kafka.WorkerTestKit;
import io.jankrunner.plugin.TestPlugins;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runner plugins new} for each language, end to end as an author's plugin goes: scaffolded
 * into an empty plugins directory, registered through Kafka with a real worker (which runs the
 * plugin's own scripts/build.sh, as the plugin user the test suite sets, {@code worker}), and
 * called with {@code hello} on the execute topic (and refused by its argument schema with a
 * name that is not a string). A language whose toolchain is missing is skipped
 * with a message naming what to install.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.Shared.class) // builds against the checkout's SDKs
class PluginsNewIT {

  /**
   * A first build compiles go-plugin and gRPC (Go: over 5 min on a loaded 2-core machine) or runs
   * Maven (Java): up to the worker's build timeout.
   */
  private static final Duration BUILD_WAIT = Duration.ofMinutes(16);

  @TempDir Path plugins;
  @TempDir Path state;

  @Test
  void aGoPluginIsScaffoldedBuiltRegisteredThroughKafkaAndSaysHello() throws Exception {
    Optional<String> missing = TestPlugins.missingGoToolchain()
        .or(() -> Files.isDirectory(Path.of("/usr/share/gocode/src/github.com/hashicorp/go-plugin")) ? Optional.empty()
            : Optional.of("go-plugin's sources are not installed: apt-get install golang-github-hashicorp-go-plugin-dev"));
    assumeTrue(missing.isEmpty(), () -> "skipping the Go scaffold: " + missing.orElse(""));
    scaffoldRegisterAndGreet("go", "com.example.plugins.greeter-go");
  }

  @Test
  void aJavaPluginIsScaffoldedBuiltRegisteredThroughKafkaAndSaysHello() throws Exception {
    // The JDK this test runs on and the repo's Maven wrapper are all a Java plugin's build needs.
    scaffoldRegisterAndGreet("java", "com.example.plugins.greeter-java");
  }

  @Test
  void aNodePluginIsScaffoldedBuiltRegisteredThroughKafkaAndSaysHello() throws Exception {
    Optional<String> missing = TestPlugins.missingNode();
    assumeTrue(missing.isEmpty(), () -> "skipping the Node scaffold: " + missing.orElse(""));
    scaffoldRegisterAndGreet("node", "com.example.plugins.greeter-node");
  }

  @Test
  void aPythonPluginIsScaffoldedBuiltRegisteredThroughKafkaAndSaysHello() throws Exception {
    Optional<String> missing = TestPlugins.missingPython();
    assumeTrue(missing.isEmpty(), () -> "skipping the Python scaffold: " + missing.orElse("")
        + " (CI installs them with scripts/install-python-toolchain)");
    scaffoldRegisterAndGreet("python", "com.example.plugins.greeter-python");
  }

  @Test
  void theGeneratedSmokeTestBuildsThePluginAndGetsItsGreeting() throws Exception {
    // One language is enough: the smoke test is the same script for all of them. Python builds fastest.
    Optional<String> missing = TestPlugins.missingPython();
    assumeTrue(missing.isEmpty(), () -> "skipping the smoke test of a Python scaffold: " + missing.orElse(""));
    Path dir = plugins.resolve("smoked");
    assertEquals(0, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
        "plugins", "new", "--lang", "python", "com.example.plugins.smoked", dir.toString()));
    Path log = state.resolve("smoke.log");
    Process smoke = new ProcessBuilder(dir.resolve(PluginScaffold.SMOKE_TEST).toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean finished = smoke.waitFor(BUILD_WAIT.toSeconds(), TimeUnit.SECONDS);
    if (!finished) {
      smoke.descendants().forEach(ProcessHandle::destroyForcibly);
      smoke.destroyForcibly();
    }
    String output = Files.readString(log);
    assertTrue(finished, "smoke test still running: " + output);
    assertEquals(0, smoke.exitValue(), output);
    assertTrue(output.contains("Hello, smoke!") && output.contains("smoke test passed"), output);
  }

  @Test
  void refusesANonEmptyDirectoryAnInvalidIdAndAnUnknownLanguage() throws Exception {
    Path taken = Files.createDirectories(plugins.resolve("taken"));
    Files.writeString(taken.resolve("keep.txt"), "mine");
    for (String lang : PluginScaffold.languages()) {
      assertRefused("not empty", "--lang", lang, "com.example.plugins.taken", taken.toString());
      assertRefused("invalid plugin id '../escape'", "--lang", lang, "../escape", plugins.resolve("x").toString());
    }
    assertEquals("mine", Files.readString(taken.resolve("keep.txt")));
    assertRefused("unknown language 'cobol'; choose one of [go, java, node, python]",
        "--lang", "cobol", "com.example.x", plugins.resolve("y").toString());
    assertTrue(Files.notExists(plugins.resolve("x")) && Files.notExists(plugins.resolve("y")));
  }

  private void scaffoldRegisterAndGreet(String lang, String id) throws Exception {
    Path dir = plugins.resolve(PluginScaffold.name(id));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out), new PrintWriter(err), "plugins", "new", "--lang", lang, id, dir.toString());
    assertEquals(0, exit, err.toString());
    assertTrue(Files.isExecutable(dir.resolve("scripts/build.sh")));
    assertTrue(Files.isExecutable(dir.resolve(PluginScaffold.SMOKE_TEST)));

    try (WorkerTestKit kit = new WorkerTestKit(plugins, state, "pn")) {
      kit.start("w-new-" + lang, WorkerConfig.Mode.SHARE, false, 1, 16, Duration.ofSeconds(10),
          WorkerConfig.DEFAULT_MAX_POLL_INTERVAL);
      TestClient client = kit.client();
      String register = "register-" + lang;
      client.send(kit.topics().control(), id, TestClient.control(register, "register", id, kit.replyTo()));
      JsonNode registered = client.result(kit.replyTo(), register, BUILD_WAIT);
      assertEquals("ok", registered.path("status").asText(), registered.toString());

      ObjectNode hello = TestClient.execute("hello-" + lang, id, "hello", kit.replyTo());
      hello.putObject("args").put("name", "Ada");
      client.send(kit.topics().execute(), id, hello);
      JsonNode result = client.result(kit.replyTo(), "hello-" + lang, WorkerTestKit.WAIT);
      assertEquals("ok", result.path("status").asText(), result.toString());
      assertEquals(TestClient.JSON.readTree("{\"message\":\"Hello, Ada!\"}"), result.path("data"));

      // The scaffolded plugin.json's argument schema: a name that is not a string never reaches the plugin.
      ObjectNode numbered = TestClient.execute("hello-42-" + lang, id, "hello", kit.replyTo());
      numbered.putObject("args").put("name", 42);
      client.send(kit.topics().execute(), id, numbered);
      JsonNode refused = client.result(kit.replyTo(), "hello-42-" + lang, WorkerTestKit.WAIT);
      assertEquals("INVALID_ARGS", refused.path("error").path("code").asText(), refused.toString());
    }
  }

  private static void assertRefused(String reason, String... newArgs) {
    StringWriter err = new StringWriter();
    String[] args = new String[newArgs.length + 2];
    args[0] = "plugins";
    args[1] = "new";
    System.arraycopy(newArgs, 0, args, 2, newArgs.length);
    int exit = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    assertEquals(2, exit, err.toString());
    assertTrue(err.toString().contains(reason), err.toString());
  }
}
