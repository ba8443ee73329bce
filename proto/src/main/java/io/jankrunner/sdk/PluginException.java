package io.jankrunner.sdk;

/**
 * An error a plugin reports to its caller. The host turns it into a {@code PLUGIN_ERROR}
 * result with this message.
 */
public class PluginException extends Exception {

  /** How the error travels as a gRPC status; the message is kept either way. */
  public enum Kind { INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, UNIMPLEMENTED, INTERNAL }

  private final Kind kind;

  public PluginException(String message) {
    this(Kind.INVALID_ARGUMENT, message);
  }

  public PluginException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** The error for a method this plugin does not have. */
  public static PluginException unknownMethod(String method) {
    return new PluginException(Kind.UNIMPLEMENTED, "unknown method '" + method + "'");
  }
}
