package io.jankrunner.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.util.List;

/**
 * Cross-origin calls as Jank's CORS middleware ({@code internal/middleware/cors/cors.go},
 * hertz-contrib/cors) answers them, for the origins the operator lists (none by default, so no
 * browser page on another origin may call): a preflight from a listed origin is answered 204 with
 * Jank's methods and headers, one from any other origin is refused 403, and an actual call from
 * a listed origin gets {@code Access-Control-Allow-Origin}. A request without {@code Origin} is
 * no cross-origin call and passes untouched.
 */
final class Cors {

  static final String ALLOW_METHODS = "GET,POST,PUT,DELETE,OPTIONS,PATCH";
  static final String ALLOW_HEADERS = "Origin,Content-Type,Accept,Authorization,X-Requested-With,X-Request-Id,"
      + "traceparent";
  static final String EXPOSE_HEADERS = "Content-Length,Authorization,X-Request-Id";
  /** Jank's default MAX_AGE is 12 hours. */
  static final String MAX_AGE = Long.toString(12 * 3600);

  /** What to do with a request. */
  enum Verdict { NOT_CROSS_ORIGIN, ALLOWED, PREFLIGHT_ANSWERED, REFUSED }

  private final List<String> origins;

  Cors(List<String> origins) {
    this.origins = List.copyOf(origins);
  }

  /** Sets the answer's CORS headers; the caller answers a preflight 204 and a refusal 403. */
  Verdict check(HttpExchange exchange) {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (origin == null || origin.isBlank()) {
      return Verdict.NOT_CROSS_ORIGIN;
    }
    boolean preflight = "OPTIONS".equals(exchange.getRequestMethod())
        && exchange.getRequestHeaders().containsKey("Access-Control-Request-Method");
    Headers headers = exchange.getResponseHeaders();
    headers.add("Vary", "Origin");
    if (!allowed(origin)) {
      return Verdict.REFUSED;
    }
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Access-Control-Allow-Credentials", "true");
    if (preflight) {
      headers.set("Access-Control-Allow-Methods", ALLOW_METHODS);
      headers.set("Access-Control-Allow-Headers", ALLOW_HEADERS);
      headers.set("Access-Control-Max-Age", MAX_AGE);
      return Verdict.PREFLIGHT_ANSWERED;
    }
    headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    return Verdict.ALLOWED;
  }

  private boolean allowed(String origin) {
    return origins.contains("*") || origins.contains(origin);
  }
}
