package io.jankrunner.drill;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code scripts/kafka-local} broker for one drill: its own data directory and free
 * loopback ports, so a drill never restarts a broker someone else uses. {@code stop} then
 * {@code start} keeps the data, which is what the broker-restart fault needs.
 */
final class LocalBroker implements AutoCloseable {

  private final Path script;
  private final Path dir;
  private final int port;
  private final int controllerPort;
  private String bootstrap;

  LocalBroker(Path repo, Path dir) throws IOException {
    this.script = repo.resolve("scripts/kafka-local");
    this.dir = dir;
    this.port = freePort();
    int controller = freePort();
    while (controller == port) {
      controller = freePort();
    }
    this.controllerPort = controller;
  }

  /** Starts the broker and waits until it answers; returns its bootstrap address. */
  String start() throws IOException, InterruptedException {
    List<String> lines = run("start", 180);
    bootstrap = lines.isEmpty() ? "127.0.0.1:" + port : lines.getLast().trim();
    return bootstrap;
  }

  /** SIGTERM (SIGKILL after 10 s, by kafka-local), then a start on the same data and ports. */
  void restart() throws IOException, InterruptedException {
    run("stop", 60);
    start();
  }

  @Override
  public void close() {
    try {
      run("stop", 60);
    } catch (IOException e) {
      Drill.say("could not stop the drill's broker: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private List<String> run(String verb, int timeoutSeconds) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path out = dir.resolve("kafka-local-" + verb + ".out");
    ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), verb)
        .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("kafka-local.err")
            .toFile()));
    builder.environment().put("KAFKA_LOCAL_DIR", dir.toString());
    builder.environment().put("KAFKA_LOCAL_PORT", Integer.toString(port));
    builder.environment().put("KAFKA_LOCAL_CONTROLLER_PORT", Integer.toString(controllerPort));
    builder.environment().put("KAFKA_LOCAL_READY_TIMEOUT", Integer.toString(timeoutSeconds - 10));
    Process process = builder.start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("kafka-local " + verb + " took more than " + timeoutSeconds + " s (see " + dir + ")");
    }
    if (process.exitValue() != 0) {
      throw new IOException("kafka-local " + verb + " exited " + process.exitValue() + " (see "
          + dir.resolve("kafka-local.err") + ")");
    }
    return Files.readAllLines(out);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
