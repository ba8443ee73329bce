package io.jankrunner.cli;

import io.jankrunner.config.Topics;
import picocli.CommandLine.Option;

/** Where the broker is and which topics to use; shared by every Kafka command. */
final class KafkaOptions {

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
  String bootstrap;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "${env:JANK_TOPIC_PREFIX:-runner}",
      description = "Topic name prefix: P.execute, P.results, … (env JANK_TOPIC_PREFIX; default ${DEFAULT-VALUE}).")
  String topicPrefix;

  Topics topics() {
    return new Topics(topicPrefix);
  }
}
