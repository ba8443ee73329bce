package io.jankrunner.plugin.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.jankrunner.plugin.manifest.ManifestParser.InvalidManifestException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The argument schemas of {@code plugin.json}'s {@code "runner": {"methods": {"greet": {"args":
 * {…}}}}}: a JSON Schema per method that a call's {@code args} must match before the plugin is
 * called. Each schema is checked against its dialect's meta-schema and compiled once, when the
 * manifest is read, so a bad schema is a manifest error naming the method, never a failure at
 * call time. Methods without a schema, and methods not listed, take any arguments.
 *
 * <p>Draft 2020-12 unless the schema's {@code $schema} names another draft; {@code format} is
 * asserted (a {@code "format": "email"} that is no address fails). References resolve inside the
 * schema only: nothing is fetched, so reading a manifest never reaches the network or the disk.
 */
public final class MethodSchemas {

  /** At most this many of a call's violations are reported; the rest are counted. */
  static final int MAX_VIOLATIONS = 10;
  /** The longest a reason for refused arguments may be, so a huge schema or input cannot bloat a result. */
  static final int MAX_REASON_CHARS = 2_000;

  public static final MethodSchemas NONE = new MethodSchemas(JsonNodeFactory.instance.objectNode(), Map.of());

  private static final String DEFAULT_DIALECT = SpecificationVersion.DRAFT_2020_12.getDialectId();
  /** Only reads the drafts' meta-schemas, which the validator carries; shared by every manifest. */
  private static final SchemaRegistry META_SCHEMAS = registry();
  /**
   * Compiled schemas by what {@code runner.methods} says: discovery re-reads every plugin.json on
   * each scan (a registration scans them all), and an unchanged one must not cost a compile each
   * time. Keyed by content, so an edited plugin.json is compiled afresh.
   */
  private static final Cache<JsonNode, MethodSchemas> COMPILED = CacheBuilder.newBuilder().maximumSize(512).build();

  /** {@code runner.methods} as written, for {@code get}. */
  private final ObjectNode declared;
  private final Map<String, Schema> compiled;

  private MethodSchemas(ObjectNode declared, Map<String, Schema> compiled) {
    this.declared = declared;
    this.compiled = compiled;
  }

  /** {@code runner.methods}, or {@link #NONE} when it is absent. */
  static MethodSchemas parse(JsonNode methods) throws InvalidManifestException {
    if (methods == null || methods.isNull()) {
      return NONE;
    }
    if (!methods.isObject()) {
      throw new InvalidManifestException("runner.methods must be an object of method names");
    }
    MethodSchemas known = COMPILED.getIfPresent(methods);
    if (known != null) {
      return known;
    }
    MethodSchemas parsed = compileAll((ObjectNode) methods.deepCopy());
    COMPILED.put(parsed.declared, parsed);
    return parsed;
  }

  private static MethodSchemas compileAll(ObjectNode methods) throws InvalidManifestException {
    // A registry of the plugin's own, so one plugin's $id cannot stand for another plugin's schema.
    SchemaRegistry registry = registry();
    Map<String, Schema> compiled = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> method : methods.properties()) {
      String name = method.getKey();
      String field = "runner.methods." + name;
      if (name.isBlank()) {
        throw new InvalidManifestException("runner.methods holds an empty method name");
      }
      if (!method.getValue().isObject()) {
        throw new InvalidManifestException(field + " must be an object");
      }
      JsonNode args = method.getValue().get("args");
      if (args != null && !args.isNull()) {
        compiled.put(name, compile(registry, field + ".args", args));
      }
    }
    return new MethodSchemas(methods, Map.copyOf(compiled));
  }

  private static Schema compile(SchemaRegistry registry, String field, JsonNode schema)
      throws InvalidManifestException {
    if (!schema.isObject() && !schema.isBoolean()) {
      throw new InvalidManifestException(field + " must be a JSON Schema (an object or a boolean)");
    }
    String dialect = DEFAULT_DIALECT;
    JsonNode declaredDialect = schema.get("$schema");
    if (declaredDialect != null) {
      if (!declaredDialect.isTextual() || SpecificationVersion.fromDialectId(declaredDialect.textValue()).isEmpty()) {
        throw new InvalidManifestException(field + " names a $schema the runner does not know: " + declaredDialect
            + "; expected one of " + Arrays.stream(SpecificationVersion.values())
            .map(SpecificationVersion::getDialectId).collect(Collectors.joining(", ")) + ", or none for draft 2020-12");
      }
      dialect = declaredDialect.textValue();
    }
    List<Error> problems = META_SCHEMAS.getSchema(SchemaLocation.of(dialect)).validate(schema);
    if (!problems.isEmpty()) {
      throw new InvalidManifestException(field + " is not a valid JSON Schema: " + describe(problems));
    }
    try {
      Schema compiled = registry.getSchema(schema);
      compiled.initializeValidators(); // resolves every $ref and pattern now, not in the first call
      return compiled;
    } catch (SchemaException | IllegalArgumentException e) {
      throw new InvalidManifestException(field + " cannot be compiled: " + abbreviate(String.valueOf(e.getMessage()))
          + " (references resolve inside the schema only)");
    }
  }

  /**
   * Why {@code args} do not fit {@code method}'s schema, the schema's messages naming where in
   * the arguments each one applies; empty when they fit or the method has no schema.
   */
  public Optional<String> violations(String method, ObjectNode args) {
    Schema schema = compiled.get(method);
    if (schema == null) {
      return Optional.empty();
    }
    List<Error> problems = schema.validate(args);
    return problems.isEmpty() ? Optional.empty()
        : Optional.of("args do not match the schema of method " + method + ": " + describe(problems));
  }

  /** Whether {@code plugin.json} declares any method. */
  public boolean isEmpty() {
    return declared.isEmpty();
  }

  /** {@code runner.methods} as {@code plugin.json} declares it: method name to {@code {"args": schema}}. */
  public ObjectNode toJson() {
    return declared.deepCopy();
  }

  private static String describe(List<Error> problems) {
    String shown = problems.stream().limit(MAX_VIOLATIONS).map(MethodSchemas::describe)
        .collect(Collectors.joining("; "));
    if (problems.size() > MAX_VIOLATIONS) {
      shown += "; and " + (problems.size() - MAX_VIOLATIONS) + " more";
    }
    return abbreviate(shown);
  }

  private static String describe(Error problem) {
    String where = problem.getInstanceLocation() == null ? "" : problem.getInstanceLocation().toString();
    return where.isEmpty() ? problem.getMessage() : where + ": " + problem.getMessage();
  }

  private static String abbreviate(String text) {
    return text.length() <= MAX_REASON_CHARS ? text : text.substring(0, MAX_REASON_CHARS) + "…";
  }

  private static SchemaRegistry registry() {
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12, builder -> builder
        .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build())
        .schemaLoader(loader -> loader.fetchRemoteResources(false)));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MethodSchemas that && declared.equals(that.declared);
  }

  @Override
  public int hashCode() {
    return declared.hashCode();
  }

  @Override
  public String toString() {
    return declared.toString();
  }
}
