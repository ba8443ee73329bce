package io.jankrunner.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.jankrunner.plugin.TestPlugins;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The JSON Schemas of proto/contract, read from the repo (the files callers get, not a copy),
 * with {@code format} asserted: a {@code date-time} that is not one fails.
 */
public final class ContractSchemas {

  public static final String COMMAND = "command.schema.json";
  public static final String RESULT = "result.schema.json";
  public static final String STATUS_EVENT = "status-event.schema.json";
  public static final String REGISTRY_RECORD = "registry-record.schema.json";
  public static final String DLQ_HEADERS = "dlq-headers.schema.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
      builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
  private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();

  private ContractSchemas() {}

  public static Path directory() {
    return TestPlugins.repo().resolve("proto/contract");
  }

  /** What is wrong with {@code value} by {@code schemaFile}; empty when it is valid. */
  public static List<String> violations(String schemaFile, JsonNode value) {
    return schema(schemaFile).validate(value).stream().map(Error::toString).toList();
  }

  public static void assertValid(String schemaFile, JsonNode value) {
    List<String> violations = violations(schemaFile, value);
    assertTrue(violations.isEmpty(), schemaFile + " rejects " + value + ": " + violations);
  }

  public static void assertInvalid(String schemaFile, JsonNode value) {
    assertTrue(!violations(schemaFile, value).isEmpty(), schemaFile + " should reject " + value);
  }

  /** A record's headers as the object dlq-headers.schema.json describes: name to UTF-8 text (the last one wins). */
  public static ObjectNode headersAsJson(Headers headers) {
    ObjectNode node = JSON.createObjectNode();
    for (Header header : headers) {
      node.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
    }
    return node;
  }

  private static Schema schema(String file) {
    return SCHEMAS.computeIfAbsent(file, name -> {
      try {
        return REGISTRY.getSchema(JSON.readTree(directory().resolve(name).toFile()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
