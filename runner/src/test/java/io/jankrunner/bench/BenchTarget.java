package io.jankrunner.bench;

/** One system under test in {@code scripts/bench e2e}: where commands go, where answers come back. */
interface BenchTarget extends AutoCloseable {

  String name();

  String requestTopic();

  String replyTopic();

  /** The command record's value for {@code id} (an {@code echo} of the Go plugin). */
  default byte[] request(String id) {
    return Commands.echo(id, replyTopic());
  }

  /** CPU seconds its worker process has used so far, or NaN when it has no process of its own. */
  default double workerCpuSeconds() {
    return Double.NaN;
  }

  @Override
  void close();
}
