package io.jankrunner.result;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Results as the JSON callers read: id, status, data or error (code, message, retriable), worker, attempts and timings. */
public final class ResultJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ResultJson() {}

  public static ObjectNode toJson(Result result) {
    ObjectNode node = JSON.createObjectNode();
    node.put("v", 1);
    node.put("id", result.id());
    result.type().ifPresent(type -> node.put("type", type));
    result.plugin().ifPresent(plugin -> node.put("plugin", plugin));
    result.method().ifPresent(method -> node.put("method", method));
    node.put("status", result.status());
    result.data().ifPresent(data -> node.set("data", data));
    result.error().ifPresent(error -> node.putObject("error")
        .put("code", error.code().name())
        .put("message", error.message())
        .put("retriable", error.retriable()));
    node.put("worker", result.worker());
    node.put("attempts", result.attempts());
    node.put("delivery_count", result.deliveryCount());
    node.put("received_at", result.receivedAt().toString());
    node.put("finished_at", result.finishedAt().toString());
    node.put("duration_ms", result.duration().toMillis());
    result.coldStart().ifPresent(cold -> node.put("cold_start_ms", cold.toMillis()));
    result.queued().ifPresent(queued -> node.put("queued_ms", queued.toMillis()));
    return node;
  }

  /**
   * The same JSON as {@link #toJson}, streamed: no intermediate tree per result on the hot path,
   * and the plugin's data written straight from the tree it arrived in.
   */
  public static byte[] toBytes(Result result) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.getFactory().createGenerator(bytes)) {
      json.writeStartObject();
      json.writeNumberField("v", 1);
      json.writeStringField("id", result.id());
      if (result.type().isPresent()) {
        json.writeStringField("type", result.type().get());
      }
      if (result.plugin().isPresent()) {
        json.writeStringField("plugin", result.plugin().get());
      }
      if (result.method().isPresent()) {
        json.writeStringField("method", result.method().get());
      }
      json.writeStringField("status", result.status());
      if (result.data().isPresent()) {
        json.writeFieldName("data");
        JSON.writeTree(json, result.data().get());
      }
      if (result.error().isPresent()) {
        Result.Failure error = result.error().get();
        json.writeObjectFieldStart("error");
        json.writeStringField("code", error.code().name());
        json.writeStringField("message", error.message());
        json.writeBooleanField("retriable", error.retriable());
        json.writeEndObject();
      }
      json.writeStringField("worker", result.worker());
      json.writeNumberField("attempts", result.attempts());
      json.writeNumberField("delivery_count", result.deliveryCount());
      json.writeStringField("received_at", result.receivedAt().toString());
      json.writeStringField("finished_at", result.finishedAt().toString());
      json.writeNumberField("duration_ms", result.duration().toMillis());
      if (result.coldStart().isPresent()) {
        json.writeNumberField("cold_start_ms", result.coldStart().get().toMillis());
      }
      if (result.queued().isPresent()) {
        json.writeNumberField("queued_ms", result.queued().get().toMillis());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

}
