package io.jankrunner.dispatch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.protocol.Handshake;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The one JSON view of a plugin, used by the HTTP API, the Kafka {@code get}/{@code list} results
 * and the CLI. Its first fields are Jank's plugin object exactly as Jank's Go server encodes it:
 * strings and booleans without {@code omitempty} are always present (an empty string when the
 * manifest could not be read, so a client may call string methods on them), the {@code omitempty}
 * ones are left out when zero, times are Unix seconds, and {@code status} is one of Jank's words.
 * The runner's own fields follow: {@code state} (its detailed lifecycle state), {@code registered},
 * {@code directory}, {@code reason}, {@code methods} (the argument schemas plugin.json declares),
 * {@code in_flight} and {@code instances}. Clients written for
 * Jank ignore fields they do not know.
 */
public final class PluginInfoJson {

  /** Jank's word for a registered plugin that can take calls, started or not. */
  public static final String RUNNING = "running";
  /** Jank's word for a registered plugin that cannot: quarantined, or its last start or instance failed. */
  public static final String ERROR = "error";
  /** go-plugin's name for the only protocol the runner speaks with plugins. */
  private static final String PROTOCOL = "grpc";

  /**
   * Runner states in which calls fail at once or wait on a crash: Jank's {@code error}. Every other
   * registered state serves: {@code ready}/{@code running} warm, {@code stopped} (scaled to zero) and
   * {@code starting}/{@code stopping} by starting an instance for the call.
   */
  private static final Set<String> FAILING = Set.of("error", "quarantined", "backoff", "hung");

  private PluginInfoJson() {}

  /**
   * Jank's status word: registered ones {@code running} or {@code error}; unregistered ones keep
   * discovery's {@code available}, {@code source_only} or {@code incomplete}.
   */
  public static String jankStatus(PluginInfo info) {
    if (!info.registered()) {
      return info.status();
    }
    return FAILING.contains(info.status()) ? ERROR : RUNNING;
  }

  public static ObjectNode toJson(PluginInfo info) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    Optional<PluginManifest> manifest = info.manifest();
    // Jank's pkg/vo/plugin.go GetPluginResponse, field by field and in its order.
    node.put("id", info.id().orElse(""));
    node.put("name", info.name().orElse(""));
    node.put("version", info.version().orElse(""));
    node.put("author", manifest.map(PluginManifest::author).orElse(""));
    info.description().filter(text -> !text.isEmpty()).ifPresent(text -> node.put("description", text));
    node.put("repository", manifest.map(PluginManifest::repository).orElse(""));
    node.put("binary", manifest.map(PluginManifest::binary).orElse(""));
    node.put("type", manifest.map(m -> m.type().name().toLowerCase(Locale.ROOT)).orElse(""));
    node.put("auto_start", manifest.map(PluginManifest::autoStart).orElse(false));
    manifest.ifPresent(m -> {
      putIfNonZero(node, "start_timeout", m.startTimeout().toMillis());
      putIfNonZero(node, "min_port", m.minPort());
      putIfNonZero(node, "max_port", m.maxPort());
      putIfTrue(node, "auto_mtls", m.autoMtls());
      putIfTrue(node, "managed", m.managed());
    });
    node.put("status", jankStatus(info));
    Optional<PluginInfo.Instance> serving = servingInstance(info);
    serving.ifPresent(instance -> node.put("started_at", instance.startedAt().getEpochSecond()));
    OptionalLong pid = serving.map(PluginInfo.Instance::pid).orElse(OptionalLong.empty());
    if (pid.isPresent()) {
      // go-plugin's Client.ID() is the process id as text; the handshake the runner accepts has one version.
      node.put("process_id", Long.toString(pid.getAsLong()));
      node.put("protocol", PROTOCOL);
      node.put("negotiated_version", Handshake.APP_PROTOCOL_VERSION);
      node.put("process_pid", pid.getAsLong());
      node.put("protocol_version", Handshake.APP_PROTOCOL_VERSION);
    }
    // The runner's additions.
    node.put("state", info.status());
    node.put("registered", info.registered());
    node.put("directory", info.directory().toString());
    info.reason().ifPresent(reason -> node.put("reason", reason));
    // plugin.json's runner.methods: each declared method and its args schema ({} when none is declared).
    manifest.ifPresent(m -> node.set("methods", m.runner().methods().toJson()));
    if (info.registered()) {
      node.put("in_flight", info.inFlight());
      ArrayNode instances = node.putArray("instances");
      for (PluginInfo.Instance instance : info.instances()) {
        ObjectNode item = instances.addObject().put("id", instance.id());
        instance.pid().ifPresent(value -> item.put("pid", value));
        item.put("state", instance.state()).put("in_flight", instance.inFlight())
            .put("started_at", instance.startedAt().getEpochSecond());
      }
    }
    return node;
  }

  /** The instance Jank's single-process fields describe: the one whose pid is reported, else the oldest. */
  private static Optional<PluginInfo.Instance> servingInstance(PluginInfo info) {
    if (info.pid().isPresent()) {
      long pid = info.pid().getAsLong();
      Optional<PluginInfo.Instance> match = info.instances().stream()
          .filter(instance -> instance.pid().isPresent() && instance.pid().getAsLong() == pid).findFirst();
      if (match.isPresent()) {
        return match;
      }
    }
    return info.instances().stream().filter(instance -> instance.pid().isPresent()).findFirst();
  }

  private static void putIfNonZero(ObjectNode node, String field, long value) {
    if (value != 0) {
      node.put(field, value);
    }
  }

  private static void putIfTrue(ObjectNode node, String field, boolean value) {
    if (value) {
      node.put(field, true);
    }
  }
}
