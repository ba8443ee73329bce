package io.jankrunner.metrics;

import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.jankrunner.ErrorCode;
import io.jankrunner.command.Command;
import io.jankrunner.command.CommandType;
import io.jankrunner.dispatch.CommandObserver;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.resilience.PluginGuards;
import io.jankrunner.result.Result;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Everything a worker measures, in one Prometheus registry ({@code GET /metrics}): commands by
 * type and outcome with end-to-end latency (fed by the dispatcher), plugin call latency, cold
 * starts and instances per plugin (fed by plugin state changes), resilience4j's bulkheads,
 * breakers and retries, the Kafka clients' own metrics (consumer lag per partition among them),
 * DLQ writes, and the JVM and process. The names are listed in the README.
 */
public final class WorkerMetrics implements CommandObserver, PluginStateListener, AutoCloseable {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, Instant> starting = new ConcurrentHashMap<>();
  private final Map<String, Instant> readySince = new ConcurrentHashMap<>();
  private final MultiGauge instances;
  private final Timer queued;
  private volatile Supplier<List<PluginInfo>> plugins = List::of;
  /** Plugin ids that may become tag values; any other id a command names counts as {@link #UNREGISTERED}. */
  private volatile Predicate<String> registered = id -> false;

  /**
   * The {@code plugin} tag of a command for a plugin this worker does not have: producers choose
   * plugin ids, and each distinct tag value would add series (a percentile histogram each) without bound.
   */
  public static final String UNREGISTERED = "unregistered";

  public WorkerMetrics(String workerId) {
    registry.config().commonTags("worker", workerId);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    closeables.add(gc);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    instances = MultiGauge.builder("jank.plugin.instances")
        .description("Plugin processes on this worker by plugin and state (0 or 1 per plugin and state)")
        .register(registry);
    queued = Timer.builder("jank.command.queued")
        .description("From the producer's record timestamp (CreateTime) to the worker's receipt of the command")
        .publishPercentileHistogram().register(registry);
  }

  /** A command read from Kafka waited this long between its producer's send and its receipt here. */
  public void queued(Duration waited) {
    queued.record(waited);
  }

  @Override
  public void answered(Command command, Result result, Duration handling) {
    CommandMeters meters = commandMeters(command.type(), result.error().map(Result.Failure::code).orElse(null));
    meters.received().increment();
    meters.answered().increment();
    meters.duration().record(result.duration());
    if (command.plugin().isPresent() && command.type() == CommandType.EXECUTE) {
      pluginCallTimer(pluginTag(command.plugin().get()), result.ok()).record(handling);
    }
  }

  /**
   * The meters of one type and outcome, resolved once: a meter's builder and the registry's
   * lookup (a new id, its tags sorted, a map search) cost more than the increment itself, on
   * every command. Types and error codes are enums, so the cache is bounded by their product.
   */
  private record CommandMeters(Counter received, Counter answered, Timer duration) {}

  private final Map<Integer, CommandMeters> commandMeters = new ConcurrentHashMap<>();
  /**
   * Per plugin tag and outcome: bounded by the plugin ids ever registered here (whose meters the
   * registry keeps anyway), plus {@link #UNREGISTERED}; ids a command merely names never get in.
   */
  private final Map<String, Timer[]> pluginCallTimers = new ConcurrentHashMap<>();

  private CommandMeters commandMeters(CommandType type, ErrorCode code) {
    int key = type.ordinal() * (ErrorCode.values().length + 1) + (code == null ? 0 : code.ordinal() + 1);
    CommandMeters meters = commandMeters.get(key);
    return meters != null ? meters : commandMeters.computeIfAbsent(key, ignored -> {
      String typeName = type.jsonName();
      String status = code == null ? "ok" : "error";
      return new CommandMeters(
          Counter.builder("jank.commands.received").description("Commands taken by the dispatcher")
              .tag("type", typeName).register(registry),
          Counter.builder("jank.commands.answered").description("Commands answered, by outcome")
              .tags("type", typeName, "status", status, "code", code == null ? "none" : code.name()).register(registry),
          Timer.builder("jank.command.duration").description("From receipt (Kafka or HTTP) to the answer")
              .tags("type", typeName, "status", status).publishPercentileHistogram().register(registry));
    });
  }

  private Timer pluginCallTimer(String pluginTag, boolean ok) {
    Timer[] timers = pluginCallTimers.get(pluginTag);
    if (timers == null) {
      timers = pluginCallTimers.computeIfAbsent(pluginTag, tag -> new Timer[] {pluginCallTimer(tag, "ok"),
          pluginCallTimer(tag, "error")});
    }
    return timers[ok ? 0 : 1];
  }

