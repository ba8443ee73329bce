package io.jankrunner.config;

import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.PluginSeparation;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How a worker runs. Every field has a command-line option and an environment variable
 * ({@code scripts/runner worker --help}).
 *
 * @param consumers execute consumers always open in this worker, each with its own poll loop;
 *     in share mode more open while a command holds one (see the share intake)
 * @param maxInFlight execute commands worked on at once (backpressure, not a buffer): per
 *     consumer in group mode, for all of the worker's share consumers in share mode
 * @param exactlyOnce group mode only: results and offsets in one Kafka transaction
 * @param maxPollInterval the consumer group's {@code max.poll.interval.ms}; the poll thread never
 *     waits for commands, so a command may run longer than this
 * @param kafkaClient the user's Kafka client properties, laid over every client's defaults
 * @param http where the HTTP API, metrics and health endpoints listen; off when empty
 * @param httpTokens the bearer tokens the HTTP API accepts
 * @param executePartitions partitions of the execute and results topics when this worker creates
 *     them (an existing topic is left as it is)
 * @param replyTopicsAllowed the operator's allow-list of reply topics ({@code --reply-topics});
 *     empty: any topic {@link ReplyTopics} does not refuse
 * @param pluginUser who plugins run as when the worker is root ({@code --plugin-user})
 * @param pluginSeparation the plugin uid range and network namespace settings
 */
public record WorkerConfig(String bootstrapServers, Path pluginsDir, String workerId, Mode mode, boolean exactlyOnce,
                           Topics topics, int consumers, int maxInFlight, int maxCommandBytes, Duration heartbeatInterval,
                           Duration shutdownGrace, Path stateDir, Duration maxPollInterval,
                           KafkaClientProperties kafkaClient, Optional<InetSocketAddress> http, ApiTokens httpTokens,
                           int executePartitions, Optional<Pattern> replyTopicsAllowed, PluginLimits pluginLimits,
                           String pluginUser, PluginSeparation pluginSeparation) {

  /** How execute commands are consumed. */
  public enum Mode {
    /** A share group (KIP-932): any worker takes any record, acknowledged one by one. */
    SHARE,
    /** A consumer group: partitions assigned to workers, per-key order kept. */
    GROUP
  }

  public static final int DEFAULT_MAX_IN_FLIGHT = 256;
  public static final int DEFAULT_CONSUMERS = 1;
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(20);
  public static final Duration DEFAULT_MAX_POLL_INTERVAL = Duration.ofMinutes(5);
  public static final int DEFAULT_EXECUTE_PARTITIONS = 12;

  /** Without client properties and without HTTP. */
  public WorkerConfig(String bootstrapServers, Path pluginsDir, String workerId, Mode mode, boolean exactlyOnce,
                      Topics topics, int consumers, int maxInFlight, int maxCommandBytes, Duration heartbeatInterval,
                      Duration shutdownGrace, Path stateDir, Duration maxPollInterval) {
    this(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight, maxCommandBytes,
        heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, KafkaClientProperties.NONE, Optional.empty(),
        ApiTokens.NONE, DEFAULT_EXECUTE_PARTITIONS, Optional.empty(), PluginLimits.fromEnvironment(System.getenv()),
        System.getenv().getOrDefault(PluginManagerConfig.PLUGIN_USER_ENV, PluginManagerConfig.AUTO_PLUGIN_USER),
        PluginSeparation.fromEnvironment(System.getenv()));
  }

  public WorkerConfig withKafkaClient(KafkaClientProperties properties) {
    return new WorkerConfig(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight,
        maxCommandBytes, heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, properties, http, httpTokens,
        executePartitions, replyTopicsAllowed, pluginLimits, pluginUser, pluginSeparation);
  }

  public WorkerConfig withHttp(InetSocketAddress address, ApiTokens tokens) {
    return new WorkerConfig(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight,
        maxCommandBytes, heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, kafkaClient, Optional.of(address),
        tokens, executePartitions, replyTopicsAllowed, pluginLimits, pluginUser, pluginSeparation);
  }

  public WorkerConfig withExecutePartitions(int partitions) {
    return new WorkerConfig(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight,
        maxCommandBytes, heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, kafkaClient, http, httpTokens,
        partitions, replyTopicsAllowed, pluginLimits, pluginUser, pluginSeparation);
  }

  /** Only reply topics that {@code pattern} matches in full (besides the refusals every worker makes). */
  public WorkerConfig withReplyTopicsAllowed(Optional<Pattern> pattern) {
    return new WorkerConfig(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight,
        maxCommandBytes, heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, kafkaClient, http, httpTokens,
        executePartitions, pattern, pluginLimits, pluginUser, pluginSeparation);
  }

  /** The operator's defaults and ceilings for every plugin instance. */
  public WorkerConfig withPluginLimits(PluginLimits limits) {
    return new WorkerConfig(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight,
        maxCommandBytes, heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, kafkaClient, http, httpTokens,
        executePartitions, replyTopicsAllowed, limits, pluginUser, pluginSeparation);
  }

  /**
   * Who plugins run as ({@code auto}, {@code worker}, a user name or {@code uid:gid}) and how
   * they are kept apart: their uid range and network namespaces.
   */
  public WorkerConfig withPluginSeparation(String user, PluginSeparation separation) {
    return new WorkerConfig(bootstrapServers, pluginsDir, workerId, mode, exactlyOnce, topics, consumers, maxInFlight,
        maxCommandBytes, heartbeatInterval, shutdownGrace, stateDir, maxPollInterval, kafkaClient, http, httpTokens,
        executePartitions, replyTopicsAllowed, pluginLimits, user, separation);
  }

  /** Where commands may ask their results to go. */
  public ReplyTopics replyTopics() {
    return new ReplyTopics(topics, replyTopicsAllowed);
  }

  public WorkerConfig {
    if (exactlyOnce && mode != Mode.GROUP) {
      throw new IllegalArgumentException("--exactly-once needs --mode group: share groups have no transactions");
    }
    if (consumers < 1) {
      throw new IllegalArgumentException("a worker needs at least one consumer");
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("max in-flight must be at least 1");
    }
    if (executePartitions < 1) {
      throw new IllegalArgumentException("the execute topic needs at least one partition");
    }
  }
}
