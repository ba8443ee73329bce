package io.jankrunner.http;

import static io.jankrunner.http.Exchanges.JSON;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.jankrunner.ErrorCode;
import io.jankrunner.command.Command;
import io.jankrunner.command.CommandParser;
import io.jankrunner.command.CommandType;
import io.jankrunner.dispatch.Delivery;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.result.Result;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Jank's {@code /api/v1/plugin/*}: register and unregister go fleet-wide through the dispatcher
 * exactly as the Kafka control commands do (the registry topic); execute runs on this worker
 * under the same guards; get and list read this worker's plugin manager. A request body becomes
 * the same command JSON a Kafka producer would send and is validated by the same parser.
 */
final class PluginApi {

  static final String PREFIX = "/api/v1/plugin/";
  private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  private static final int MAX_PAGE_SIZE = 100;
  private static final int DEFAULT_PAGE_SIZE = 20;

  /** Each endpoint's method, and whether it changes anything (read-only tokens may not). */
  record Route(String method, boolean writes) {}

  static final Map<String, Route> ROUTES = Map.of(
      "register", new Route("POST", true),
      "unregister", new Route("POST", true),
      "execute", new Route("POST", true),
      "get", new Route("GET", false),
      "list", new Route("GET", false));

  private final ApiServer.Backend backend;
  private final CommandParser parser;

  PluginApi(ApiServer.Backend backend) {
    this.backend = backend;
    this.parser = new CommandParser(backend.maxBodyBytes(), "http");
  }

  void handle(String action, HttpExchange exchange, String requestId) throws IOException, Exchanges.BodyTooLarge {
    switch (action) {
      case "register" -> command(CommandType.REGISTER, exchange, requestId);
      case "unregister" -> command(CommandType.UNREGISTER, exchange, requestId);
      case "execute" -> command(CommandType.EXECUTE, exchange, requestId);
      case "get" -> get(exchange, requestId);
      default -> list(exchange, requestId);
    }
  }

  private void command(CommandType type, HttpExchange exchange, String requestId)
      throws IOException, Exchanges.BodyTooLarge {
    byte[] bytes = Exchanges.body(exchange, backend.maxBodyBytes());
    JsonNode body;
    try {
      body = bytes.length == 0 ? null : JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      invalid(exchange, requestId, "the body is not valid JSON: " + e.getOriginalMessage());
      return;
    }
    if (body == null || !body.isObject()) {
      invalid(exchange, requestId, "the body must be a JSON object");
      return;
    }
    // Jank's body, as the command a Kafka producer would send: one validation for both fronts.
    // A caller's X-Request-Id names the request, not the command: reusing one must not replay an
    // earlier answer from the dispatcher's cache of answered command ids.
    String commandId = exchange.getRequestHeaders().containsKey("X-Request-Id") ? UUID.randomUUID().toString()
        : requestId;
    ObjectNode command = JSON.createObjectNode().put("v", 1).put("id", commandId).put("type", type.jsonName());
    copy(body, command, "id", "plugin");
    copy(body, command, "method", "method");
    copy(body, command, "args", "args");
    copy(body, command, "timeout_ms", "timeout_ms");
    copy(body, command, "rebuild", "rebuild");
    Command parsed = switch (parser.parse(JSON.writeValueAsBytes(command))) {
      case CommandParser.Parsed ok -> ok.command();
      case CommandParser.Rejected rejected -> {
        invalid(exchange, requestId, rejected.reason().replace("'plugin'", "'id'"));
        yield null;
      }
    };
    if (parsed == null) {
      return;
    }
    Result result = backend.dispatcher().handle(parsed, new Delivery(Instant.now(), 1, traceparent(exchange)));
    backend.dispatcher().forget(parsed.id()); // a request is never redelivered: nothing to remember it for
    if (!result.ok()) {
      Result.Failure failure = result.error().orElseThrow();
      fail(exchange, requestId, parsed.plugin().orElse(""), failure.code(), failure.message());
      return;
    }
    JsonNode data = result.data().orElse(JSON.nullNode());
    if (type == CommandType.EXECUTE) {
      ObjectNode answer = JSON.createObjectNode().put("method", parsed.method().orElse(""));
      answer.set("data", data);
      data = answer;
    } else if (type == CommandType.REGISTER) {
      data = backend.plugins().get(parsed.plugin().orElseThrow()).map(this::json).map(JsonNode.class::cast)
          .orElse(data);
    }
    Exchanges.ok(exchange, requestId, data);
  }

  private static void copy(JsonNode from, ObjectNode to, String field, String as) {
    JsonNode value = from.get(field);
    if (value != null) {
      to.set(as, value);
    }
  }

  private void get(HttpExchange exchange, String requestId) throws IOException {
    String id = Exchanges.query(exchange).get("id");
    if (id == null || id.isBlank()) {
      invalid(exchange, requestId, "missing query parameter 'id'");
      return;
    }
    Optional<PluginInfo> info = backend.plugins().get(id);
    if (info.isEmpty()) {
      Exchanges.error(exchange, requestId, 404, ErrorCode.PLUGIN_NOT_FOUND.name(), "no plugin " + id);
      return;
    }
    Exchanges.ok(exchange, requestId, json(info.get()));
  }

  private void list(HttpExchange exchange, String requestId) throws IOException {
    Map<String, String> query = Exchanges.query(exchange);
    int pageNo;
    int pageSize;
    try {
      pageNo = number(query, "page_no", 1, 1, Integer.MAX_VALUE);
      pageSize = number(query, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    } catch (IllegalArgumentException e) {
      invalid(exchange, requestId, e.getMessage());
      return;
    }
    String status = query.get("status");
    List<PluginInfo> matching = backend.plugins().list().stream()
        .filter(info -> status == null || status.isBlank() || info.status().equals(status)).toList();
    ObjectNode page = JSON.createObjectNode().put("total", matching.size()).put("page_no", pageNo)
        .put("page_size", pageSize);
    ArrayNode list = page.putArray("list");
    matching.stream().skip((long) (pageNo - 1) * pageSize).limit(pageSize).map(this::json).forEach(list::add);
    Exchanges.ok(exchange, requestId, page);
  }

  private static int number(Map<String, String> query, String name, int fallback, int min, int max) {
    String text = query.get(name);
    if (text == null || text.isBlank()) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(text.strip());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("'" + name + "' must be a whole number from " + min
        + (max == Integer.MAX_VALUE ? " up" : " to " + max));
  }

  private ObjectNode json(PluginInfo info) {
    String id = info.id().orElse("");
    return PluginJson.of(info, backend.plugins().manifest(id), backend.guards().circuitState(id),
        backend.metrics().readySince(id));
  }

  /** An unknown plugin that is in the plugins directory but not registered is a conflict, not a 404. */
  private void fail(HttpExchange exchange, String requestId, String plugin, ErrorCode code, String message)
      throws IOException {
    int status = ErrorStatus.of(code);
    if (code == ErrorCode.PLUGIN_NOT_FOUND && !plugin.isEmpty() && backend.plugins().get(plugin).isPresent()) {
      status = ErrorStatus.NOT_REGISTERED;
    }
    Exchanges.error(exchange, requestId, status, code.name(), message);
  }

  private static void invalid(HttpExchange exchange, String requestId, String message) throws IOException {
    Exchanges.error(exchange, requestId, 400, ErrorCode.INVALID_COMMAND.name(), message);
  }

  static Optional<String> traceparent(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("traceparent");
    return header != null && TRACEPARENT.matcher(header.strip()).matches() ? Optional.of(header.strip())
        : Optional.empty();
  }
}
