package io.jankrunner.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.config.ReplyTopics;
import io.jankrunner.plugin.manifest.PluginId;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns a record's bytes into a {@link Command}, or says precisely why not. When the bytes are
 * bad but an {@code id} and {@code reply_to} can still be read, the rejection carries them, so
 * the caller can be told.
 */
public final class CommandParser {

  public static final int DEFAULT_MAX_BYTES = 1024 * 1024;
  public static final String DEFAULT_REPLY_TO = "runner.results";
  // Ids, methods and topics are checked character by character, not by regular expression: every
  // command has its id, method and reply topic checked, and a matcher per check showed in the
  // worker's profile. The rules (ASCII only), as the regular expressions they replace:
  //   id      [A-Za-z0-9._:-]{1,128}
  //   method  [A-Za-z0-9._/:-]{1,128}
  //   topic   [A-Za-z0-9._-]{1,249}   (Kafka's legal topic names)
  private static final int MAX_ID = 128;
  private static final int MAX_METHOD = 128;
  private static final int MAX_TOPIC = 249;
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  /** The outcome of parsing one record. */
  public sealed interface Outcome permits Parsed, Rejected {}

  public record Parsed(Command command) implements Outcome {}

  /** Unusable bytes; {@code id} and {@code replyTo} are what could still be read, for telling the caller. */
  public record Rejected(String reason, Optional<String> id, Optional<String> replyTo, Optional<CommandType> type)
      implements Outcome {}

  private final int maxBytes;
  private final String defaultReplyTo;
  private final Function<String, Optional<String>> replyRefusal;
  /** For the execute topic: the control topic, where every other type must go. */
  private final Optional<String> executeOnlyElse;

  /** Any command type, any reply topic (the HTTP API, which answers on the connection). */
  public CommandParser(int maxBytes, String defaultReplyTo) {
    this(maxBytes, defaultReplyTo, topic -> Optional.empty(), Optional.empty());
  }

  private CommandParser(int maxBytes, String defaultReplyTo, Function<String, Optional<String>> replyRefusal,
                        Optional<String> executeOnlyElse) {
    this.maxBytes = maxBytes;
    this.defaultReplyTo = defaultReplyTo;
    this.replyRefusal = replyRefusal;
    this.executeOnlyElse = executeOnlyElse;
  }

  /**
   * For the execute topic, which producers write: {@code execute} commands only (a producer must
   * not register, build or unregister plugins fleet-wide), replies only where {@code replies} allows.
   */
  public static CommandParser forExecuteTopic(int maxBytes, ReplyTopics replies) {
    return new CommandParser(maxBytes, replies.topics().results(), replies::refusal,
        Optional.of(replies.topics().control()));
  }

  /** For the control topic, which operators write: every type, replies only where {@code replies} allows. */
  public static CommandParser forControlTopic(int maxBytes, ReplyTopics replies) {
    return new CommandParser(maxBytes, replies.topics().results(), replies::refusal, Optional.empty());
  }

  /** Whether {@code text} is a well-formed command id: the rule for every id a command carries. */
  public static boolean isCommandId(String text) {
    return consistsOf(text, MAX_ID, "._:-");
  }

  /** Whether {@code text} is a well-formed method name. */
  static boolean isMethod(String text) {
    return consistsOf(text, MAX_METHOD, "._/:-");
  }

  /** Whether {@code text} is a legal Kafka topic name ({@code .} and {@code ..} excepted, which Kafka refuses too). */
  static boolean isTopicName(String text) {
    return consistsOf(text, MAX_TOPIC, "._-") && !text.equals(".") && !text.equals("..");
  }

