package io.jankrunner.cli;

import io.jankrunner.config.KafkaClientProperties;
import io.jankrunner.config.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the broker is, how to reach it, and which topics to use; shared by every Kafka command. */
final class KafkaOptions {

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
  String bootstrap;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "${env:JANK_TOPIC_PREFIX:-runner}",
      description = "Topic name prefix: P.execute, P.results, … (env JANK_TOPIC_PREFIX; default ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Option(names = "--kafka-config", paramLabel = "FILE", defaultValue = "${env:KAFKA_CONFIG_FILE}",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*, …) for every client, as a Java "
          + "properties file (env KAFKA_CONFIG_FILE).")
  Path kafkaConfig;

  private KafkaClientProperties properties;

  Topics topics() {
    return new Topics(topicPrefix);
  }

  KafkaClientProperties properties() {
    if (properties == null) {
      try {
        properties = kafkaConfig == null ? KafkaClientProperties.NONE : KafkaClientProperties.load(kafkaConfig);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read --kafka-config " + kafkaConfig + ": " + e.getMessage(), e);
      }
    }
    return properties;
  }

  /** A client's defaults with the user's properties laid over them. */
  Map<String, Object> client(Map<String, ?> defaults) {
    return properties().applyTo(defaults);
  }
}
