package io.jankrunner.plugin.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.manifest.ManifestParser.InvalidManifestException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * plugin.json's {@code runner.methods}: parsed and compiled with the manifest, a bad schema a
 * manifest error naming the method, and the reasons a call's args are refused.
 */
class MethodSchemasTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GREET = """
      {"greet": {"args": {"type": "object", "required": ["name"],
                          "properties": {"name": {"type": "string", "minLength": 1}}}},
       "info": {}}""";

  static PluginManifest parse(String methods) throws InvalidManifestException {
    String manifest = """
        {"id": "com.example.hello", "binary": "./bin/hello", "type": "handler",
         "runner": {"max_concurrency": 8%s}}""".formatted(methods == null ? "" : ", \"methods\": " + methods);
    return ManifestParser.parse(manifest.getBytes(StandardCharsets.UTF_8));
  }

  static ObjectNode args(String json) throws Exception {
    return (ObjectNode) JSON.readTree(json);
  }

  @Test
  void aManifestWithoutMethodsTakesAnyArgs() throws Exception {
    MethodSchemas methods = parse(null).runner().methods();

    assertSame(MethodSchemas.NONE, methods);
    assertTrue(methods.isEmpty());
    assertEquals(Optional.empty(), methods.violations("greet", args("{\"name\": 5}")));
    assertEquals(JSON.createObjectNode(), methods.toJson());
  }

  @Test
  void aMethodsSchemaIsParsedWithTheManifestAndKeptAsWritten() throws Exception {
    PluginManifest manifest = parse(GREET);

    assertEquals(8, manifest.runner().maxConcurrency(), "the other runner fields are untouched");
    assertEquals(JSON.readTree(GREET), manifest.runner().methods().toJson());
  }

  @Test
  void anUnchangedManifestIsCompiledOnceHoweverOftenDiscoveryReadsIt() throws Exception {
    MethodSchemas first = parse(GREET).runner().methods();

    assertSame(first, parse(GREET).runner().methods());
    MethodSchemas edited = parse(GREET.replace("\"minLength\": 1", "\"minLength\": 2")).runner().methods();
    assertFalse(first.equals(edited), "an edited schema is compiled afresh");
    assertTrue(edited.violations("greet", args("{\"name\": \"A\"}")).isPresent());
  }

  @Test
  void argsThatMatchTheSchemaPassAndMethodsWithoutOneTakeAnything() throws Exception {
    MethodSchemas methods = parse(GREET).runner().methods();

    assertEquals(Optional.empty(), methods.violations("greet", args("{\"name\": \"Ada\", \"extra\": 1}")));
    assertEquals(Optional.empty(), methods.violations("info", args("{\"anything\": [1, 2]}")));
    assertEquals(Optional.empty(), methods.violations("echo", args("{}")));
  }

  @Test
  void argsThatFailTheSchemaAreRefusedWithTheSchemasReasonsAndWhereTheyApply() throws Exception {
    MethodSchemas methods = parse(GREET).runner().methods();

    String missing = methods.violations("greet", args("{}")).orElseThrow();
    assertEquals("args do not match the schema of method greet: required property 'name' not found", missing);
    String wrongType = methods.violations("greet", args("{\"name\": 5}")).orElseThrow();
    assertEquals("args do not match the schema of method greet: /name: integer found, string expected", wrongType);
    String empty = methods.violations("greet", args("{\"name\": \"\"}")).orElseThrow();
    assertTrue(empty.contains("/name: must be at least 1 characters long"), empty);
  }

  @Test
  void manyViolationsAreCountedBeyondTheFirstTenAndTheReasonIsBounded() throws Exception {
    StringBuilder properties = new StringBuilder();
    StringBuilder wrong = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      properties.append(i == 0 ? "" : ",").append("\"field_").append("x".repeat(40)).append(i)
          .append("\": {\"type\": \"string\"}");
      wrong.append(i == 0 ? "" : ",").append("\"field_").append("x".repeat(40)).append(i).append("\": ").append(i);
    }
    MethodSchemas methods = parse("{\"bulk\": {\"args\": {\"properties\": {" + properties + "}}}}").runner().methods();

    String reason = methods.violations("bulk", args("{" + wrong + "}")).orElseThrow();

    assertTrue(reason.length() <= 100 + MethodSchemas.MAX_REASON_CHARS, reason.length() + " chars");
    assertEquals(MethodSchemas.MAX_VIOLATIONS, reason.split("integer found, string expected", -1).length - 1, reason);
    assertTrue(reason.endsWith("; and 190 more"), reason);
  }

  @Test
  void formatIsAsserted() throws Exception {
    MethodSchemas methods = parse("{\"mail\": {\"args\": {\"properties\": {\"to\": {\"format\": \"email\"}}}}}")
        .runner().methods();

    assertTrue(methods.violations("mail", args("{\"to\": \"not an address\"}")).isPresent());
    assertEquals(Optional.empty(), methods.violations("mail", args("{\"to\": \"ada@example.com\"}")));
  }

  @Test
  void aSchemaMayNameAnOlderDraftAndRefsInsideItResolve() throws Exception {
    MethodSchemas methods = parse("""
        {"greet": {"args": {"$schema": "http://json-schema.org/draft-07/schema#",
                            "definitions": {"name": {"type": "string"}},
                            "properties": {"name": {"$ref": "#/definitions/name"}}}}}""").runner().methods();

    assertTrue(methods.violations("greet", args("{\"name\": 1}")).isPresent());
    assertEquals(Optional.empty(), methods.violations("greet", args("{\"name\": \"Ada\"}")));
  }

  @Test
  void aFalseSchemaRefusesEveryCallAndATrueOneNone() throws Exception {
    MethodSchemas methods = parse("{\"never\": {\"args\": false}, \"always\": {\"args\": true}}").runner().methods();

    assertTrue(methods.violations("never", args("{}")).isPresent());
    assertFalse(methods.violations("always", args("{\"x\": 1}")).isPresent());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"greet\": {\"args\": {\"type\": \"strin\"}}}",
      "{\"greet\": {\"args\": {\"required\": \"name\"}}}",
      "{\"greet\": {\"args\": {\"properties\": {\"name\": {\"minLength\": -1}}}}}",
      "{\"greet\": {\"args\": {\"pattern\": \"[\"}}}",
      "{\"greet\": {\"args\": {\"$ref\": \"#/$defs/missing\"}}}",
      "{\"greet\": {\"args\": {\"$ref\": \"https://example.invalid/schema.json\"}}}",
      "{\"greet\": {\"args\": {\"$ref\": \"file:///etc/passwd\"}}}",
      "{\"greet\": {\"args\": {\"$schema\": \"https://example.invalid/dialect\"}}}",
      "{\"greet\": {\"args\": \"a string\"}}",
      "{\"greet\": {\"args\": 5}}",
      "{\"greet\": \"string\"}"})
  void anInvalidSchemaIsAManifestErrorNamingTheMethod(String methods) {
    InvalidManifestException error = assertThrows(InvalidManifestException.class, () -> parse(methods));

    assertTrue(error.getMessage().startsWith("runner.methods.greet"), error.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "\"greet\"", "{\"\": {}}"})
  void methodsThatAreNotAnObjectOfNamedMethodsAreAManifestError(String methods) {
    InvalidManifestException error = assertThrows(InvalidManifestException.class, () -> parse(methods));

    assertTrue(error.getMessage().startsWith("runner.methods"), error.getMessage());
  }

  @Test
  void unknownFieldsOfAMethodAreIgnoredAsEverywhereInPluginJson() throws Exception {
    MethodSchemas methods = parse("{\"greet\": {\"summary\": \"says hello\", \"args\": {\"required\": [\"name\"]}}}")
        .runner().methods();

    assertTrue(methods.violations("greet", args("{}")).isPresent());
    assertEquals("says hello", methods.toJson().path("greet").path("summary").asText());
  }

  @Test
  void twoPluginsMayUseOneSchemaIdForDifferentSchemas() throws Exception {
    MethodSchemas strings = parse("""
        {"m": {"args": {"$id": "https://example.com/args", "properties": {"v": {"type": "string"}}}}}""")
        .runner().methods();
    MethodSchemas numbers = parse("""
        {"m": {"args": {"$id": "https://example.com/args", "properties": {"v": {"type": "number"}}}}}""")
        .runner().methods();

    assertEquals(Optional.empty(), strings.violations("m", args("{\"v\": \"a\"}")));
    assertEquals(Optional.empty(), numbers.violations("m", args("{\"v\": 1}")));
    assertTrue(numbers.violations("m", args("{\"v\": \"a\"}")).isPresent());
  }
}
