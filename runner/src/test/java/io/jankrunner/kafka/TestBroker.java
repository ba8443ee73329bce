package io.jankrunner.kafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One real Kafka broker for the whole test run, chosen as users would: {@code
 * KAFKA_BOOTSTRAP_SERVERS} if set; else a Testcontainers {@code apache/kafka} container where
 * Docker runs; else the KRaft broker of {@code scripts/kafka-local run}, a child process on free
 * loopback ports with its data in a temp dir, killed with the test JVM.
 */
public final class TestBroker {

  private static final Logger log = LoggerFactory.getLogger(TestBroker.class);
  private static String bootstrap;

  private TestBroker() {}

  /** The bootstrap address of the run's broker, starting it on first use. */
  public static synchronized String bootstrap() {
    if (bootstrap == null) {
      bootstrap = start();
      waitUntilReady(bootstrap);
    }
    return bootstrap;
  }

  private static String start() {
    String fromEnv = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (fromEnv != null && !fromEnv.isBlank()) {
      log.info("tests use the broker at {} (KAFKA_BOOTSTRAP_SERVERS)", fromEnv);
      return fromEnv;
    }
    if (dockerAvailable()) {
      KafkaContainer container = new KafkaContainer(image())
          .withEnv("KAFKA_GROUP_SHARE_ENABLE", "true")
          .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
          .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1");
      container.start();
      log.info("tests use a Testcontainers broker at {}", container.getBootstrapServers());
      return container.getBootstrapServers();
    }
    return startLocalBroker();
  }

  /** The image named once in the parent pom.xml ({@code kafka.image}), passed by Maven. */
  public static String image() {
    String image = System.getProperty("jankrunner.kafka.image");
    if (image == null || image.isBlank()) {
      throw new IllegalStateException("jankrunner.kafka.image is not set: run the tests through Maven, which passes"
          + " the parent pom's kafka.image");
    }
    return image;
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }

  private static String startLocalBroker() {
    Path repo = Path.of(System.getProperty("jankrunner.repo", "..")).toAbsolutePath().normalize();
    try {
      int port = freePort();
      int controllerPort = freePort();
      Path dir = Files.createTempDirectory("kafka-test-");
      List<String> command = new ArrayList<>();
      // The broker must not outlive this JVM, even if it is killed.
      if (Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
        command.addAll(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--"));
      }
      command.addAll(List.of("bash", repo.resolve("scripts/kafka-local").toString(), "run"));
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("console.log").toFile());
      builder.environment().put("KAFKA_LOCAL_DIR", dir.toString());
      builder.environment().put("KAFKA_LOCAL_PORT", Integer.toString(port));
      builder.environment().put("KAFKA_LOCAL_CONTROLLER_PORT", Integer.toString(controllerPort));
      Process broker = builder.start();
      Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
        broker.descendants().forEach(ProcessHandle::destroy);
        broker.destroy();
        try {
          broker.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        broker.descendants().forEach(ProcessHandle::destroyForcibly);
        broker.destroyForcibly();
      }));
      String address = "127.0.0.1:" + port;
      log.info("tests use scripts/kafka-local's broker at {} (data in {})", address, dir);
      return address;
    } catch (IOException e) {
      throw new IllegalStateException("could not start scripts/kafka-local", e);
    }
  }

  private static void waitUntilReady(String bootstrapServers) {
    Instant until = Instant.now().plus(Duration.ofMinutes(3));
    Exception last = null;
    while (Instant.now().isBefore(until)) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
        admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        last = e;
        try {
          Thread.sleep(250);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(interrupted);
        }
      }
    }
    throw new IllegalStateException("the test broker at " + bootstrapServers + " did not become ready", last);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
