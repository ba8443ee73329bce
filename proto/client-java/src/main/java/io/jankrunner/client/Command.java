package io.jankrunner.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What to ask a worker, before the per-call parts ({@link ExecuteOptions}) are added: an {@code execute}
 * of a plugin method with its arguments, or a control command. Checked here as the worker would
 * check it, so a malformed command fails at once instead of reaching the dead-letter topic.
 */
public final class Command {

  /** The command types of {@code proto/contract/command.schema.json}. */
  public enum Type {
    EXECUTE, REGISTER, UNREGISTER, BUILD, GET, LIST;

    /** The {@code type} field's value. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Execute commands go to {@code <prefix>.execute}; every other type to {@code <prefix>.control}. */
    public boolean isControl() {
      return this != EXECUTE;
    }

    /** The type of that wire name. */
    public static Type parse(String wireName) {
      return Arrays.stream(values()).filter(type -> type.wireName().equals(wireName)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown command type '" + wireName + "': one of "
              + Arrays.stream(values()).map(Type::wireName).collect(Collectors.joining(", "))));
    }
  }

  /** The plugin id rule of the contract (1 to 100 of A-Z a-z 0-9 . _ -, not starting with . or -, no '..'). */
  static final Pattern PLUGIN_ID = Pattern.compile("(?!.*\\.\\.)[A-Za-z0-9_][A-Za-z0-9._-]{0,99}");
  static final Pattern METHOD = Pattern.compile("[A-Za-z0-9._/:-]{1,128}");

  private final Type type;
  private final String plugin;
  private final String method;
  private final ObjectNode args;
  private final boolean rebuild;

  private Command(Type type, String plugin, String method, ObjectNode args, boolean rebuild) {
    this.type = type;
    this.plugin = plugin;
    this.method = method;
    this.args = args;
    this.rebuild = rebuild;
  }

  /**
   * A call of {@code method} on {@code plugin}.
   *
   * @param args what Jackson turns into a JSON object (a {@code Map}, a record, an {@code ObjectNode}), or null for none
   */
  public static Command execute(String plugin, String method, Object args) {
    requireMatch("plugin", plugin, PLUGIN_ID);
    requireMatch("method", method, METHOD);
    return new Command(Type.EXECUTE, plugin, method, toObject(args), false);
  }

  /** Registers {@code plugin} fleet-wide; {@code rebuild} builds it first. */
  public static Command register(String plugin, boolean rebuild) {
    return control(Type.REGISTER, plugin, rebuild);
  }

  public static Command unregister(String plugin) {
    return control(Type.UNREGISTER, plugin, false);
  }

  public static Command build(String plugin) {
    return control(Type.BUILD, plugin, false);
  }

  public static Command get(String plugin) {
    return control(Type.GET, plugin, false);
  }

  public static Command list() {
    return new Command(Type.LIST, null, null, null, false);
  }

  /**
   * A command of any type from its parts, as {@code runner send} takes them: {@code method} and
   * {@code args} count for execute only, {@code rebuild} for register only.
   */
  public static Command of(Type type, String plugin, String method, Object args, boolean rebuild) {
    return switch (type) {
      case EXECUTE -> execute(plugin, method, args);
      case REGISTER -> register(plugin, rebuild);
      case UNREGISTER -> unregister(plugin);
      case BUILD -> build(plugin);
      case GET -> get(plugin);
      case LIST -> list();
    };
  }

  private static Command control(Type type, String plugin, boolean rebuild) {
    requireMatch("plugin", plugin, PLUGIN_ID);
    return new Command(type, plugin, null, null, rebuild);
  }

  private static void requireMatch(String what, String value, Pattern pattern) {
    if (value == null) {
      throw new IllegalArgumentException(what + " is required");
    }
    if (!pattern.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value + "' does not match " + pattern.pattern());
    }
  }

  private static ObjectNode toObject(Object args) {
    if (args == null) {
      return null;
    }
    JsonNode node;
    try {
      node = args instanceof JsonNode json ? json : Json.MAPPER.valueToTree(args);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("args cannot be written as JSON: " + e.getMessage(), e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new IllegalArgumentException("args must be a JSON object, not " + node.getNodeType());
    }
    return object.deepCopy();
  }

  public Type type() {
    return type;
  }

  public Optional<String> plugin() {
    return Optional.ofNullable(plugin);
  }

  public Optional<String> method() {
    return Optional.ofNullable(method);
  }

  /** The command's value as a worker reads it. */
  ObjectNode toJson(String id, String replyTo, ExecuteOptions options, java.time.Instant deadline) {
    ObjectNode json = Json.MAPPER.createObjectNode().put("v", 1).put("id", id).put("type", type.wireName());
    if (plugin != null) {
      json.put("plugin", plugin);
    }
    if (method != null) {
      json.put("method", method);
    }
    if (args != null) {
      json.set("args", args.deepCopy());
    }
    json.put("reply_to", replyTo).put("timeout_ms", options.timeout().toMillis()).put("deadline", deadline.toString());
    if (rebuild) {
      json.put("rebuild", true);
    }
    return json;
  }

  /**
   * Execute commands are keyed by their id (spread over partitions, never queued behind each
   * other in a worker's group mode), control commands by plugin (one plugin's stay in order).
   */
  String defaultKey(String id) {
    return type == Type.EXECUTE || plugin == null ? id : plugin;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Command that && type == that.type && Objects.equals(plugin, that.plugin)
        && Objects.equals(method, that.method) && Objects.equals(args, that.args) && rebuild == that.rebuild;
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, plugin, method, args, rebuild);
  }

  @Override
  public String toString() {
    return type.wireName() + (plugin == null ? "" : " " + plugin) + (method == null ? "" : "." + method);
  }
}
