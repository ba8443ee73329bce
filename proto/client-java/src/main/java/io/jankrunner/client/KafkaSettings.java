package io.jankrunner.client;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The client's Kafka settings: the caller's properties (security, tuning) with the few the
 * client's promises rest on pinned. A caller's value that contradicts a pinned one is refused,
 * naming the property, rather than silently replaced.
 */
final class KafkaSettings {

  private static final Map<String, String> PRODUCER_PINNED = Map.of(
      ProducerConfig.ACKS_CONFIG, "all",
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
  private static final Map<String, String> CONSUMER_PINNED = Map.of(
      // No group: the reply consumer is assigned its partitions and keeps no offsets.
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
      // Results of exactly-once workers count only once committed.
      ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
  private static final Map<String, String> WHY = Map.of(
      ProducerConfig.ACKS_CONFIG, "a sent command must survive a broker failure",
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "a retried send must not duplicate a command",
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "the reply consumer has no group and commits nothing",
      ConsumerConfig.ISOLATION_LEVEL_CONFIG, "aborted exactly-once results must stay invisible");

  private final Map<String, Object> user;
  private final String clientId;

  KafkaSettings(Map<String, ?> user, String clientId) {
    this.user = Map.copyOf(user);
    this.clientId = clientId;
    if (!this.user.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      throw new IllegalArgumentException("no bootstrap servers: set bootstrap(…) or bootstrap.servers in properties(…)");
    }
  }

  Map<String, Object> producer() {
    Map<String, Object> config = pinned(PRODUCER_PINNED);
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-commands");
    return config;
  }

  Map<String, Object> consumer() {
    Map<String, Object> config = pinned(CONSUMER_PINNED);
    // Assigned, not subscribed: a group would only add rebalances, and a shared one would split the replies.
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-replies");
    return config;
  }

  Map<String, Object> admin() {
    Map<String, Object> config = new HashMap<>(user);
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-admin");
    return config;
  }

  private Map<String, Object> pinned(Map<String, String> pins) {
    Map<String, Object> config = new HashMap<>(user);
    pins.forEach((name, ours) -> {
      Object theirs = user.get(name);
      if (theirs != null && !same(name, ours, String.valueOf(theirs))) {
        throw new IllegalArgumentException("Kafka property " + name + "=" + theirs + " is refused: the client needs "
            + name + "=" + ours + " because " + WHY.get(name));
      }
      config.put(name, ours);
    });
    return config;
  }

  private static boolean same(String name, String ours, String theirs) {
    String value = theirs.trim().toLowerCase(Locale.ROOT);
    return value.equals(ours) || (name.equals(ProducerConfig.ACKS_CONFIG) && value.equals("-1"));
  }
}
