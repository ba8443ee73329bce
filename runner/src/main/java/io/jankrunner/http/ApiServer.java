package io.jankrunner.http;

import io.jankrunner.config.ApiTokens;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.metrics.WorkerMetrics;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.resilience.PluginGuards;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The worker's one HTTP port: Jank's plugin API ({@code /api/v1/plugin/*}; static bearer tokens
 * or Jank's JWTs; CORS for the operator's origins),
 * {@code /metrics} (Prometheus), {@code /healthz} and {@code /readyz}. The JDK's own HTTP server
 * with a virtual thread per exchange: no dependency, and a blocking plugin call costs no
 * platform thread.
 */
public final class ApiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

  /**
   * What the API serves from.
   *
   * @param readiness named checks, all true when the worker is ready (consuming, registry caught up)
   * @param maxBodyBytes larger request bodies are refused with 413
   */
  public record Backend(Dispatcher dispatcher, PluginManager plugins, PluginGuards guards, WorkerMetrics metrics,
                        Map<String, BooleanSupplier> readiness, int maxBodyBytes) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final ApiTokens tokens;
  private final Backend backend;
  private final Optional<JankJwt> jwt;
  private final Cors cors;
  private final PluginApi plugins;
  private final boolean loopback;

  private ApiServer(InetSocketAddress address, ApiTokens tokens, Backend backend) throws IOException {
    this.tokens = tokens;
    this.jwt = tokens.jwtSecret().map(JankJwt::new);
    this.cors = new Cors(tokens.corsOrigins());
    this.backend = backend;
    this.plugins = new PluginApi(backend);
    this.loopback = address.getAddress() != null && address.getAddress().isLoopbackAddress();
    ServerLimits.apply();
    this.server = HttpServer.create(address, 1024);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Starts serving at {@code address}.
   *
   * @throws IllegalArgumentException on a non-loopback address without any token: the API would
   *     let anyone on the network register and run plugins
   */
  public static ApiServer start(InetSocketAddress address, ApiTokens tokens, Backend backend) throws IOException {
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("--http: cannot resolve " + address.getHostString());
    }
    boolean loopback = address.getAddress().isLoopbackAddress();
    if (!loopback && tokens.isEmpty()) {
      throw new IllegalArgumentException("--http " + address.getHostString() + " is not a loopback address: set "
          + "JANK_HTTP_TOKENS, JANK_HTTP_TOKENS_FILE or JANK_HTTP_JWT_SECRET, or listen on 127.0.0.1");
    }
    ApiServer api = new ApiServer(address, tokens, backend);
    api.server.start();
    log.info("HTTP API on http://{}:{} ({})", address.getHostString(), api.address().getPort(),
        tokens.isEmpty() ? "no tokens: open to local callers" : tokens);
    return api;
  }

  /** Where it listens (the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) {
    String requestId = Exchanges.requestId(exchange);
    String path = exchange.getRequestURI().getPath();
    PluginApi.traceparent(exchange).ifPresent(traceparent -> MDC.put("traceparent", traceparent));
    try {
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      switch (path) {
        case "/healthz" -> health(exchange, requestId);
        case "/readyz" -> ready(exchange, requestId);
        case "/metrics" -> metrics(exchange, requestId);
        default -> api(exchange, requestId, path);
      }
    } catch (Exchanges.BodyTooLarge e) {
      exchange.getResponseHeaders().set("Connection", "close");
      respondQuietly(exchange, requestId, 413, JankError.INVALID_PARAMS, "PAYLOAD_TOO_LARGE", "body too large",
          e.getMessage());
    } catch (IOException e) {
      log.debug("HTTP {} {}: {}", exchange.getRequestMethod(), path, e.toString());
    } catch (RuntimeException e) {
      log.error("HTTP {} {} failed", exchange.getRequestMethod(), path, e);
      respondQuietly(exchange, requestId, 500, JankError.INTERNAL, "INTERNAL", "see the worker's log, request "
          + requestId, null);
    } finally {
      exchange.close();
      MDC.remove("traceparent");
    }
  }

  private void api(HttpExchange exchange, String requestId, String path) throws IOException, Exchanges.BodyTooLarge {
    if (!path.startsWith(PluginApi.PREFIX)) {
      Exchanges.error(exchange, requestId, JankError.RESOURCE_NOT_FOUND, "NOT_FOUND", "endpoint " + path, null);
      return;
    }
    // As in Jank, CORS comes before authentication: a preflight carries no token.
    switch (cors.check(exchange)) {
      case PREFLIGHT_ANSWERED -> {
        Exchanges.sendBytes(exchange, 204, new byte[0]);
        return;
      }
      case REFUSED -> {
        Exchanges.error(exchange, requestId, JankError.FORBIDDEN, "CORS_ORIGIN_REFUSED", "origin "
            + exchange.getRequestHeaders().getFirst("Origin"), "this origin is not in JANK_HTTP_CORS_ORIGINS");
        return;
      }
      default -> { }
    }
    PluginApi.Route route = PluginApi.ROUTES.get(path.substring(PluginApi.PREFIX.length()));
    if (!authorized(exchange, requestId, route == null || route.writes())) {
      return;
    }
    if (tokens.isEmpty() && !tokenlessCallAllowed(exchange, requestId, route)) {
      return;
    }
    if (route == null) {
      Exchanges.error(exchange, requestId, JankError.RESOURCE_NOT_FOUND, "NOT_FOUND", "endpoint " + path, null);
    } else if (!route.method().equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", route.method());
      Exchanges.error(exchange, requestId, 405, JankError.INVALID_PARAMS, "METHOD_NOT_ALLOWED",
          path + " takes " + route.method(), null);
    } else if (!isReady()) {
      Exchanges.error(exchange, requestId, JankError.SERVICE_UNAVAILABLE, "NOT_READY", "the worker is starting",
          "see /readyz");
    } else {
      plugins.handle(path.substring(PluginApi.PREFIX.length()), exchange, requestId);
    }
  }

  /**
   * As Jank: 401 (code 10003) for a missing, unknown, expired or badly signed token, so a Jank
   * client refreshes and retries; 403 only for a read-only token on a write, which Jank has no
   * counterpart for. A static token is looked up first, then a Jank JWT when a secret is set (a
   * JWT may do anything: Jank's plugin routes ask nothing beyond a valid login). True when the
   * call may go on.
   */
  private boolean authorized(HttpExchange exchange, String requestId, boolean writes) throws IOException {
    if (tokens.isEmpty()) {
      return true; // loopback only: start() refuses other addresses without tokens
    }
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
      unauthorized(exchange, requestId, "auth header is empty");
      return false;
    }
    String token = header.substring(7).strip();
    Optional<ApiTokens.Access> access = tokens.check(token);
    if (access.isEmpty() && jwt.isPresent() && JankJwt.looksLikeJwt(token)) {
      Optional<String> refusal = jwt.get().refusal(token);
      if (refusal.isPresent()) {
        unauthorized(exchange, requestId, refusal.get());
        return false;
      }
      access = Optional.of(ApiTokens.Access.READ_WRITE);
    }
    if (access.isEmpty()) {
      unauthorized(exchange, requestId, "the token is not accepted");
      return false;
    }
    if (writes && access.get() == ApiTokens.Access.READ_ONLY) {
      Exchanges.error(exchange, requestId, JankError.FORBIDDEN, "FORBIDDEN", "a read-only token may only get and list",
          null);
      return false;
    }
    return true;
  }

  /**
   * Without tokens the API is open to whoever can reach loopback, which includes a web page in a
   * local browser: a page on another site may send a "simple" cross-origin POST (form-encoded or
   * text/plain, no preflight), or rebind its own host name to 127.0.0.1. So a tokenless call must
   * name a loopback host in {@code Host}, and a write must carry a JSON body, which a browser only
   * sends cross-origin after a preflight that {@link Cors} refuses for origins not allowed.
   */
  private boolean tokenlessCallAllowed(HttpExchange exchange, String requestId, PluginApi.Route route)
      throws IOException {
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (host == null || !isLoopbackHost(host)) {
      Exchanges.error(exchange, requestId, JankError.FORBIDDEN, "HOST_REFUSED", "host " + host,
          "without API tokens only loopback host names (127.0.0.1, localhost, [::1]) are served");
      return false;
    }
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    boolean json = type != null && type.strip().toLowerCase(java.util.Locale.ROOT).startsWith("application/json");
    if (route != null && route.writes() && !json) {
      Exchanges.error(exchange, requestId, 415, JankError.INVALID_PARAMS, "UNSUPPORTED_MEDIA_TYPE",
          "a write without API tokens must send Content-Type: application/json", null);
      return false;
    }
    return true;
  }

  /** {@code 127.0.0.1:8080}, {@code localhost}, {@code [::1]:8080}…: a name that cannot be rebound to a remote site. */
  static boolean isLoopbackHost(String hostHeader) {
    String host = hostHeader.strip().toLowerCase(java.util.Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end > 0 && host.substring(1, end).equals("::1");
    }
    int colon = host.indexOf(':');
    String name = colon < 0 ? host : host.substring(0, colon);
    return name.equals("localhost") || name.matches("127(\\.\\d{1,3}){3}");
  }

  private static void unauthorized(HttpExchange exchange, String requestId, String why) throws IOException {
    Exchanges.error(exchange, requestId, JankError.UNAUTHORIZED, "UNAUTHORIZED", why, null);
  }

  private void health(HttpExchange exchange, String requestId) throws IOException {
    Exchanges.send(exchange, 200, requestId, Exchanges.JSON.createObjectNode().put("status", "alive"));
  }

  private void ready(HttpExchange exchange, String requestId) throws IOException {
    ObjectNode body = Exchanges.JSON.createObjectNode();
    Map<String, Boolean> checks = checks();
    body.put("ready", !checks.containsValue(false));
    checks.forEach(body::put);
    Exchanges.send(exchange, checks.containsValue(false) ? 503 : 200, requestId, body);
  }

  private void metrics(HttpExchange exchange, String requestId) throws IOException {
    // Loopback: no token, as a local Prometheus or curl expects. Elsewhere any token, read-only included.
    if (!loopback && !authorized(exchange, requestId, false)) {
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    Exchanges.sendBytes(exchange, 200, backend.metrics().scrape().getBytes(StandardCharsets.UTF_8));
  }

  private boolean isReady() {
    return !checks().containsValue(false);
  }

  private Map<String, Boolean> checks() {
    Map<String, Boolean> checks = new LinkedHashMap<>();
    backend.readiness().forEach((name, check) -> checks.put(name, check.getAsBoolean()));
    return checks;
  }

  private static void respondQuietly(HttpExchange exchange, String requestId, int status, JankError error,
                                     String name, String argument, String detail) {
    try {
      Exchanges.error(exchange, requestId, status, error, name, argument, detail);
    } catch (IOException | RuntimeException e) {
      log.debug("could not answer {} {}: {}", status, name, e.toString());
    }
  }

  /** Stops taking requests; those in flight get a few seconds to finish, then are interrupted. */
  @Override
  public void close() {
    server.stop(5);
    executor.shutdownNow();
  }
}
