package io.jankrunner.worker;

/**
 * The topic and group names of one runner deployment, all under one prefix (default
 * {@code runner}): {@code runner.execute}, {@code runner.control}, …
 */
public record Topics(String prefix) {

  public static final String DEFAULT_PREFIX = "runner";

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

  /** The share group (or consumer group, in group mode) that consumes execute commands. */
  public String workersGroup() {
    return prefix + ".workers";
  }

  /** The consumer group that handles each control command once. */
  public String controlGroup() {
    return prefix + ".control";
  }
}
