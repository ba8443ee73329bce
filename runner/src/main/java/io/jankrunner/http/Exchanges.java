package io.jankrunner.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reading and answering one HTTP exchange: Jank's envelope as its {@code vo.Success} and
 * {@code vo.Fail} build it ({@code {"data","requestId","timeStamp"}}, or
 * {@code {"error":{"code","message"},"data","requestId","timeStamp"}} with the numeric code as
 * text and the detail in {@code data}; {@code timeStamp} in Unix seconds), bounded bodies, query
 * strings. The runner adds {@code error.name}, its own symbolic name for the failure.
 */
final class Exchanges {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  /** A body over the limit; thrown before more than limit + 1 bytes are read. */
  static final class BodyTooLarge extends Exception {
    BodyTooLarge(String message) {
      super(message);
    }
  }

  private Exchanges() {}

  /** The caller's {@code X-Request-Id} when it is a sane id, else a new one. */
  static String requestId(HttpExchange exchange) {
    String given = exchange.getRequestHeaders().getFirst("X-Request-Id");
    return given != null && REQUEST_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
  }

  static void ok(HttpExchange exchange, String requestId, JsonNode data) throws IOException {
    ObjectNode envelope = JSON.createObjectNode();
    envelope.set("data", data);
    envelope.put("requestId", requestId).put("timeStamp", Instant.now().getEpochSecond());
    send(exchange, 200, requestId, envelope);
  }

  /** A failure with Jank's status for {@code error}. */
  static void error(HttpExchange exchange, String requestId, JankError error, String name, String argument,
                    String detail) throws IOException {
    error(exchange, requestId, error.status, error, name, argument, detail);
  }

  /**
   * A failure: {@code error.message} is Jank's template for {@code error} filled with
   * {@code argument}; {@code detail}, when not null, is the {@code data} Jank puts beside it.
   */
  static void error(HttpExchange exchange, String requestId, int status, JankError error, String name,
                    String argument, String detail) throws IOException {
    ObjectNode envelope = JSON.createObjectNode();
    envelope.putObject("error").put("code", error.code).put("message", error.message(argument)).put("name", name);
    if (detail != null) {
      envelope.put("data", detail);
    }
    envelope.put("requestId", requestId).put("timeStamp", Instant.now().getEpochSecond());
    if (status == 401) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
    }
    send(exchange, status, requestId, envelope);
  }

  static void send(HttpExchange exchange, int status, String requestId, JsonNode body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("X-Request-Id", requestId);
    sendBytes(exchange, status, JSON.writeValueAsBytes(body));
  }

  static void sendBytes(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      // Closing the body flushes the answer before the server drains what the caller still sends.
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * The request body, refused when its declared length is over {@code limit} (nothing read) or
   * when more than {@code limit} bytes arrive (chunked: at most limit + 1 read).
   */
  static byte[] body(HttpExchange exchange, int limit) throws IOException, BodyTooLarge {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        declared = Long.MAX_VALUE;
      }
      if (declared > limit) {
        throw new BodyTooLarge("the body is " + length + " bytes; the limit is " + limit);
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new BodyTooLarge("the body is over the limit of " + limit + " bytes");
      }
      return bytes;
    }
  }

  /** The query string's parameters; the last of a repeated name wins. */
  static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> parameters = new HashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return parameters;
    }
    for (String pair : raw.split("&")) {
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      parameters.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return parameters;
  }
}
