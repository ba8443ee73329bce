package io.jankrunner.result;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Results as the JSON callers read (DESIGN.md). */
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
    return node;
  }

  public static byte[] toBytes(Result result) {
    try {
      return JSON.writeValueAsBytes(toJson(result));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
