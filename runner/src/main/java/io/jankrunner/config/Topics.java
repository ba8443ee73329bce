package io.jankrunner.config;

/**
 * The topic and group names of one runner deployment, all under one prefix (default
 * {@code runner}): {@code runner.execute}, {@code runner.control}, …
 */
public record Topics(String prefix) {

  public static final String DEFAULT_PREFIX = "runner";
  /**
   * The execute, control, results and DLQ topics take records up to this size, so an oversize
   * command reaches a worker and is dead-lettered instead of refused by the broker.
   */
  public static final int MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
  /** The worker's producers send records up to this size ({@code max.request.size}). */
  public static final int MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

  public String execute() {
    return prefix + ".execute";
  }

  public String control() {
    return prefix + ".control";
  }

  public String registry() {
    return prefix + ".registry";
  }

  public String results() {
    return prefix + ".results";
  }

  public String status() {
    return prefix + ".status";
  }

  public String dlq() {
    return prefix + ".dlq";
  }

  /**
   * Every topic this deployment writes or reads for itself: no command may name one of them as its
   * {@code reply_to} (except {@link #results()}, the default reply topic).
   */
  public java.util.List<String> own() {
    return java.util.List.of(execute(), control(), registry(), results(), status(), dlq());
  }

  /** The share group (or consumer group, in group mode) that consumes execute commands. */
  public String workersGroup() {
    return prefix + ".workers";
  }

  /** The consumer group that handles each control command once. */
  public String controlGroup() {
    return prefix + ".control";
  }
}
