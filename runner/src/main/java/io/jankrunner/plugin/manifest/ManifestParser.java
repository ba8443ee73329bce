package io.jankrunner.plugin.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.plugin.manifest.PluginManifest.PluginType;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings.Lifecycle;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Parses and validates {@code plugin.json}. Every rejection says which field is wrong and why,
 * because the reason is what an operator sees in {@code plugins list}.
 */
final class ManifestParser {

  static final int MAX_MANIFEST_BYTES = 256 * 1024;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Duration MAX_START_TIMEOUT = Duration.ofMinutes(5);
  /** How fields inside {@code runner} and {@code runner.retry} are named in errors. */
  private static final String RUNNER = "runner.";
  private static final String RETRY = "runner.retry.";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestParser() {}

  /**
   * The id a plugin.json declares, when it is JSON with a well-formed {@code id}, even if other
   * fields are invalid: so {@code plugins list} can name an incomplete plugin.
   */
  static Optional<String> declaredId(byte[] bytes) {
    if (bytes.length > MAX_MANIFEST_BYTES) {
      return Optional.empty();
    }
    try {
      JsonNode id = JSON.readTree(bytes).path("id");
      return id.isTextual() && PluginId.isValid(id.textValue()) ? Optional.of(id.textValue()) : Optional.empty();
    } catch (java.io.IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static PluginManifest parse(byte[] bytes) throws InvalidManifestException {
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new InvalidManifestException("plugin.json is larger than " + MAX_MANIFEST_BYTES + " bytes");
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new InvalidManifestException("plugin.json is not valid JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    } catch (java.io.IOException e) {
      throw new InvalidManifestException("plugin.json could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidManifestException("plugin.json must hold a JSON object");
    }
    String id = requiredText(root, "id");
    if (!PluginId.isValid(id)) {
      throw new InvalidManifestException("invalid id '" + abbreviate(id)
          + "': expected " + PluginId.expected());
    }
    String binary = requiredText(root, "binary");
    PluginPaths.checkRelative(binary);
    int minPort = intField(root, "min_port", PluginManifest.DEFAULT_MIN_PORT, 1, 65_535);
    int maxPort = intField(root, "max_port", PluginManifest.DEFAULT_MAX_PORT, 1, 65_535);
    if (minPort > maxPort) {
      throw new InvalidManifestException("min_port " + minPort + " is above max_port " + maxPort);
    }
    long startTimeoutMs = longField(root, "start_timeout", PluginManifest.DEFAULT_START_TIMEOUT.toMillis(), 1,
        MAX_START_TIMEOUT.toMillis());
    return new PluginManifest(
        id,
        optionalText(root, "name").orElse(id),
        optionalText(root, "version").orElse("0.0.0"),
        optionalText(root, "author").orElse(""),
        optionalText(root, "description").orElse(""),
        optionalText(root, "repository").orElse(""),
        type(root),
        binary,
        booleanField(root, "auto_start"),
        Duration.ofMillis(startTimeoutMs),
        minPort,
        maxPort,
        booleanField(root, "auto_mtls"),
        booleanField(root, "managed"),
        runnerSettings(root.get("runner")));
  }

  private static PluginType type(JsonNode root) throws InvalidManifestException {
    Optional<String> type = optionalText(root, "type");
    if (type.isEmpty()) {
      return PluginType.HANDLER;
    }
    try {
      return PluginType.valueOf(type.get().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidManifestException("invalid type '" + abbreviate(type.get())
          + "': expected provider, filter, handler or notifier");
    }
  }

  private static RunnerSettings runnerSettings(JsonNode node) throws InvalidManifestException {
    if (node == null || node.isNull()) {
      return RunnerSettings.DEFAULT;
    }
    if (!node.isObject()) {
      throw new InvalidManifestException("'runner' must be an object");
    }
    RunnerSettings defaults = RunnerSettings.DEFAULT;
    Optional<Duration> timeout = node.has("timeout_ms")
        ? Optional.of(Duration.ofMillis(longField(node, RUNNER, "timeout_ms", 0, 1, Duration.ofHours(24).toMillis())))
        : Optional.empty();
    int maxConcurrency = intField(node, RUNNER, "max_concurrency", defaults.maxConcurrency(), 1,
        RunnerSettings.MAX_CONCURRENCY_LIMIT);
    int minInstances = intField(node, RUNNER, "min_instances", defaults.minInstances(), 0, RunnerSettings.MAX_INSTANCES_LIMIT);
    int maxInstances = intField(node, RUNNER, "max_instances", Math.max(defaults.maxInstances(), minInstances), 1,
        RunnerSettings.MAX_INSTANCES_LIMIT);
    if (minInstances > maxInstances) {
      throw new InvalidManifestException("runner.min_instances " + minInstances + " is above runner.max_instances "
          + maxInstances);
    }
    Duration idleTtl = Duration.ofMillis(longField(node, RUNNER, "idle_ttl_ms", defaults.idleTtl().toMillis(), 0,
        Duration.ofDays(7).toMillis()));
    OptionalLong memoryMb = node.has("memory_mb")
        ? OptionalLong.of(longField(node, RUNNER, "memory_mb", 0, 16, 1L << 20)) : OptionalLong.empty();
    OptionalInt maxProcesses = node.has("max_processes")
        ? OptionalInt.of(intField(node, RUNNER, "max_processes", 0, 1, 1 << 20)) : OptionalInt.empty();
    // Thousandths of a CPU: 500 is half a core, 2000 two cores.
    OptionalInt cpuMillis = node.has("cpu_millis")
        ? OptionalInt.of(intField(node, RUNNER, "cpu_millis", 0, 10, 1024 * 1000)) : OptionalInt.empty();
    List<String> env = stringList(node, "env");
    for (String name : env) {
      if (!ENV_NAME.matcher(name).matches()) {
        throw new InvalidManifestException("runner.env holds an invalid variable name '" + abbreviate(name) + "'");
      }
    }
    Optional<String> sha256 = optionalText(node, "sha256");
    if (sha256.isPresent() && !SHA256.matcher(sha256.get()).matches()) {
      throw new InvalidManifestException("runner.sha256 must be 64 hex digits");
    }
    Retry retry = defaults.retry();
    JsonNode retryNode = node.get("retry");
    if (retryNode != null && !retryNode.isNull()) {
      if (!retryNode.isObject()) {
        throw new InvalidManifestException("runner.retry must be an object");
      }
      // resilience4j builds the retry from these at the plugin's first call, and refuses fewer than
      // one attempt or a wait under 1 ms then (every call INTERNAL): refused here, with the field.
      retry = new Retry(intField(retryNode, RETRY, "max_attempts", retry.maxAttempts(), Retry.MIN_ATTEMPTS, Retry.MAX_ATTEMPTS,
          "attempts in all, the first included: 1 for no retry"),
          Duration.ofMillis(longField(retryNode, RETRY, "backoff_ms", retry.backoff().toMillis(),
              Retry.MIN_BACKOFF.toMillis(), Retry.MAX_BACKOFF.toMillis(),
              "the wait before the first retry, at least 1 ms; for no retry set max_attempts 1")));
    }
    return new RunnerSettings(timeout, maxConcurrency, minInstances, maxInstances, idleTtl, memoryMb, maxProcesses,
        env, sha256.map(s -> s.toLowerCase(Locale.ROOT)), retry, stringList(node, "idempotent_methods"), cpuMillis,
        lifecycle(node), MethodSchemas.parse(node.get("methods")), network(node));
  }

  private static RunnerSettings.Network network(JsonNode node) throws InvalidManifestException {
    Optional<String> network = optionalText(node, "network");
    if (network.isEmpty()) {
      return RunnerSettings.Network.ISOLATED;
    }
    for (RunnerSettings.Network value : RunnerSettings.Network.values()) {
      if (value.jsonName().equals(network.get())) {
        return value;
      }
    }
    throw new InvalidManifestException("invalid runner.network '" + abbreviate(network.get())
        + "': expected isolated (the default: a network namespace of the instance's own) or host");
  }

  private static Lifecycle lifecycle(JsonNode node) throws InvalidManifestException {
    long day = Duration.ofDays(1).toMillis();
    OptionalInt crashLimit = node.has("crash_limit")
        ? OptionalInt.of(intField(node, RUNNER, "crash_limit", 0, 0, 10_000)) : OptionalInt.empty();
    Lifecycle lifecycle = new Lifecycle(crashLimit, millis(node, "crash_window_ms", 1, day),
        millis(node, "quarantine_ms", 0, day), millis(node, "backoff_initial_ms", 0, day),
        millis(node, "backoff_max_ms", 0, day));
    if (lifecycle.backoffInitial().isPresent() && lifecycle.backoffMax().isPresent()
        && lifecycle.backoffMax().get().compareTo(lifecycle.backoffInitial().get()) < 0) {
      throw new InvalidManifestException("runner.backoff_max_ms is below runner.backoff_initial_ms");
    }
    return lifecycle;
  }

  private static Optional<Duration> millis(JsonNode node, String field, long min, long max)
      throws InvalidManifestException {
    return node.has(field) ? Optional.of(Duration.ofMillis(longField(node, RUNNER, field, 0, min, max, null)))
        : Optional.empty();
  }

  private static String requiredText(JsonNode node, String field) throws InvalidManifestException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidManifestException("missing required field '" + field + "'");
    }
    if (!value.isTextual() || value.textValue().isBlank()) {
      throw new InvalidManifestException("field '" + field + "' must be a non-empty string");
    }
    return value.textValue();
  }

  private static Optional<String> optionalText(JsonNode node, String field) throws InvalidManifestException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new InvalidManifestException("field '" + field + "' must be a string");
    }
    return Optional.of(value.textValue());
  }

