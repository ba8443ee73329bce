package io.jankrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jankrunner.cli.Main;
import io.jankrunner.kafka.TestBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * There is no Docker here to run compose.yaml, so this checks it against what the worker
 * really reads: the files it names exist, its environment is the worker's configuration, and
 * the ports and listeners agree.
 */
class ComposeFileTest {

  private static final Path REPO = Path.of(System.getProperty("jankrunner.repo", "..")).toAbsolutePath().normalize();
  private static JsonNode compose;

  @BeforeAll
  static void read() throws IOException {
    compose = new ObjectMapper(new YAMLFactory()).readTree(REPO.resolve("compose.yaml").toFile());
  }

  @Test
  void theRunnerIsBuiltFromFilesThatExist() {
    JsonNode build = compose.path("services").path("runner").path("build");
    Path context = REPO.resolve(build.path("context").asText()).normalize();
    assertEquals(REPO, context);
    assertTrue(Files.isRegularFile(context.resolve(build.path("dockerfile").asText())));
  }

  @Test
  void theMountedPluginsAndProtoDirectoriesExist() {
    for (JsonNode volume : compose.path("services").path("runner").path("volumes")) {
      String[] parts = volume.asText().split(":");
      Path source = REPO.resolve(parts[0]).normalize();
      assertTrue(Files.isDirectory(source), source + " is mounted but missing");
    }
    assertTrue(Files.isRegularFile(REPO.resolve("plugins/hello-go/plugin.json")));
    assertTrue(Files.isRegularFile(REPO.resolve("proto/src/main/proto/plugin.proto")));
  }

  @Test
  void everyVariableGivenToTheWorkerIsOneItReads() throws IOException {
    Set<String> read = variablesTheWorkerReads();
    compose.path("services").path("runner").path("environment").fieldNames().forEachRemaining(name ->
        assertTrue(read.contains(name), name + " is set in compose.yaml but the worker never reads it; it reads " + read));
    JsonNode env = compose.path("services").path("runner").path("environment");
    assertTrue(Set.of("share", "group").contains(env.path("JANK_MODE").asText()));
    assertEquals("/plugins", env.path("JANK_PLUGINS_DIR").asText());
  }

  @Test
  void theWorkerReachesTheBrokerOnItsContainerListener() {
    JsonNode kafka = compose.path("services").path("kafka").path("environment");
    String bootstrap = compose.path("services").path("runner").path("environment").path("KAFKA_BOOTSTRAP_SERVERS")
        .asText();
    assertEquals("kafka:9092", bootstrap);
    assertTrue(kafka.path("KAFKA_ADVERTISED_LISTENERS").asText().contains("PLAINTEXT://kafka:9092"));
    assertTrue(kafka.path("KAFKA_LISTENERS").asText().contains("PLAINTEXT://:9092"));
    assertEquals("true", kafka.path("KAFKA_GROUP_SHARE_ENABLE").asText(), "share groups are on");
  }

  @Test
  void theBrokerImageIsTheKafkaVersionEveryTestRunsAgainst() throws IOException {
    String version = System.getProperty("jankrunner.kafka.version");
    assertNotNull(version, "run through Maven: it passes the parent pom's kafka.version");
    assertEquals("apache/kafka:" + version, TestBroker.image(), "the Testcontainers broker");
    assertEquals(TestBroker.image(), compose.path("services").path("kafka").path("image").asText(),
        "compose.yaml's broker image must be the parent pom's kafka.image");
    Matcher localBroker = Pattern.compile("<kafka\\.version>([^<]+)</kafka\\.version>")
        .matcher(Files.readString(REPO.resolve("scripts/kafka/pom.xml")));
    assertTrue(localBroker.find());
    assertEquals(version, localBroker.group(1), "scripts/kafka-local's broker (scripts/kafka/pom.xml)");
  }

  @Test
  void theBrokerIsPublishedOnLoopbackOnly() {
    for (JsonNode port : compose.path("services").path("kafka").path("ports")) {
      assertTrue(port.asText().startsWith("127.0.0.1:"), port.asText());
    }
    assertTrue(compose.path("services").path("runner").path("ports").isMissingNode(), "workers publish no port");
  }

  @Test
  void theCommandIsTheWorkerSubcommand() {
    assertEquals("worker", compose.path("services").path("runner").path("command").get(0).asText());
    assertEquals(0, Main.run("worker", "--help"));
  }

  /** The {@code ${env:NAME...}} defaults of the worker's options. */
  private static Set<String> variablesTheWorkerReads() throws IOException {
    Set<String> names = new HashSet<>();
    Pattern env = Pattern.compile("\\$\\{env:([A-Z_]+)");
    try (Stream<Path> sources = Files.list(REPO.resolve("runner/src/main/java/io/jankrunner/cli"))) {
      for (Path source : sources.toList()) {
        Matcher matcher = env.matcher(Files.readString(source));
        while (matcher.find()) {
          names.add(matcher.group(1));
        }
      }
    }
    return names;
  }
}
