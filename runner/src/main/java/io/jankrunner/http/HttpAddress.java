package io.jankrunner.http;

import java.net.InetSocketAddress;

/** Parses {@code HOST:PORT} (or {@code :PORT}, meaning loopback) for {@code --http}. */
public final class HttpAddress {

  private HttpAddress() {}

  public static InetSocketAddress parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("--http wants HOST:PORT, e.g. 127.0.0.1:8080, not " + text);
    }
    String host = text.substring(0, colon).replace("[", "").replace("]", "");
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--http port is not a number: " + text);
    }
    return new InetSocketAddress(host.isEmpty() ? "127.0.0.1" : host, port);
  }
}
