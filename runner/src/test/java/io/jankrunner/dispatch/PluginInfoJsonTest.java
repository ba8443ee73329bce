package io.jankrunner.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.plugin.api.PluginInfo;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The one view of a plugin: Jank's fields as Done-0/Jank's pkg/vo/plugin.go encodes them
 * (omitempty ones left out when zero), its status words (pkg/plugin/consts/plugin.go), and the
 * runner's instances.
 */
class PluginInfoJsonTest {

  static final Instant STARTED = Instant.parse("2026-11-27T05:00:00Z");

  static PluginInfo registered(String state, OptionalLong pid) {
    return new PluginInfo(Optional.of("com.example.hello"), Optional.of("Hello"), Optional.of("1.0.0"),
        Optional.empty(), Path.of("/plugins/hello"), state, true, Optional.empty(), pid, 3,
        List.of(new PluginInfo.Instance("com.example.hello#1", OptionalLong.of(42), "ready", 3, STARTED),
            new PluginInfo.Instance("com.example.hello#2", OptionalLong.empty(), "starting", 0, STARTED)),
        Optional.empty());
  }

  @Test
  void aRegisteredPluginListsEachInstanceWithItsPidStateAndLoad() {
    JsonNode json = PluginInfoJson.toJson(registered("running", OptionalLong.of(42)));

    assertEquals(3, json.path("in_flight").asInt());
    JsonNode first = json.path("instances").get(0);
    assertEquals("com.example.hello#1", first.path("id").asText());
    assertEquals(42, first.path("pid").asLong());
    assertEquals("ready", first.path("state").asText());
    assertEquals(3, first.path("in_flight").asInt());
    assertEquals(STARTED.getEpochSecond(), first.path("started_at").asLong());
    assertFalse(json.path("instances").get(1).has("pid"), "a starting instance has no process yet");
    assertEquals(42, json.path("process_pid").asLong());
    assertEquals("42", json.path("process_id").asText());
    assertEquals(STARTED.getEpochSecond(), json.path("started_at").asLong());
    assertEquals("grpc", json.path("protocol").asText());
  }

  @Test
  void registeredPluginsAreRunningWhileTheyCanServeAndErrorWhenTheyCannot() {
    for (String serving : List.of("ready", "running", "stopped", "starting", "stopping")) {
      JsonNode json = PluginInfoJson.toJson(registered(serving, OptionalLong.empty()));
      assertEquals("running", json.path("status").asText(), serving);
      assertEquals(serving, json.path("state").asText());
    }
    for (String failing : List.of("error", "quarantined", "backoff")) {
      assertEquals("error", PluginInfoJson.toJson(registered(failing, OptionalLong.empty())).path("status").asText(),
          failing);
    }
  }

  @Test
  void anIncompletePluginHasEveryJankStringAndNoProcessFields() {
    PluginInfo info = new PluginInfo(Optional.of("com.example.broken"), Optional.empty(), Optional.empty(),
        Optional.empty(), Path.of("/plugins/broken"), "incomplete", false, Optional.of("invalid max_instances"),
        OptionalLong.empty(), 0, List.of(), Optional.empty());

    JsonNode json = PluginInfoJson.toJson(info);

    assertEquals("com.example.broken", json.path("id").asText());
    assertEquals("incomplete", json.path("status").asText());
    for (String field : List.of("name", "version", "author", "repository", "binary", "type")) {
      assertTrue(json.path(field).isTextual(), field + " in " + json);
    }
    assertTrue(json.path("auto_start").isBoolean());
    for (String omitted : List.of("description", "started_at", "process_pid", "process_id", "instances")) {
      assertFalse(json.has(omitted), omitted + " in " + json);
    }
  }
}
