package io.jankrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.result.OutputRecords;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code runner send}: put one command on Kafka and print its result. */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send a command and wait for its result (matched by id); print it as JSON.")
final class SendCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Mixin KafkaOptions kafka;
  @Option(names = "--type", defaultValue = "execute",
      description = "execute, register, unregister, build, get or list (default ${DEFAULT-VALUE}).") String type;
  @Option(names = "--plugin", paramLabel = "ID", description = "The plugin id.") String plugin;
  @Option(names = "--method", paramLabel = "M", description = "The method, for execute.") String method;
  @Option(names = "--args", paramLabel = "JSON", description = "The arguments, a JSON object.") String args;
  @Option(names = "--id", paramLabel = "ID", description = "The command id (default: a new UUID).") String id;
  @Option(names = "--reply-to", paramLabel = "TOPIC", description = "Where the result goes (default P.results).")
  String replyTo;
  @Option(names = "--timeout-ms", paramLabel = "N", defaultValue = "30000",
      description = "Bound the command, and how long to wait for its result (default ${DEFAULT-VALUE}).")
  long timeoutMs;
  @Option(names = "--rebuild", description = "For register: build the plugin first.") boolean rebuild;
  @Option(names = "--no-wait", description = "Send and exit without waiting for the result.") boolean noWait;
  @Option(names = "--key", description = "The record key (default: the plugin id).") String key;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (type.equals("execute") && (plugin == null || method == null)) {
      err.println("execute needs --plugin and --method");
      err.flush();
      return 2;
    }
    String commandId = id != null ? id : UUID.randomUUID().toString();
    String reply = replyTo != null ? replyTo : kafka.topics().results();
    ObjectNode command = JSON.createObjectNode().put("v", 1).put("id", commandId).put("type", type);
    if (plugin != null) {
      command.put("plugin", plugin);
    }
    if (method != null) {
      command.put("method", method);
    }
    if (args != null) {
      JsonNode parsed = JSON.readTree(args);
      command.set("args", parsed);
    }
    command.put("reply_to", reply).put("timeout_ms", timeoutMs);
    if (rebuild) {
      command.put("rebuild", true);
    }
    String topic = type.equals("execute") ? kafka.topics().execute() : kafka.topics().control();
    try (KafkaConsumer<byte[], byte[]> consumer = noWait ? null : replyConsumer(reply);
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
             new ByteArraySerializer(), new ByteArraySerializer())) {
      String recordKey = key != null ? key : plugin != null ? plugin : commandId;
      producer.send(new ProducerRecord<>(topic, OutputRecords.utf8(recordKey), JSON.writeValueAsBytes(command)))
          .get(30, TimeUnit.SECONDS);
      if (noWait) {
        out.println(commandId);
        out.flush();
        return 0;
      }
      return await(consumer, commandId, out, err);
    }
  }

  /** Assigned to every partition at its end before sending, so the result cannot be missed. */
  private KafkaConsumer<byte[], byte[]> replyConsumer(String topic) {
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = waitForTopic(consumer, topic);
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    return consumer;
  }

  private static List<TopicPartition> waitForTopic(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    Instant until = Instant.now().plusSeconds(30);
    while (Instant.now().isBefore(until)) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
      }
    }
    throw new IllegalStateException("reply topic " + topic + " does not exist (is a worker running?)");
  }

  private int await(KafkaConsumer<byte[], byte[]> consumer, String commandId, PrintWriter out, PrintWriter err)
      throws Exception {
    Instant until = Instant.now().plusMillis(timeoutMs + 5_000);
    byte[] wanted = OutputRecords.utf8(commandId);
    while (Instant.now().isBefore(until)) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        if (java.util.Arrays.equals(record.key(), wanted)) {
          JsonNode result = JSON.readTree(record.value());
          out.println(JSON.writeValueAsString(result));
          out.flush();
          return "ok".equals(result.path("status").asText()) ? 0 : 1;
        }
      }
    }
    err.println("no result for " + commandId + " within " + (timeoutMs + 5_000) + " ms");
    err.flush();
    return 3;
  }
}
