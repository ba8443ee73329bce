package io.jankrunner.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The per-call parts of a command, immutable: its id (default a new UUID), its timeout (default
 * 30 s), a W3C {@code traceparent} to carry, and the record key. Each {@code with…} checks its
 * value as a worker would and throws {@link IllegalArgumentException} when it would be refused.
 */
public final class ExecuteOptions {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** The command id rule of the contract. */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  /** W3C trace context, version-traceid-parentid-flags in lower-case hex. */
  static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

  private static final ExecuteOptions DEFAULTS = new ExecuteOptions(null, DEFAULT_TIMEOUT, null, null);

  private final String id;
  private final Duration timeout;
  private final String traceparent;
  private final String key;

  private ExecuteOptions(String id, Duration timeout, String traceparent, String key) {
    this.id = id;
    this.timeout = timeout;
    this.traceparent = traceparent;
    this.key = key;
  }

  public static ExecuteOptions defaults() {
    return DEFAULTS;
  }

  /** The defaults with {@code timeout}. */
  public static ExecuteOptions timeout(Duration timeout) {
    return DEFAULTS.withTimeout(timeout);
  }

  /**
   * The command id, {@code [A-Za-z0-9._:-]{1,128}}, unique per command: a worker answers a
   * redelivered id from its cache, and the same id with another command {@code INVALID_COMMAND}.
   */
  public ExecuteOptions withId(String id) {
    Objects.requireNonNull(id, "id");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("id '" + id + "' does not match " + ID.pattern());
    }
    return new ExecuteOptions(id, timeout, traceparent, key);
  }

  /**
   * Bounds the command: sent as its {@code timeout_ms} and as its {@code deadline} (now plus the
   * timeout, so a command still queued then is answered {@code EXPIRED}, not run), and the call
   * fails with {@link ErrorCode#TIMEOUT} when no result came within it (plus the client's result
   * grace, see {@link RunnerClient.Builder#resultGrace}). Whole milliseconds, at least 1.
   */
  public ExecuteOptions withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.toMillis() < 1) {
      throw new IllegalArgumentException("timeout must be at least 1 ms, not " + timeout);
    }
    return new ExecuteOptions(id, timeout, traceparent, key);
  }

  /**
   * A W3C {@code traceparent} header for the command: the worker carries it to the result's
   * header, the plugin call's gRPC metadata and its log lines.
   */
  public ExecuteOptions withTraceparent(String traceparent) {
    Objects.requireNonNull(traceparent, "traceparent");
    if (!TRACEPARENT.matcher(traceparent).matches()) {
      throw new IllegalArgumentException("traceparent '" + traceparent + "' is not W3C trace context ("
          + TRACEPARENT.pattern() + ")");
    }
    return new ExecuteOptions(id, timeout, traceparent, key);
  }

  /**
   * The command record's key (default: the command id for execute, the plugin id for control
   * commands). In a worker's group mode, records with the same key run one after another.
   */
  public ExecuteOptions withKey(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty");
    }
    return new ExecuteOptions(id, timeout, traceparent, key);
  }

  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  public Duration timeout() {
    return timeout;
  }

  public Optional<String> traceparent() {
    return Optional.ofNullable(traceparent);
  }

  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  @Override
  public String toString() {
    return "ExecuteOptions{id=" + id + ", timeout=" + timeout + ", traceparent=" + traceparent + ", key=" + key + "}";
  }
}
