package io.jankrunner.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short fault drill of CI: {@code scripts/drill}'s harness run as users run it (its own
 * process, two worker processes, a private broker) with 500 commands and one fault of each kind,
 * judged by the JSON object on the last line it prints.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.Shared.class) // runs the checkout's plugins
class DrillIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void noCommandIsLostOrInventedAndNoPluginOutlivesItsWorkerUnderOneFaultOfEachKind() throws Exception {
    Optional<String> missingGo = TestPlugins.missingGoToolchain();
    assumeTrue(missingGo.isEmpty(), () -> "skipping the drill, it runs the Go example: " + missingGo.orElse(""));
    List<String> command = new ArrayList<>(WorkerFleet.javaCommand());
    command.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), Drill.class.getName(),
        "--commands", "500", "--rate", "20", "--worker-kills", "1", "--plugin-kills", "1", "--plugin-stops", "1",
        "--broker-restarts", "1", "--wait-seconds", "90", "--repo", TestPlugins.repo().toString(),
        "--work-dir", work.resolve("drill").toString()));
    Path out = work.resolve("drill.out");
    Path err = work.resolve("drill.err");
    Process drill = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!drill.waitFor(8, TimeUnit.MINUTES)) {
      drill.descendants().forEach(ProcessHandle::destroyForcibly);
      drill.destroyForcibly();
    }
    List<String> lines = Files.readAllLines(out);
    String diagnostics = String.join("\n", lines) + "\n--- stderr ---\n" + tail(err);
    assertTrue(!lines.isEmpty() && lines.getLast().startsWith("{"), "no JSON last line:\n" + diagnostics);
    JsonNode figures = JSON.readTree(lines.getLast());
    System.out.println("drill figures: " + lines.getLast()); // in the build log, for RELIABILITY.md-style comparisons

    assertEquals(500, figures.path("sent").asInt(), diagnostics);
    for (String fault : List.of("worker_kill", "plugin_kill", "plugin_stop", "broker_restart")) {
      assertEquals(1, figures.path("faults").path(fault).asInt(), fault + " injected once\n" + diagnostics);
    }
    assertEquals(0, figures.path("lost").asInt(), "lost\n" + diagnostics);
    assertEquals(0, figures.path("phantom").asInt(), "phantom\n" + diagnostics);
    assertEquals(0, figures.path("orphans").asInt(), "orphans\n" + diagnostics);
    assertEquals(0, figures.path("invalid_misanswered").asInt(), "poison answered INVALID_COMMAND\n" + diagnostics);
    assertTrue(figures.path("errors").path("INVALID_COMMAND").asInt() > 0, "the poison was answered\n" + diagnostics);
    // Answered is not enough: a drill in which a plugin could not start at all (every call an
    // error) would pass every check above. How many calls succeed depends on the machine's load
    // (timeouts open circuits on a busy machine), so the check is that each plugin answered.
    figures.path("ok_by_plugin").properties().forEach(plugin -> assertTrue(plugin.getValue().asInt() > 0,
        plugin.getKey() + " answered no command ok\n" + diagnostics));
    assertEquals(2, figures.path("ok_by_plugin").size(), "both plugins called\n" + diagnostics);
    assertTrue(figures.path("hung_detected").asBoolean(false), "the SIGSTOPped plugin was found hung\n" + diagnostics);
  }

  private static String tail(Path file) throws java.io.IOException {
    List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
