package io.jankrunner.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.manifest.PluginManifest;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** A plugin as Jank's API shows it (Jank's field names), with the runner's additions and its instances. */
final class PluginJson {

  private PluginJson() {}

  static ObjectNode of(PluginInfo info, Optional<PluginManifest> manifest, String circuit,
                       Optional<Instant> startedAt) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("id", info.id().orElse(null));
    node.put("name", info.name().orElse(null));
    node.put("version", info.version().orElse(null));
    node.put("author", manifest.map(PluginManifest::author).orElse(null));
    node.put("description", info.description().orElse(null));
    node.put("repository", manifest.map(PluginManifest::repository).orElse(null));
    node.put("binary", manifest.map(PluginManifest::binary).orElse(null));
    node.put("type", manifest.map(m -> m.type().name().toLowerCase(Locale.ROOT)).orElse(null));
    manifest.ifPresent(m -> node.put("auto_start", m.autoStart()).put("start_timeout", m.startTimeout().toMillis())
        .put("auto_mtls", m.autoMtls()));
    node.put("status", info.status());
    node.put("started_at", startedAt.map(Instant::toString).orElse(null));
    if (info.pid().isPresent()) {
      node.put("process_pid", info.pid().getAsLong());
    } else {
      node.putNull("process_pid");
    }
    node.put("registered", info.registered());
    node.put("directory", info.directory().toString());
    info.reason().ifPresent(reason -> node.put("reason", reason));
    if (info.registered()) {
      node.put("in_flight", info.inFlight());
      node.put("circuit", circuit);
    }
    var instances = node.putArray("instances");
    info.pid().ifPresent(pid -> instances.addObject().put("pid", pid).put("status", info.status())
        .put("in_flight", info.inFlight()));
    return node;
  }
}