  /** 1 to {@code maxLength} characters, each an ASCII letter or digit or one of {@code punctuation}. */
  private static boolean consistsOf(String text, int maxLength, String punctuation) {
    int length = text.length();
    if (length == 0 || length > maxLength) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || punctuation.indexOf(c) >= 0)) {
        return false;
      }
    }
    return true;
  }

  public Outcome parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return rejected("empty record: a command is a JSON object", null);
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
      if (bytes.length > maxBytes) {
        // Still read for its id and reply topic, so the caller hears why it was refused.
        return rejected("record is " + bytes.length + " bytes, more than the limit of " + maxBytes,
            root != null && root.isObject() ? root : null);
      }
    } catch (JsonProcessingException e) {
      return rejected("not valid JSON: " + e.getOriginalMessage(), null);
    } catch (IOException e) {
      return rejected("unreadable: " + e.getMessage(), null);
    }
    if (root == null || !root.isObject()) {
      return rejected("a command must be a JSON object", null);
    }
    try {
      return new Parsed(command((ObjectNode) root));
    } catch (InvalidCommandException e) {
      return rejected(e.getMessage(), root);
    }
  }

  private Command command(ObjectNode root) throws InvalidCommandException {
    JsonNode version = root.get("v");
    if (version != null && !(version.isIntegralNumber() && version.intValue() == 1)) {
      throw new InvalidCommandException("unsupported command version " + version + ": this worker reads v 1");
    }
    String id = text(root, "id").orElseThrow(() -> new InvalidCommandException("missing 'id'"));
    if (!isCommandId(id)) {
      throw new InvalidCommandException("invalid 'id': expected 1-128 of [A-Za-z0-9._:-]");
    }
    String typeText = text(root, "type").orElseThrow(() -> new InvalidCommandException("missing 'type'"));
    CommandType type = CommandType.parse(typeText).orElseThrow(() -> new InvalidCommandException(
        "unknown type '" + abbreviate(typeText) + "': expected execute, register, unregister, build, get or list"));
    if (type != CommandType.EXECUTE && executeOnlyElse.isPresent()) {
      throw new InvalidCommandException("type '" + type.jsonName() + "' is not taken on the execute topic, which runs "
          + "execute commands only: " + type.jsonName() + " goes to the control topic " + executeOnlyElse.get());
    }
    Optional<String> plugin = text(root, "plugin");
    if (type.needsPlugin() && plugin.isEmpty()) {
      throw new InvalidCommandException("missing 'plugin' for " + type.jsonName());
    }
    if (plugin.isPresent() && !PluginId.isValid(plugin.get())) {
      throw new InvalidCommandException("invalid 'plugin' id '" + abbreviate(plugin.get()) + "': expected "
          + PluginId.expected());
    }
    Optional<String> method = text(root, "method");
    if (type == CommandType.EXECUTE && method.isEmpty()) {
      throw new InvalidCommandException("missing 'method' for execute");
    }
    if (method.isPresent() && !isMethod(method.get())) {
      throw new InvalidCommandException("invalid 'method' '" + abbreviate(method.get()) + "'");
    }
    JsonNode args = root.get("args");
    if (args != null && !args.isNull() && !args.isObject()) {
      throw new InvalidCommandException("'args' must be a JSON object");
    }
    String replyTo = replyTo(root).orElse(defaultReplyTo);
    Optional<Duration> timeout = Optional.empty();
    JsonNode timeoutNode = root.get("timeout_ms");
    if (timeoutNode != null && !timeoutNode.isNull()) {
      if (!timeoutNode.isIntegralNumber() || timeoutNode.longValue() <= 0 || !timeoutNode.canConvertToLong()) {
        throw new InvalidCommandException("'timeout_ms' must be a positive whole number");
      }
      timeout = Optional.of(Duration.ofMillis(timeoutNode.longValue()));
    }
    Optional<Instant> deadline = Optional.empty();
    Optional<String> deadlineText = text(root, "deadline");
    if (deadlineText.isPresent()) {
      try {
        deadline = Optional.of(Instant.parse(deadlineText.get()));
      } catch (DateTimeParseException e) {
        throw new InvalidCommandException("'deadline' must be an ISO-8601 instant such as 2026-11-24T18:00:00Z");
      }
    }
    JsonNode rebuild = root.get("rebuild");
    if (rebuild != null && !rebuild.isNull() && !rebuild.isBoolean()) {
      throw new InvalidCommandException("'rebuild' must be true or false");
    }
    ObjectNode argsObject = args instanceof ObjectNode object ? object : JsonNodeFactory.instance.objectNode();
    return new Command(id, type, plugin, method, argsObject, replyTo, timeout, deadline,
        rebuild != null && rebuild.asBoolean());
  }

  private Rejected rejected(String reason, JsonNode root) {
    if (root == null) {
      return new Rejected(reason, Optional.empty(), Optional.empty(), Optional.empty());
    }
    Optional<String> id = safeText(root, "id").filter(CommandParser::isCommandId);
    Optional<String> replyTo;
    try {
      replyTo = Optional.of(replyTo(root).orElse(defaultReplyTo));
    } catch (InvalidCommandException e) {
      replyTo = Optional.empty(); // an invalid or refused reply topic is never written to
      if (!reason.equals(e.getMessage())) {
        reason = reason + "; not answered: " + e.getMessage();
      }
    }
    Optional<CommandType> type = safeText(root, "type").flatMap(CommandType::parse);
    return new Rejected(reason, id, replyTo, type);
  }

  private Optional<String> replyTo(JsonNode root) throws InvalidCommandException {
    Optional<String> replyTo = text(root, "reply_to");
    if (replyTo.isPresent() && !isTopicName(replyTo.get())) {
      throw new InvalidCommandException("invalid 'reply_to' topic '" + abbreviate(replyTo.get()) + "'");
    }
    if (replyTo.isPresent()) {
      Optional<String> refusal = replyRefusal.apply(replyTo.get());
      if (refusal.isPresent()) {
        throw new InvalidCommandException(refusal.get() + "; the command was not run");
      }
    }
    return replyTo;
  }

  private static Optional<String> text(JsonNode root, String field) throws InvalidCommandException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new InvalidCommandException("'" + field + "' must be a string");
    }
    return Optional.of(value.textValue());
  }

  private static Optional<String> safeText(JsonNode root, String field) {
    JsonNode value = root.get(field);
    return value != null && value.isTextual() ? Optional.of(value.textValue()) : Optional.empty();
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "…";
  }

  private static final class InvalidCommandException extends Exception {
    InvalidCommandException(String message) {
      super(message);
    }
  }
}
