package io.jankrunner.worker;

import io.jankrunner.config.KafkaClientProperties;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.http.ApiServer;
import io.jankrunner.intake.CommandIntake;
import io.jankrunner.intake.ConsumerFactory;
import io.jankrunner.intake.Intake;
import io.jankrunner.metrics.WorkerMetrics;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.grpc.GrpcWarmup;
import io.jankrunner.registry.RegistryTopic;
import io.jankrunner.resilience.PluginGuards;
import io.jankrunner.result.KafkaWriter;
import io.jankrunner.result.ReplyTopicCheck;
import io.jankrunner.result.StatusPublisher;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker: creates the topics, catches up with the fleet's registry, then consumes execute
 * and control commands and answers each on its reply topic, publishing status as it goes.
 * {@link #close()} is the graceful shutdown: stop fetching, finish or release what is in
 * flight, stop plugins, publish {@code stopped}.
 */
public final class Worker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private final WorkerConfig config;
  private final Producer<byte[], byte[]> producer;
  private final StatusPublisher status;
  private final PluginManager manager;
  private final RegistryTopic registry;
  private final ExecutorService commands = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("worker-heartbeat").daemon(true).factory());
  private final List<Intake> intakes = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final WorkerMetrics metrics;
  private final KafkaClientProperties clients;
  /** Describes reply topics before results go to them (never creates one); lives as long as the worker. */
  private final Admin admin;
  /** The execute topic's partitions as it is (another worker may have created it with other settings). */
  private final int executeTopicPartitions;
  private Optional<ApiServer> http = Optional.empty();
  private volatile boolean consuming;
  private volatile boolean closed;

  private Worker(WorkerConfig config) throws Exception {
    this.metrics = new WorkerMetrics(config.workerId());
    this.clients = config.kafkaClient().observedBy(metrics::bindClient);
    this.config = config.withKafkaClient(clients);
    this.admin = Admin.create(config.kafkaClient().applyTo(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers())));
    try {
      TopicSetup.ensure(admin, config.topics(), config.executePartitions());
      this.executeTopicPartitions = TopicSetup.partitions(admin, config.topics().execute());
    } catch (Exception e) {
      admin.close(Duration.ofSeconds(5));
      throw e;
    }
    this.producer = clients.created(new KafkaProducer<>(producerConfig(Optional.empty()), new ByteArraySerializer(),
        new ByteArraySerializer()));
    metrics.countDeadLetters(producer, config.topics().dlq());
    this.status = new StatusPublisher(producer, config.topics().status(), config.workerId());
    this.manager = new PluginManager(PluginManagerConfig.defaults(config.pluginsDir()).withStateDir(config.stateDir())
        .withLimits(config.pluginLimits()).withPluginUser(config.pluginUser()).withSeparation(config.pluginSeparation()),
        change -> {
          status.onChange(change);
          metrics.onChange(change);
        });
    metrics.watchPlugins(manager::list);
    metrics.tagOnly(manager::isRegistered);
    this.registry = new RegistryTopic(config.topics().registry(), config.workerId(), producer, registryConsumer(),
        manager, manager.buildsDir(), config.pluginLimits().rebuildInterval());
  }

  /** Starts a worker; returns once it consumes commands. */
  public static Worker start(WorkerConfig config) throws Exception {
    GrpcWarmup.inBackground(); // while Kafka connects: the first plugin call then skips ~0.5 s of class loading
    Worker worker = new Worker(config);
    try {
      worker.run();
    } catch (Exception e) {
      worker.close();
      throw e;
    }
    return worker;
  }

  private void run() throws Exception {
    PluginGuards guards = new PluginGuards(PluginGuards.DEFAULT_BULKHEAD_WAIT);
    guards.onCircuitChange(status::circuit);
    metrics.bindGuards(guards);
    Dispatcher dispatcher = new Dispatcher(manager, guards, registry, config.workerId(), Dispatcher.DEFAULT_RESULT_CACHE);
    dispatcher.observe(metrics);
    // Up before the registry is read, so /healthz answers and /readyz says why it is not ready yet.
    if (config.http().isPresent()) {
      http = Optional.of(ApiServer.start(config.http().get(), config.httpTokens(), new ApiServer.Backend(dispatcher,
          manager, guards, metrics, readiness(), config.maxCommandBytes())));
    }
    thread("registry", registry);
    if (!registry.awaitCaughtUp(Duration.ofSeconds(60))) {
      log.warn("registry not read to its end after 60 s; taking commands anyway");
    }
    manager.startAutoPlugins();
    KafkaWriter writer = new KafkaWriter(producer);
    ReplyTopicCheck replies = new ReplyTopicCheck(admin, java.util.Set.of(config.topics().results(),
        config.topics().dlq()));
    if (config.mode() == WorkerConfig.Mode.SHARE) {
      // One intake whose share consumers grow and shrink with the commands that hold them.
      Intake execute = CommandIntake.share(config, ConsumerFactory.KAFKA, dispatcher, writer, commands,
          executeTopicPartitions, metrics::queued, replies);
      intakes.add(execute);
      thread("execute", execute);
    }
    for (int i = 0; config.mode() == WorkerConfig.Mode.GROUP && i < config.consumers(); i++) {
      Optional<Supplier<Producer<byte[], byte[]>>> transactions = Optional.empty();
      if (config.exactlyOnce()) {
        // One transactional id per consumer, stable across restarts of this worker id (fencing);
        // the intake builds its producer, and builds it again after a fence.
        String transactionalId = transactionalId(config, i);
        transactions = Optional.of(() -> clients.created(new KafkaProducer<>(
            producerConfig(Optional.of(transactionalId)), new ByteArraySerializer(), new ByteArraySerializer())));
      }
      Intake execute = CommandIntake.group(config, ConsumerFactory.KAFKA, dispatcher, writer, transactions, commands, i,
          metrics::queued, replies);
      intakes.add(execute);
      thread("execute-" + i, execute);
    }
    Intake control = CommandIntake.control(config, ConsumerFactory.KAFKA, dispatcher, writer, commands,
        metrics::queued, replies);
    intakes.add(control);
    thread("control", control);
    consuming = true;
    status.worker("started", event -> event.put("mode", config.mode().name().toLowerCase(java.util.Locale.ROOT))
        .put("exactly_once", config.exactlyOnce()).put("plugins_dir", config.pluginsDir().toString()));
    heartbeat.scheduleAtFixedRate(() -> status.worker("heartbeat", event -> event.put("plugins",
            manager.registeredCount())),
        config.heartbeatInterval().toMillis(), config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
    log.info("worker {} consuming {} ({} mode{}) from {}{}", config.workerId(), config.topics().execute(),
        config.mode().name().toLowerCase(java.util.Locale.ROOT), config.exactlyOnce() ? ", exactly-once" : "",
        config.bootstrapServers(), config.kafkaClient().isEmpty() ? "" : " with " + config.kafkaClient());
  }

  private void thread(String name, Runnable loop) {
    Thread thread = Thread.ofPlatform().name("worker-" + name).start(loop);
    threads.add(thread);
  }

  public WorkerConfig config() {
    return config;
  }

  public PluginManager plugins() {
    return manager;
  }

  /** Where the HTTP API listens, when it is on. */
  public Optional<InetSocketAddress> httpAddress() {
    return http.map(ApiServer::address);
  }

  private Map<String, BooleanSupplier> readiness() {
    Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
    checks.put("registry_caught_up", registry::caughtUp);
    checks.put("consuming", () -> consuming && !closed);
    return checks;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("worker {} draining", config.workerId());
    consuming = false;
    status.worker("draining", event -> { });
    heartbeat.shutdownNow();
    intakes.forEach(Intake::stop);
    registry.stop();
    for (Thread thread : threads) {
      try {
        thread.join(config.shutdownGrace().plusSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    commands.shutdownNow();
    http.ifPresent(ApiServer::close); // HTTP calls in flight finish while their plugins still run
    manager.close();
    status.worker("stopped", event -> { });
    producer.flush();
    producer.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
    metrics.close();
    log.info("worker {} stopped", config.workerId());
  }

  /** The transactional id of execute consumer {@code index} of a worker (exactly-once mode). */
  public static String transactionalId(WorkerConfig config, int index) {
    return config.topics().prefix() + ".worker." + config.workerId() + "." + index;
  }

  private Map<String, Object> producerConfig(Optional<String> transactionalId) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, config.workerId() + transactionalId.map(id -> "-txn").orElse(""));
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_REQUEST_BYTES);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    transactionalId.ifPresent(id -> props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
    // A worker that dies mid-transaction blocks read_committed readers until the broker aborts it.
    transactionalId.ifPresent(id -> props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000));
    return config.kafkaClient().applyTo(props);
  }

  private KafkaConsumer<byte[], byte[]> registryConsumer() {
    return clients.created(new KafkaConsumer<>(config.kafkaClient().applyTo(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + "-registry",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
        new ByteArrayDeserializer(), new ByteArrayDeserializer()));
  }
}
