package io.jankrunner.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pipeline floor ({@link PipelineFloor}) in a JVM of its own, started with the JVM options
 * {@code scripts/runner worker} gives a worker, so that its CPU time per command is read from
 * {@code /proc} exactly as the workers' is, and the bench's own JVM (load generator, reply
 * readers) is not counted for it.
 */
final class PipelineProcess implements BenchTarget {

  private final String prefix = HandWrittenFloor.topicPrefix("pipeline");
  private final ChildProcess process;

  PipelineProcess(String bootstrap, Path goPluginDir) throws Exception {
    KafkaClients.createTopics(bootstrap, requestTopic(), replyTopic());
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC")); // scripts/runner's flags for a worker
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), PipelineFloor.class.getName(), bootstrap,
        goPluginDir.toString(), prefix));
    process = new ChildProcess("pipeline floor", new ProcessBuilder(command));
    try {
      process.awaitLog("consuming", 120);
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "pipeline";
  }

  @Override
  public String requestTopic() {
    return HandWrittenFloor.requestTopic(prefix);
  }

  @Override
  public String replyTopic() {
    return HandWrittenFloor.replyTopic(prefix);
  }

  @Override
  public double workerCpuSeconds() {
    return process.cpuSeconds();
  }

  @Override
  public void close() {
    process.close();
  }

  @Override
  public String toString() {
    return process.toString();
  }
}
