package io.jankrunner.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.plugin.api.PluginInfo;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What get and list say about a plugin's instances. */
class PluginInfoJsonTest {

  @Test
  void aRegisteredPluginListsEachInstanceWithItsPidStateAndLoad() {
    Instant started = Instant.parse("2026-11-27T05:00:00Z");
    PluginInfo info = new PluginInfo(Optional.of("com.example.hello"), Optional.of("Hello"), Optional.of("1.0.0"),
        Optional.empty(), Path.of("/plugins/hello"), "running", true, Optional.empty(), OptionalLong.of(42), 3,
        List.of(new PluginInfo.Instance("com.example.hello#1", OptionalLong.of(42), "ready", 3, started),
            new PluginInfo.Instance("com.example.hello#2", OptionalLong.empty(), "starting", 0, started)));

    JsonNode json = PluginInfoJson.toJson(info);

    assertEquals(3, json.path("in_flight").asInt());
    JsonNode first = json.path("instances").get(0);
    assertEquals("com.example.hello#1", first.path("id").asText());
    assertEquals(42, first.path("pid").asLong());
    assertEquals("ready", first.path("state").asText());
    assertEquals(3, first.path("in_flight").asInt());
    assertEquals(started.toString(), first.path("started_at").asText());
    assertFalse(json.path("instances").get(1).has("pid"), "a starting instance has no process yet");
  }

  @Test
  void anIncompletePluginIsNamedByTheIdItDeclares() {
    PluginInfo info = new PluginInfo(Optional.of("com.example.broken"), Optional.empty(), Optional.empty(),
        Optional.empty(), Path.of("/plugins/broken"), "incomplete", false, Optional.of("invalid max_instances"),
        OptionalLong.empty(), 0, List.of());

    JsonNode json = PluginInfoJson.toJson(info);

    assertEquals("com.example.broken", json.path("id").asText());
    assertFalse(json.has("instances"));
  }
}
