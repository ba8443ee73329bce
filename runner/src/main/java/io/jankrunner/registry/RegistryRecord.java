package io.jankrunner.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.command.CommandParser;
import io.jankrunner.plugin.manifest.PluginId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;

/**
 * The one shape of a registry record, written by workers and the only one they accept back:
 * key = the plugin id (UTF-8), value = {@code {"v":1, "plugin":<the key>, "registered":true,
 * "version":…, "build_id":…, "by":<worker id>, "at":<instant>}} and nothing else, at most
 * {@value #MAX_VALUE_BYTES} bytes. A tombstone (null value) under a well-formed plugin id means
 * "unregistered fleet-wide": a worker that handled an {@code unregister} command wrote it, and
 * compaction later drops the key. Anything else (another shape, a foreign key, a result or a
 * stray record written into the topic) is malformed: logged and skipped, never counted as
 * registered, and it does not change what was read for that key before.
 */
final class RegistryRecord {

  static final int MAX_VALUE_BYTES = 4096;
  static final int MAX_TEXT_LENGTH = 256;
  private static final Set<String> FIELDS = Set.of("v", "plugin", "registered", "version", "build_id", "by", "at");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  /** What one record of the topic says. */
  sealed interface Read permits Registration, Tombstone, Malformed {}

  record Registration(RegistryTopic.Entry entry) implements Read {}

  record Tombstone(String pluginId) implements Read {}

  record Malformed(String reason) implements Read {}

  private RegistryRecord() {}

  /** The value a worker writes for a registration ({@code version} is clipped to the size readers accept). */
  static byte[] encode(String pluginId, String version, String buildId, String workerId, Instant at)
      throws JsonProcessingException {
    return JSON.writeValueAsBytes(JSON.createObjectNode().put("v", 1).put("plugin", pluginId).put("registered", true)
        .put("version", clip(version)).put("build_id", buildId).put("by", clip(workerId)).put("at", at.toString()));
  }

  static Read read(byte[] key, byte[] value) {
    if (key == null) {
      return new Malformed("no key");
    }
    String pluginId;
    try {
      pluginId = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(key)).toString();
    } catch (CharacterCodingException e) {
      return new Malformed("the key is not UTF-8");
    }
    if (!PluginId.isValid(pluginId)) {
      return new Malformed("the key is not a plugin id");
    }
    if (value == null) {
      return new Tombstone(pluginId);
    }
    if (value.length > MAX_VALUE_BYTES) {
      return new Malformed("the value is " + value.length + " bytes, more than " + MAX_VALUE_BYTES);
    }
    JsonNode node;
    try {
      node = JSON.readTree(value);
    } catch (IOException e) {
      return new Malformed("the value is not JSON");
    }
    if (node == null || !node.isObject()) {
      return new Malformed("the value is not a JSON object");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        return new Malformed("unknown field '" + clip(name) + "'");
      }
    }
    if (!(node.path("v").isIntegralNumber() && node.path("v").intValue() == 1)) {
      return new Malformed("'v' is not 1");
    }
    if (!pluginId.equals(node.path("plugin").textValue())) {
      return new Malformed("'plugin' is not the key");
    }
    if (!node.path("registered").isBoolean() || !node.path("registered").booleanValue()) {
      return new Malformed("'registered' is not true (an unregistration is a tombstone)");
    }
    String version = text(node, "version");
    String buildId = text(node, "build_id");
    String by = text(node, "by");
    String at = text(node, "at");
    if (version == null || buildId == null || by == null || at == null) {
      return new Malformed("'version', 'build_id', 'by' and 'at' must be strings of at most " + MAX_TEXT_LENGTH
          + " characters");
    }
    // Build ids are the ids of the commands that asked for the build (empty: none asked yet).
    if (!buildId.isEmpty() && !CommandParser.isCommandId(buildId)) {
      return new Malformed("'build_id' is not a command id");
    }
    if (by.isEmpty()) {
      return new Malformed("'by' names no worker");
    }
    try {
      Instant.parse(at);
    } catch (DateTimeParseException e) {
      return new Malformed("'at' is not an instant");
    }
    return new Registration(new RegistryTopic.Entry(pluginId, version, buildId));
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() && value.textValue().length() <= MAX_TEXT_LENGTH ? value.textValue()
        : null;
  }

  private static String clip(String text) {
    return text.length() <= MAX_TEXT_LENGTH ? text : text.substring(0, MAX_TEXT_LENGTH);
  }
}
