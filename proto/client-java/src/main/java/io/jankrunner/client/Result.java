package io.jankrunner.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A worker's answer to one command ({@code proto/contract/result.schema.json}), as it came: the
 * typed fields below, the whole JSON in {@link #json()}, and the {@code traceparent} header the
 * worker carried over from the command.
 */
public final class Result {

  /** A failed result's {@code error}: its code, typed and as written, the message, and whether a retry may succeed. */
  public record Error(ErrorCode code, String codeName, String message, boolean retriable) {}

  private final ObjectNode json;
  private final String traceparent;

  private Result(ObjectNode json, String traceparent) {
    this.json = json;
    this.traceparent = traceparent;
  }

  /**
   * Reads a result record's value; {@code traceparent} is its header, or null.
   *
   * @throws IOException when the value is not JSON, or not a result (no id or status)
   */
  static Result parse(byte[] value, String traceparent) throws IOException {
    JsonNode node = Json.MAPPER.readTree(value);
    if (!(node instanceof ObjectNode object) || !object.path("id").isTextual() || !object.path("status").isTextual()) {
      throw new IOException("not a result: no id or status");
    }
    return new Result(object, traceparent);
  }

  public String id() {
    return json.path("id").asText();
  }

  /** The command's type ({@code execute}, {@code register}, …), when the worker could read it. */
  public Optional<String> type() {
    return text("type");
  }

  public Optional<String> plugin() {
    return text("plugin");
  }

  public Optional<String> method() {
    return text("method");
  }

  public boolean ok() {
    return "ok".equals(json.path("status").asText());
  }

  /** The plugin's data, or what a control command reports; a missing node when absent. */
  public JsonNode data() {
    return json.path("data");
  }

  /** {@link #data()} bound to {@code type} with the client's Jackson mapper. */
  public <T> T dataAs(Class<T> type) {
    try {
      return Json.MAPPER.treeToValue(data(), type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("data of " + id() + " is not a " + type.getName() + ": "
          + e.getOriginalMessage(), e);
    }
  }

  public Optional<Error> error() {
    JsonNode error = json.get("error");
    if (error == null || !error.isObject()) {
      return Optional.empty();
    }
    String name = error.path("code").asText();
    return Optional.of(new Error(ErrorCode.of(name), name, error.path("message").asText(),
        error.path("retriable").asBoolean(ErrorCode.of(name).retriable())));
  }

  /** The id of the worker that answered. */
  public String worker() {
    return json.path("worker").asText();
  }

  /** Plugin calls made for this delivery, retries included. */
  public int attempts() {
    return json.path("attempts").asInt();
  }

  /** How often Kafka delivered the command. */
  public int deliveryCount() {
    return json.path("delivery_count").asInt();
  }

  public long durationMs() {
    return json.path("duration_ms").asLong();
  }

  /** Present when the command waited for a plugin start. */
  public OptionalLong coldStartMs() {
    return number("cold_start_ms");
  }

  /** From the command record's producer timestamp to the worker's receipt. */
  public OptionalLong queuedMs() {
    return number("queued_ms");
  }

  /** The {@code traceparent} header of the result record (the command's, carried through). */
  public Optional<String> traceparent() {
    return Optional.ofNullable(traceparent);
  }

  /** The result exactly as the worker wrote it (a copy). */
  public ObjectNode json() {
    return json.deepCopy();
  }

  private Optional<String> text(String field) {
    JsonNode node = json.get(field);
    return node != null && node.isTextual() ? Optional.of(node.asText()) : Optional.empty();
  }

  private OptionalLong number(String field) {
    JsonNode node = json.get(field);
    return node != null && node.isIntegralNumber() ? OptionalLong.of(node.asLong()) : OptionalLong.empty();
  }

  @Override
  public String toString() {
    return json.toString();
  }
}
