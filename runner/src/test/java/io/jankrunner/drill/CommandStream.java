package io.jankrunner.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.kafka.TestClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The drill's commands, sent at a steady rate as a producer of the runner would: unique ids,
 * the Go and the Java example plugins, methods greet/info/echo, and 1 % poison — half of it
 * bytes that are not a command at all (they can only go to the DLQ; keyed so the checker finds
 * them there), half readable commands with an id but invalid (answered INVALID_COMMAND).
 */
final class CommandStream implements AutoCloseable {

  static final String GO = "com.jank.plugins.hello-world";
  static final String JAVA = "com.jank.plugins.hello-java";
  private static final String[] METHODS = {"greet", "info", "echo"};
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaProducer<byte[], byte[]> producer;
  private final String executeTopic;
  private final String controlTopic;
  private final String replyTo;
  private final String runId;
  /** Ids that must get a result: valid commands and invalid ones with a readable id. */
  final Set<String> expectResult = ConcurrentHashMap.newKeySet();
  /** The plugin each valid command calls. */
  final Map<String, String> pluginOf = new ConcurrentHashMap<>();
  /** Ids of the readable-but-invalid poison, which must be answered INVALID_COMMAND. */
  final Set<String> expectInvalid = ConcurrentHashMap.newKeySet();
  /** Keys of the unparsable poison, which must be in the DLQ. */
  final Set<String> expectDeadLetter = ConcurrentHashMap.newKeySet();
  /** Records the producer gave up on (never acknowledged by the broker): not counted as sent. */
  final Map<String, String> unsent = new ConcurrentHashMap<>();
  private final AtomicInteger acknowledged = new AtomicInteger();

  CommandStream(String bootstrap, String topicPrefix, String runId) {
    this.executeTopic = topicPrefix + ".execute";
    this.controlTopic = topicPrefix + ".control";
    this.replyTo = topicPrefix + ".results";
    this.runId = runId;
    // Idempotent, acks=all, and patient enough to ride out a broker restart.
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends {@code register} for both example plugins on the control topic; returns their command ids. */
  Set<String> register() throws Exception {
    String go = runId + "-register-go";
    String java = runId + "-register-java";
    send(controlTopic, go, TestClient.bytes(JSON.createObjectNode().put("v", 1).put("id", go).put("type", "register")
        .put("plugin", GO).put("reply_to", replyTo))).get();
    send(controlTopic, java, TestClient.bytes(JSON.createObjectNode().put("v", 1).put("id", java).put("type", "register")
        .put("plugin", JAVA).put("reply_to", replyTo))).get();
    return Set.of(go, java);
  }

  /** Sends {@code count} commands at {@code perSecond}, each at its own slot (late slots are sent at once). */
  void run(int count, int perSecond) {
    long start = System.nanoTime();
    long interval = Duration.ofSeconds(1).toNanos() / perSecond;
    for (int i = 0; i < count; i++) {
      long wait = start + i * interval - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      sendCommand(i);
    }
    producer.flush();
  }

  int acknowledged() {
    return acknowledged.get();
  }

  private void sendCommand(int i) {
    String id = runId + "-" + i;
    if (i % 100 == 50) {
      if (i % 200 == 50) {
        String key = runId + "-poison-" + i;
        expectDeadLetter.add(key);
        send(executeTopic, key, ("{not a command " + i).getBytes(StandardCharsets.UTF_8));
      } else {
        expectResult.add(id);
        expectInvalid.add(id);
        ObjectNode invalid = JSON.createObjectNode().put("v", 1).put("id", id).put("type", "execute")
            .put("plugin", GO).put("method", "greet").put("reply_to", replyTo).put("args", i);
        send(executeTopic, id, TestClient.bytes(invalid));
      }
      return;
    }
    String method = METHODS[i % METHODS.length];
    String plugin = (i / 3) % 2 == 0 ? GO : JAVA;
    ObjectNode command = JSON.createObjectNode().put("v", 1).put("id", id).put("type", "execute")
        .put("plugin", plugin).put("method", method).put("reply_to", replyTo);
    pluginOf.put(id, plugin);
    switch (method) {
      case "greet" -> command.putObject("args").put("name", "drill " + i);
      case "echo" -> command.putObject("args").put("i", i).put("run", runId);
      default -> command.putObject("args");
    }
    expectResult.add(id);
    send(executeTopic, id, TestClient.bytes(command));
  }

  private java.util.concurrent.Future<?> send(String topic, String key, byte[] value) {
    return producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value),
        (metadata, error) -> {
          if (error == null) {
            acknowledged.incrementAndGet();
          } else {
            unsent.put(key, error.toString());
          }
        });
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
