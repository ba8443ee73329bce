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
    for (String service : new String[] {"runner", "prometheus", "grafana"}) {
      for (JsonNode volume : compose.path("services").path(service).path("volumes")) {
        Path source = REPO.resolve(volume.asText().split(":")[0]).normalize();
        assertTrue(Files.exists(source), source + " is mounted into " + service + " but missing");
      }
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
    for (String service : new String[] {"kafka", "prometheus", "grafana"}) {
      for (JsonNode port : compose.path("services").path(service).path("ports")) {
        assertTrue(port.asText().startsWith("127.0.0.1:"), service + " " + port.asText());
      }
    }
    assertTrue(compose.path("services").path("runner").path("ports").isMissingNode(),
        "workers publish no port: Prometheus reaches them on the compose network");
  }

  @Test
  void theCommandIsTheWorkerSubcommand() {
    assertEquals("worker", compose.path("services").path("runner").path("command").get(0).asText());
    assertEquals(0, Main.run("worker", "--help"));
  }

  @Test
  void theWorkersServeHttpWithATokenFromASecretFile() throws IOException {
    JsonNode env = compose.path("services").path("runner").path("environment");
    assertTrue(env.path("JANK_HTTP").asText().endsWith(":8080"), "compose turns the HTTP API on");
    assertTrue(env.path("JANK_HTTP_TOKENS").isMissingNode(), "tokens come from a file, not the environment listing");
    String secret = env.path("JANK_HTTP_TOKENS_FILE").asText();
    assertEquals("/run/secrets/http_token", secret);
    assertTrue(compose.path("services").path("runner").path("secrets").toString().contains("http_token"));
    Path token = REPO.resolve(compose.path("secrets").path("http_token").path("file").asText()).normalize();
    assertTrue(io.jankrunner.config.ApiTokens.parse(Files.readString(token)).check(Files.readString(token).strip())
        .isPresent(), "the token file holds one token the worker accepts");
  }

  @Test
  void prometheusScrapesEveryRunnerOnItsHttpPortWithTheToken() throws IOException {
    JsonNode prometheus = compose.path("services").path("prometheus");
    assertTrue(prometheus.path("secrets").toString().contains("http_token"));
    JsonNode config = new ObjectMapper(new YAMLFactory()).readTree(REPO.resolve("ops/prometheus/prometheus.yml")
        .toFile());
    JsonNode job = config.path("scrape_configs").get(0);
    assertEquals("/metrics", job.path("metrics_path").asText());
    JsonNode dns = job.path("dns_sd_configs").get(0);
    assertEquals("runner", dns.path("names").get(0).asText(), "the runner service's name resolves to every replica");
    String port = compose.path("services").path("runner").path("environment").path("JANK_HTTP").asText()
        .replaceAll(".*:", "");
    assertEquals(port, dns.path("port").asText());
    assertEquals("/run/secrets/http_token", job.path("authorization").path("credentials_file").asText());
  }

  @Test
  void grafanaProvisionsPrometheusAndADashboardOfMetricsTheWorkerExports() throws IOException {
    JsonNode datasources = new ObjectMapper(new YAMLFactory()).readTree(
        REPO.resolve("ops/grafana/provisioning/datasources/prometheus.yaml").toFile());
    assertEquals("http://prometheus:9090", datasources.path("datasources").get(0).path("url").asText());
    String uid = datasources.path("datasources").get(0).path("uid").asText();
    JsonNode dashboard = new ObjectMapper().readTree(REPO.resolve("ops/grafana/dashboards/jank-runner.json").toFile());
    String metricsSource = Files.readString(REPO.resolve(
        "runner/src/main/java/io/jankrunner/metrics/WorkerMetrics.java"));
    Pattern ours = Pattern.compile("jank_[a-z_]+");
    int expressions = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      assertEquals(uid, panel.path("datasource").path("uid").asText(), panel.path("title").asText());
      for (JsonNode target : panel.path("targets")) {
        expressions++;
        Matcher matcher = ours.matcher(target.path("expr").asText());
        while (matcher.find()) {
          String meter = matcher.group().replaceAll("_(total|bucket|count|sum)$", "").replaceAll("_seconds$", "")
              .replace('_', '.');
          assertTrue(metricsSource.contains('"' + meter + '"'), matcher.group() + " is not a meter of WorkerMetrics");
        }
      }
    }
    assertTrue(expressions >= 10, "the dashboard shows the worker's metrics");
  }

  /** The {@code ${env:NAME...}} defaults of the worker's options, and the variables the HTTP API reads. */
  private static Set<String> variablesTheWorkerReads() throws IOException {
    Set<String> names = new HashSet<>();
    Pattern env = Pattern.compile("\\$\\{env:([A-Z_]+)|\"(JANK_HTTP_[A-Z_]+)\"");
    for (String dir : new String[] {"cli", "config"}) {
      try (Stream<Path> sources = Files.list(REPO.resolve("runner/src/main/java/io/jankrunner/" + dir))) {
        for (Path source : sources.toList()) {
          Matcher matcher = env.matcher(Files.readString(source));
          while (matcher.find()) {
            names.add(matcher.group(1) != null ? matcher.group(1) : matcher.group(2));
          }
        }
      }
    }
    return names;
  }
}