  private Timer pluginCallTimer(String pluginTag, String status) {
    return Timer.builder("jank.plugin.call.duration").description("An execute command's plugin call, retries included")
        .tags("plugin", pluginTag, "status", status).publishPercentileHistogram().register(registry);
  }

  /** Which plugin ids are registered here, so only they become tag values. */
  public void tagOnly(Predicate<String> registered) {
    this.registered = registered;
  }

  private String pluginTag(String pluginId) {
    return registered.test(pluginId) ? pluginId : UNREGISTERED;
  }

  @Override
  public void onChange(Change change) {
    if (change.instanceId().isPresent()) {
      // Cold starts are counted per instance: a plugin's pool starts several.
      String instance = change.instanceId().get();
      if (change.state() == PluginState.STARTING) {
        starting.put(instance, change.at());
      } else if (change.state() == PluginState.READY && change.previous() == PluginState.STARTING) {
        Instant began = starting.remove(instance);
        Counter.builder("jank.plugin.cold.starts").description("Plugin processes started and ready")
            .tag("plugin", change.pluginId()).register(registry).increment();
        if (began != null) {
          Timer.builder("jank.plugin.cold.start.duration").description("From launch to ready")
              .tag("plugin", change.pluginId()).publishPercentileHistogram().register(registry)
              .record(Duration.between(began, change.at()));
        }
      } else if (change.state() == PluginState.STOPPED || change.state() == PluginState.ERROR
          || change.state() == PluginState.HUNG) {
        starting.remove(instance);
      }
      return;
    }
    if (change.state() == PluginState.READY) {
      readySince.putIfAbsent(change.pluginId(), change.at());
    } else if (change.state() == PluginState.STOPPED || change.state() == PluginState.ERROR) {
      readySince.remove(change.pluginId());
    }
  }

  /** When the plugin's current process became ready, if one runs. */
  public Optional<Instant> readySince(String pluginId) {
    return Optional.ofNullable(readySince.get(pluginId));
  }

  /** Bulkhead in use, circuit breaker state and calls, retries: per plugin, from resilience4j. */
  public void bindGuards(PluginGuards guards) {
    TaggedBulkheadMetrics.ofBulkheadRegistry(guards.bulkheads()).bindTo(registry);
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(guards.circuitBreakers()).bindTo(registry);
    TaggedRetryMetrics.ofRetryRegistry(guards.retries()).bindTo(registry);
  }

  /** The plugins whose instances are counted at each scrape. */
  public void watchPlugins(Supplier<List<PluginInfo>> plugins) {
    this.plugins = plugins;
  }

  /** Binds a Kafka client's own metrics (records-lag per partition for consumers); other objects are ignored. */
  public void bindClient(Object client) {
    KafkaClientMetrics binder;
    if (client instanceof Consumer<?, ?> consumer) {
      binder = new KafkaClientMetrics(consumer);
    } else if (client instanceof Producer<?, ?> producer) {
      binder = new KafkaClientMetrics(producer);
    } else {
      return;
    }
    binder.bindTo(registry);
    synchronized (closeables) {
      closeables.add(binder);
    }
  }

  /** Records the producer has sent to the DLQ topic, from its per-topic send counter. */
  public void countDeadLetters(Producer<?, ?> producer, String dlqTopic) {
    FunctionCounter.builder("jank.dlq.writes", producer, p -> p.metrics().entrySet().stream()
            .filter(entry -> entry.getKey().name().equals("record-send-total")
                && dlqTopic.equals(entry.getKey().tags().get("topic")))
            .mapToDouble(entry -> ((Number) entry.getValue().metricValue()).doubleValue()).sum())
        .description("Records written to the dead-letter topic").tag("topic", dlqTopic).register(registry);
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (PluginInfo info : plugins.get()) {
      if (info.registered() && info.id().isPresent()) {
        rows.add(MultiGauge.Row.of(Tags.of("plugin", info.id().get(), "state", info.status()),
            info.pid().isPresent() ? 1 : 0));
      }
    }
    instances.register(rows, true);
    return registry.scrape();
  }

  @Override
  public void close() {
    synchronized (closeables) {
      for (AutoCloseable closeable : closeables) {
        try {
          closeable.close();
        } catch (Exception e) {
          // closing meters at shutdown: nothing to do about a failure
        }
      }
    }
    registry.close();
  }
}