  private static boolean booleanField(JsonNode node, String field) throws InvalidManifestException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw new InvalidManifestException("field '" + field + "' must be true or false");
    }
    return value.booleanValue();
  }

  private static int intField(JsonNode node, String field, int fallback, int min, int max)
      throws InvalidManifestException {
    return (int) longField(node, "", field, fallback, min, max, null);
  }

  private static int intField(JsonNode node, String prefix, String field, int fallback, int min, int max)
      throws InvalidManifestException {
    return (int) longField(node, prefix, field, fallback, min, max, null);
  }

  private static int intField(JsonNode node, String prefix, String field, int fallback, int min, int max, String hint)
      throws InvalidManifestException {
    return (int) longField(node, prefix, field, fallback, min, max, hint);
  }

  private static long longField(JsonNode node, String field, long fallback, long min, long max)
      throws InvalidManifestException {
    return longField(node, "", field, fallback, min, max, null);
  }

  private static long longField(JsonNode node, String prefix, String field, long fallback, long min, long max)
      throws InvalidManifestException {
    return longField(node, prefix, field, fallback, min, max, null);
  }

  /**
   * A whole number field of {@code node}, named in errors by its path ({@code prefix} + field)
   * and, when there is one, what the value means ({@code hint}), so the reason says what to write.
   */
  private static long longField(JsonNode node, String prefix, String field, long fallback, long min, long max,
                                String hint) throws InvalidManifestException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    String name = "field '" + prefix + field + "'";
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new InvalidManifestException(name + " must be a whole number");
    }
    long number = value.longValue();
    if (number < min || number > max) {
      throw new InvalidManifestException(name + " is " + number + ", expected " + min + ".." + max
          + (hint == null ? "" : " (" + hint + ")"));
    }
    return number;
  }

  private static List<String> stringList(JsonNode node, String field) throws InvalidManifestException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new InvalidManifestException("field '" + field + "' must be a list of strings");
    }
    List<String> items = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isTextual()) {
        throw new InvalidManifestException("field '" + field + "' must be a list of strings");
      }
      items.add(item.textValue());
    }
    return List.copyOf(items);
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "…";
  }

  /** plugin.json is unusable; the message is the reason shown to operators. */
  static final class InvalidManifestException extends Exception {
    InvalidManifestException(String message) {
      super(message);
    }
  }
}
