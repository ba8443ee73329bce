package io.jankrunner.result;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.api.PluginStateListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status events on the status topic: every plugin and plugin-instance state change (key: plugin
 * id; an instance's event names it in {@code instance}) and the
 * worker's lifecycle (key: worker id). Sends are asynchronous: a slow broker never holds up a
 * plugin call; a lost status event is logged, not retried forever.
 */
public final class StatusPublisher implements PluginStateListener {

  private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final String workerId;

  public StatusPublisher(Producer<byte[], byte[]> producer, String topic, String workerId) {
    this.producer = producer;
    this.topic = topic;
    this.workerId = workerId;
  }

  @Override
  public void onChange(Change change) {
    ObjectNode event = JSON.createObjectNode().put("v", 1).put("kind", "plugin").put("worker", workerId)
        .put("plugin", change.pluginId()).put("state", change.state().jsonName())
        .put("previous", change.previous().jsonName());
    change.reason().ifPresent(reason -> event.put("reason", reason));
    change.instanceId().ifPresent(instance -> event.put("instance", instance));
    change.pid().ifPresent(pid -> event.put("pid", pid));
    event.put("at", change.at().toString());
    send(change.pluginId(), event);
  }

  /** A circuit breaker of a plugin opened, half-opened or closed. */
  public void circuit(String pluginId, String from, String to) {
    send(pluginId, JSON.createObjectNode().put("v", 1).put("kind", "circuit").put("worker", workerId)
        .put("plugin", pluginId).put("state", to.toLowerCase(java.util.Locale.ROOT))
        .put("previous", from.toLowerCase(java.util.Locale.ROOT)).put("at", Instant.now().toString()));
  }

  /** A worker lifecycle event: {@code started}, {@code heartbeat}, {@code draining}, {@code stopped}. */
  public void worker(String state, Consumer<ObjectNode> details) {
    ObjectNode event = JSON.createObjectNode().put("v", 1).put("kind", "worker").put("worker", workerId)
        .put("state", state).put("at", Instant.now().toString());
    details.accept(event);
    send(workerId, event);
  }

  private void send(String key, ObjectNode event) {
    try {
      producer.send(new ProducerRecord<>(topic, OutputRecords.utf8(key), JSON.writeValueAsBytes(event)), (metadata, error) -> {
        if (error != null) {
          log.warn("status event for {} not published: {}", key, error.toString());
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      log.warn("status event for {} not published: {}", key, e.toString());
    }
  }
}
