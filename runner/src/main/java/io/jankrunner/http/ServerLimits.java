package io.jankrunner.http;

import java.util.Map;

/**
 * Bounds for the JDK's HTTP server, which by default accepts any number of connections and waits
 * forever for a request's headers and body: one byte per connection would hold a file descriptor
 * each, before any authentication. The server reads these system properties once per JVM, when
 * the first server is created, so they are set (unless the operator set them, e.g. with
 * {@code -Djdk.httpserver.maxConnections=…} in {@code JAVA_OPTS}) just before that.
 *
 * <p>{@code sun.net.httpserver.maxRspTime} is left unset on purpose: it counts from the end of
 * the request, so it would cut off a long plugin call.
 */
final class ServerLimits {

  static final Map<String, String> DEFAULTS = Map.of(
      // Connections past the cap are closed as they are accepted.
      "jdk.httpserver.maxConnections", "256",
      // Seconds to send the request line, headers and body; a connection that sends nothing is
      // closed after the smaller of this and the idle interval.
      "sun.net.httpserver.maxReqTime", "30",
      // Seconds a kept-alive connection may stay idle, and how many may.
      "sun.net.httpserver.idleInterval", "30",
      "sun.net.httpserver.maxIdleConnections", "64",
      "sun.net.httpserver.maxReqHeaders", "100");

  private ServerLimits() {}

  static void apply() {
    DEFAULTS.forEach((name, value) -> {
      if (System.getProperty(name) == null) {
        System.setProperty(name, value);
      }
    });
  }
}
