package io.jankrunner.http;

/**
 * Jank's error codes ({@code internal/types/errno} of Done-0/Jank), each with the message
 * template Jank registers for it and the HTTP status Jank's handlers answer it with: 400 for a
 * request that does not bind or validate, 401 for any token failure, 500 for every failed plugin
 * operation. The codes Jank defines but its plugin handlers never send (403, 404, 429, 503) are
 * used where the runner refuses something Jank has no counterpart for.
 */
enum JankError {
  INTERNAL(10001, 500, "internal server error: "),
  INVALID_PARAMS(10002, 400, "invalid parameter: "),
  UNAUTHORIZED(10003, 401, "unauthorized access: "),
  FORBIDDEN(10004, 403, "permission denied: "),
  RESOURCE_NOT_FOUND(10005, 404, "not found: "),
  TOO_MANY_REQUESTS(10007, 429, "too many requests: "),
  SERVICE_UNAVAILABLE(10008, 503, "service unavailable: "),
  PLUGIN_NOT_FOUND(20001, 500, "plugin not found: "),
  PLUGIN_REGISTER_FAILED(20002, 500, "failed to register plugin: "),
  PLUGIN_UNREGISTER_FAILED(20003, 500, "failed to unregister plugin: "),
  EXECUTE_PLUGIN_FAILED(20004, 500, "failed to execute plugin: "),
  LIST_PLUGINS_FAILED(20005, 500, "failed to list plugins: ");

  /** The number Jank sends, as text, in {@code error.code}. */
  final String code;
  final int status;
  private final String prefix;

  JankError(int code, int status, String prefix) {
    this.code = Integer.toString(code);
    this.status = status;
    this.prefix = prefix;
  }

  /** {@code error.message} as Jank fills its template in, e.g. "failed to register plugin: hello". */
  String message(String argument) {
    return prefix + argument;
  }
}
