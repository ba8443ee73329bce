package io.jankrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code scripts/demo}, as a new user runs it: it starts its own
 * broker (on free ports, its data in a temp dir, so it cannot meet the suite's broker), builds
 * the example plugin, starts a worker, sends a register and a greet through Kafka, calls the HTTP
 * API, and stops everything it started.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.class) // builds in the checkout's plugins
class DemoIT {

  private static final Path REPO = Path.of(System.getProperty("jankrunner.repo", "..")).toAbsolutePath().normalize();

  @TempDir Path kafkaDir;

  @Test
  void theDemoPrintsTheGreetingFromKafkaAndFromHttpAndLeavesNothingRunning() throws Exception {
    int brokerPort = freePort();
    int controllerPort = freePort();
    Path log = kafkaDir.resolve("demo.log");
    ProcessBuilder builder = new ProcessBuilder("bash", "scripts/demo")
        .directory(REPO.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().remove("KAFKA_BOOTSTRAP_SERVERS");
    builder.environment().put("KAFKA_LOCAL_DIR", kafkaDir.resolve("broker").toString());
    builder.environment().put("KAFKA_LOCAL_PORT", Integer.toString(brokerPort));
    builder.environment().put("KAFKA_LOCAL_CONTROLLER_PORT", Integer.toString(controllerPort));
    builder.environment().put("JANK_DEMO_HTTP_PORT", Integer.toString(freePort()));
    Process demo = builder.start();
    try {
      assertTrue(demo.waitFor(10, TimeUnit.MINUTES), "the demo did not finish:\n" + Files.readString(log));
      String output = Files.readString(log);
      assertEquals(0, demo.exitValue(), "the demo failed:\n" + output);
      // The Go example when its toolchain is there (CI installs it), else the Java one: both greet.
      assertTrue(output.contains("Hello, Ada!"), "no greeting from the Kafka round trip:\n" + output);
      assertTrue(output.contains("Hello, Grace!"), "no greeting from the HTTP call:\n" + output);
      assertTrue(output.contains("\"status\" : \"ok\""), output);
      assertTrue(output.contains("jank_commands_answered_total"), "no metrics shown:\n" + output);
      assertFalse(listening(brokerPort), "the demo's broker is still listening on " + brokerPort);
    } finally {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
