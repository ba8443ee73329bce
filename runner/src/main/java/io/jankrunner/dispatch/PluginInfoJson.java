package io.jankrunner.dispatch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.api.PluginInfo;

/** A plugin's {@link PluginInfo} as JSON, for results and the CLI. */
public final class PluginInfoJson {

  private PluginInfoJson() {}

  public static ObjectNode toJson(PluginInfo info) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("id", info.id().orElse(null));
    node.put("name", info.name().orElse(null));
    node.put("version", info.version().orElse(null));
    node.put("status", info.status());
    node.put("registered", info.registered());
    node.put("directory", info.directory().toString());
    info.reason().ifPresent(reason -> node.put("reason", reason));
    info.pid().ifPresent(pid -> node.put("pid", pid));
    if (info.registered()) {
      node.put("in_flight", info.inFlight());
      ArrayNode instances = node.putArray("instances");
      for (PluginInfo.Instance instance : info.instances()) {
        ObjectNode item = instances.addObject().put("id", instance.id());
        instance.pid().ifPresent(pid -> item.put("pid", pid));
        item.put("state", instance.state()).put("in_flight", instance.inFlight())
            .put("started_at", instance.startedAt().toString());
      }
    }
    return node;
  }
}
