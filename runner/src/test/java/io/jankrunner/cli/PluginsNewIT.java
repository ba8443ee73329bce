package io.jankrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.PluginStateListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runner plugins new} for each language: the scaffolded plugin is built by the real plugin
 * manager's build step (its scripts/build.sh), registered, and answers {@code hello}. Through the
 * plugin manager, not Kafka: what is under test is the template, and the manager is what a worker runs.
 */
class PluginsNewIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path plugins;
  @TempDir Path state;

  @Test
  void nodePluginBuildsRegistersAndSaysHello() throws Exception {
    Optional<String> missing = missingTool("node", "npm");
    assumeTrue(missing.isEmpty(), () -> "skipping the Node scaffold: " + missing.orElse(""));
    scaffoldBuildAndGreet("node", "com.example.plugins.greeter-node");
  }

  @Test
  void refusesANonEmptyDirectoryAnInvalidIdAndAnUnknownLanguage() throws Exception {
    Path taken = Files.createDirectories(plugins.resolve("taken"));
    Files.writeString(taken.resolve("keep.txt"), "mine");
    assertRefused("not empty", "--lang", "node", "com.example.plugins.taken", taken.toString());
    assertEquals("mine", Files.readString(taken.resolve("keep.txt")));
    assertRefused("invalid plugin id", "--lang", "node", "../escape", plugins.resolve("x").toString());
    assertRefused("unknown language 'cobol'", "--lang", "cobol", "com.example.x", plugins.resolve("y").toString());
    assertTrue(Files.notExists(plugins.resolve("x")) && Files.notExists(plugins.resolve("y")));
  }

  private void scaffoldBuildAndGreet(String lang, String id) throws Exception {
    Path dir = plugins.resolve(PluginScaffold.name(id));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out), new PrintWriter(err), "plugins", "new", "--lang", lang, id, dir.toString());
    assertEquals(0, exit, err.toString());
    assertTrue(Files.isExecutable(dir.resolve("scripts/build.sh")));
    assertTrue(Files.isExecutable(dir.resolve("scripts/smoke-test.sh")));

    try (PluginManager manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(2)), PluginStateListener.NONE)) {
      manager.register(id, true, line -> { });
      ObjectNode data = manager.execute(id, "hello", JSON.createObjectNode().put("name", "Ada")).data();
      assertEquals(JSON.readTree("{\"message\":\"Hello, Ada!\"}"), data);
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

  private static Optional<String> missingTool(String... tools) throws Exception {
    for (String tool : tools) {
      Process check = new ProcessBuilder("sh", "-c", "command -v " + tool).redirectErrorStream(true).start();
      if (check.waitFor() != 0) {
        return Optional.of(tool + " is not on PATH");
      }
    }
    return Optional.empty();
  }

}
