package io.jankrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code runner tail results|status|dlq}: print a topic's records as JSON lines. */
@Command(name = "tail", mixinStandardHelpOptions = true,
    description = "Print records of the results, status or dlq topic as JSON lines.")
final class TailCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  enum Which { results, status, dlq }

  @Mixin KafkaOptions kafka;
  @Parameters(index = "0", paramLabel = "results|status|dlq") Which which;
  @Option(names = "--from-beginning", description = "Start at the oldest record, not the newest.") boolean fromBeginning;
  @Option(names = "--timeout-ms", paramLabel = "N",
      description = "Stop after this long without a new record (default: follow forever).") Long idleTimeoutMs;
  @Option(names = "--max", paramLabel = "N", description = "Stop after N records.") Integer max;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    String topic = switch (which) {
      case results -> kafka.topics().results();
      case status -> kafka.topics().status();
      case dlq -> kafka.topics().dlq();
    };
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.client(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      int printed = 0;
      Instant lastRecord = Instant.now();
      while (max == null || printed < max) {
        var records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          out.println(JSON.writeValueAsString(line(record)));
          printed++;
          lastRecord = Instant.now();
          if (max != null && printed >= max) {
            break;
          }
        }
        out.flush();
        if (idleTimeoutMs != null && Duration.between(lastRecord, Instant.now()).toMillis() > idleTimeoutMs) {
          break;
        }
      }
    }
    return 0;
  }

  /** The record's value as JSON when it is JSON; with headers and position for the DLQ. */
  private JsonNode line(ConsumerRecord<byte[], byte[]> record) {
    JsonNode value = parse(record.value());
    if (which != Which.dlq) {
      return value;
    }
    ObjectNode line = JSON.createObjectNode();
    line.put("key", record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8));
    ObjectNode headers = line.putObject("headers");
    for (Header header : record.headers()) {
      headers.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
    }
    line.set("value", value);
    line.put("partition", record.partition()).put("offset", record.offset());
    return line;
  }

  private static JsonNode parse(byte[] bytes) {
    if (bytes == null) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      String text = new String(bytes, StandardCharsets.UTF_8);
      return text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\t')
          ? JSON.getNodeFactory().textNode(text)
          : JSON.getNodeFactory().textNode("base64:" + Base64.getEncoder().encodeToString(bytes));
    }
  }
}
