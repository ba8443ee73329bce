package io.jankrunner.worker;

import io.jankrunner.config.Topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the runner's topics when they are missing, and sets the share group up before any
 * consumer joins (records sent before the first worker started must not be skipped).
 */
public final class TopicSetup {

  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);
  private static final int MAX_MESSAGE_BYTES = Topics.MAX_MESSAGE_BYTES;
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private TopicSetup() {}

  public static void ensure(Admin admin, Topics topics, int executePartitions) throws Exception {
    int brokers = admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
    short replication = (short) Math.min(3, Math.max(1, brokers));
    String maxBytes = Integer.toString(MAX_MESSAGE_BYTES);
    List<NewTopic> wanted = List.of(
        topic(topics.execute(), executePartitions, replication, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, maxBytes)),
        topic(topics.control(), 3, replication, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, maxBytes)),
        topic(topics.registry(), 1, replication, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.CLEANUP_POLICY_COMPACT)),
        topic(topics.results(), executePartitions, replication, Map.of(TopicConfig.RETENTION_MS_CONFIG,
            Long.toString(Duration.ofDays(1).toMillis()))),
        topic(topics.status(), 3, replication, Map.of(TopicConfig.RETENTION_MS_CONFIG,
            Long.toString(Duration.ofDays(1).toMillis()))),
        topic(topics.dlq(), 1, replication, Map.of(TopicConfig.RETENTION_MS_CONFIG,
            Long.toString(Duration.ofDays(30).toMillis()), TopicConfig.MAX_MESSAGE_BYTES_CONFIG, maxBytes)));
    Set<String> existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    List<NewTopic> missing = new ArrayList<>(wanted.stream().filter(t -> !existing.contains(t.name())).toList());
    if (!missing.isEmpty()) {
      createIgnoringRaces(admin, missing);
      log.info("created topics {}", missing.stream().map(NewTopic::name).toList());
    }
    configureShareGroup(admin, topics.workersGroup());
  }

  /** How many partitions {@code topic} has. */
  static int partitions(Admin admin, String topic) throws Exception {
    // A topic created a moment ago (by ensure, or by another worker) may not be in the metadata of
    // the broker that answers yet: ask again until it is, within the same timeout.
    long until = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .get(topic).partitions().size();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > until) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static NewTopic topic(String name, int partitions, short replication, Map<String, String> configs) {
    return new NewTopic(name, partitions, replication).configs(configs);
  }

  private static void createIgnoringRaces(Admin admin, Collection<NewTopic> topics) throws Exception {
    for (var entry : admin.createTopics(topics).values().entrySet()) {
      try {
        entry.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e; // another worker creating the same topic at the same time is fine
        }
      }
    }
  }

  /**
   * A new share group starts at the latest offset; ours starts at the earliest, so commands sent
   * before any worker ran are executed. Best effort: an older broker may refuse group configs.
   */
  private static void configureShareGroup(Admin admin, String group) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
    List<AlterConfigOp> ops = List.of(
        new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET));
    try {
      admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("could not set share.auto.offset.reset=earliest on group {}: {}", group, e.toString());
    }
  }
}
