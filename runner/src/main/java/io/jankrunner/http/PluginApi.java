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
import io.jankrunner.dispatch.PluginInfoJson;
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
 * Jank's {@code /api/v1/plugin/*} ({@code pkg/router/routes/plugin.go} and
 * {@code pkg/serve/controller/plugin.go} of Done-0/Jank): the same routes, parameters, answers
 * ({@code pkg/vo/plugin.go}) and error codes and statuses. Register and unregister go fleet-wide
 * through the dispatcher exactly as the Kafka control commands do (the registry topic); execute
 * runs on this worker under the same guards; get and list read this worker's plugin manager. A
 * request body becomes the same command JSON a Kafka producer would send and is validated by the
 * same parser.
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
      invalid(exchange, requestId, BIND_JSON, "the body is not valid JSON: " + e.getOriginalMessage());
      return;
    }
    if (body == null || !body.isObject()) {
      invalid(exchange, requestId, BIND_JSON, "the body must be a JSON object");
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
        invalid(exchange, requestId, VALIDATION, rejected.reason().replace("'plugin'", "'id'"));
        yield null;
      }
    };
    if (parsed == null) {
      return;
    }
    Result result = backend.dispatcher().handle(parsed, new Delivery(Instant.now(), 1, traceparent(exchange)));
    backend.dispatcher().forget(parsed.id()); // a request is never redelivered: nothing to remember it for
    String plugin = parsed.plugin().orElse("");
    if (!result.ok()) {
      fail(exchange, requestId, type, plugin, result.error().orElseThrow());
      return;
    }
    JsonNode data = result.data().orElse(JSON.nullNode());
    ObjectNode answer = JSON.createObjectNode();
    switch (type) {
      // vo.ExecutePluginResponse
      case EXECUTE -> answer.put("method", parsed.method().orElse("")).set("data", data);
      // vo.RegisterPluginResponse and Jank's service's words; the runner adds the plugin itself.
      case REGISTER -> answer.put("message", "Plugin registered successfully")
          .set("plugin", backend.plugins().get(plugin).<JsonNode>map(this::json).orElse(data));
      // vo.UnregisterPluginResponse; the runner adds what the dispatcher answered (id, registered).
      default -> {
        answer.put("message", "Plugin unregistered successfully");
        if (data.isObject()) {
          answer.setAll((ObjectNode) data);
        }
      }
    }
    Exchanges.ok(exchange, requestId, answer);
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
      invalid(exchange, requestId, VALIDATION, "missing query parameter 'id'");
      return;
    }
    Optional<PluginInfo> info = backend.plugins().get(id);
    if (info.isEmpty()) {
      // Jank answers a failed get 500 with ErrPluginNotFound (20001).
      Exchanges.error(exchange, requestId, JankError.PLUGIN_NOT_FOUND, ErrorCode.PLUGIN_NOT_FOUND.name(), id,
          "no plugin " + id + " in the plugins directory or registered");
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
    } catch (NotANumber e) {
      invalid(exchange, requestId, BIND_QUERY, e.getMessage());
      return;
    } catch (IllegalArgumentException e) {
      invalid(exchange, requestId, VALIDATION, e.getMessage());
      return;
    }
    // Jank's status word, or the runner's detailed state (?status=stopped: registered but scaled to zero).
    String status = query.get("status");
    List<PluginInfo> matching = backend.plugins().list().stream()
        .filter(info -> status == null || status.isBlank() || PluginInfoJson.jankStatus(info).equals(status)
            || info.status().equals(status)).toList();
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
    long value;
    try {
      value = Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new NotANumber("'" + name + "' is not a whole number: " + text);
    }
    if (value >= min && value <= max) {
      return (int) value;
    }
    throw new IllegalArgumentException("'" + name + "' must be a whole number from " + min
        + (max == Integer.MAX_VALUE ? " up" : " to " + max));
  }

  /** A query number that is no number: Jank's query binding fails before validation. */
  private static final class NotANumber extends IllegalArgumentException {
    NotANumber(String message) {
      super(message);
    }
  }

  /** The one view of a plugin, and its circuit breaker when registered. */
  private ObjectNode json(PluginInfo info) {
    ObjectNode node = PluginInfoJson.toJson(info);
    if (info.registered()) {
      node.put("circuit", backend.guards().circuitState(info.id().orElse("")));
    }
    return node;
  }

  /**
   * As Jank: a failed operation is 500 with that operation's code (register 20002, unregister
   * 20003, execute 20004) and the runner's message in {@code data}; the runner's symbolic code in
   * {@code error.name}. Some runner failures have a more telling answer upstream clients also
   * understand: a refused command, or args that fail the method's schema, is a 400 (10002), a
   * full bulkhead a 429 (10007, retry later).
   */
  private static void fail(HttpExchange exchange, String requestId, CommandType type, String plugin,
                           Result.Failure failure) throws IOException {
    String name = failure.code().name();
    if (failure.code() == ErrorCode.INVALID_COMMAND || failure.code() == ErrorCode.INVALID_ARGS) {
      Exchanges.error(exchange, requestId, JankError.INVALID_PARAMS, name, VALIDATION, failure.message());
      return;
    }
    if (failure.code() == ErrorCode.OVERLOADED) {
      Exchanges.error(exchange, requestId, JankError.TOO_MANY_REQUESTS, name, "plugin " + plugin, failure.message());
      return;
    }
    switch (type) {
      case REGISTER -> Exchanges.error(exchange, requestId, JankError.PLUGIN_REGISTER_FAILED, name, plugin,
          failure.message());
      case UNREGISTER -> Exchanges.error(exchange, requestId, JankError.PLUGIN_UNREGISTER_FAILED, name, plugin,
          failure.message());
      default -> Exchanges.error(exchange, requestId, JankError.EXECUTE_PLUGIN_FAILED, name, "execute plugin failed",
          failure.message());
    }
  }

  /** Jank's handlers' words for a request that does not bind or does not validate. */
  private static final String BIND_JSON = "bind JSON failed";
  private static final String BIND_QUERY = "bind query failed";
  private static final String VALIDATION = "validation failed";

  private static void invalid(HttpExchange exchange, String requestId, String what, String detail)
      throws IOException {
    Exchanges.error(exchange, requestId, JankError.INVALID_PARAMS, ErrorCode.INVALID_COMMAND.name(), what, detail);
  }

  static Optional<String> traceparent(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("traceparent");
    return header != null && TRACEPARENT.matcher(header.strip()).matches() ? Optional.of(header.strip())
        : Optional.empty();
  }
}
