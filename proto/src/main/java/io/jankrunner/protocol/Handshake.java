package io.jankrunner.protocol;

import java.util.Optional;

/**
 * The hashicorp/go-plugin handshake line a plugin prints on stdout once it is serving:
 * {@code CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT}, for example
 * {@code 1|1|unix|/tmp/plugin123/plugin.sock|grpc|}.
 *
 * <p>Invariants of a parsed handshake: core version {@value #CORE_PROTOCOL_VERSION}, app
 * version {@value #APP_PROTOCOL_VERSION}, network {@code unix} or {@code tcp}, protocol
 * {@code grpc}. The server certificate is empty unless the plugin runs with auto-mTLS.
 */
public record Handshake(int coreVersion, int appVersion, String network, String address,
                        String protocol, Optional<String> serverCert) {

  /** The environment variable and value that tell a plugin binary it was started by a host. */
  public static final String MAGIC_COOKIE_KEY = "JANK_PLUGIN";
  public static final String MAGIC_COOKIE_VALUE = "jank-plugin";
  /** go-plugin's own protocol version (the first field). */
  public static final int CORE_PROTOCOL_VERSION = 1;
  /** Jank's plugin API version (the second field). */
  public static final int APP_PROTOCOL_VERSION = 1;
  public static final String PROTOCOL_VERSIONS_ENV = "PLUGIN_PROTOCOL_VERSIONS";
  public static final String MIN_PORT_ENV = "PLUGIN_MIN_PORT";
  public static final String MAX_PORT_ENV = "PLUGIN_MAX_PORT";
  public static final String CLIENT_CERT_ENV = "PLUGIN_CLIENT_CERT";
  public static final String UNIX_SOCKET_DIR_ENV = "PLUGIN_UNIX_SOCKET_DIR";

  public Handshake {
    serverCert = serverCert == null ? Optional.empty() : serverCert.filter(cert -> !cert.isBlank());
  }

  /** A handshake for a plugin serving gRPC on a unix socket, as the Java SDK prints it. */
  public static Handshake unix(String socketPath) {
    return new Handshake(CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, "unix", socketPath, "grpc", Optional.empty());
  }

  /** The line to print, without a trailing newline. */
  public String toLine() {
    return coreVersion + "|" + appVersion + "|" + network + "|" + address + "|" + protocol + "|"
        + serverCert.orElse("");
  }

  /**
   * Parses and validates one handshake line.
   *
   * @throws IllegalArgumentException with a reason a plugin author can act on
   */
  public static Handshake parse(String line) {
    if (line == null || line.isBlank()) {
      throw new IllegalArgumentException("empty handshake line");
    }
    String[] parts = line.strip().split("\\|", -1);
    if (parts.length < 5) {
      throw new IllegalArgumentException("handshake line has " + parts.length
          + " fields, expected CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL[|SERVER-CERT]: " + abbreviate(line));
    }
    int core = version(parts[0], "core");
    if (core != CORE_PROTOCOL_VERSION) {
      throw new IllegalArgumentException("unsupported go-plugin core protocol version " + core
          + ", this host speaks " + CORE_PROTOCOL_VERSION);
    }
    int app = version(parts[1], "app");
    if (app != APP_PROTOCOL_VERSION) {
      throw new IllegalArgumentException("unsupported plugin protocol version " + app
          + ", this host speaks " + APP_PROTOCOL_VERSION);
    }
    String network = parts[2];
    if (!network.equals("unix") && !network.equals("tcp")) {
      throw new IllegalArgumentException("unsupported network '" + network + "', expected unix or tcp");
    }
    String address = parts[3];
    if (address.isEmpty()) {
      throw new IllegalArgumentException("handshake line has an empty address");
    }
    String protocol = parts[4];
    if (!protocol.equals("grpc")) {
      throw new IllegalArgumentException("unsupported plugin protocol '" + protocol + "', expected grpc");
    }
    Optional<String> cert = parts.length > 5 ? Optional.of(parts[5]) : Optional.empty();
    return new Handshake(core, app, network, address, protocol, cert);
  }

  private static int version(String field, String which) {
    try {
      return Integer.parseInt(field.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("handshake " + which + " version is not a number: '" + abbreviate(field) + "'");
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }
}
