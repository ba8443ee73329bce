package io.jankrunner.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A caller's client of a jank-runner deployment: it puts commands on the execute and control
 * topics and completes a future with each one's result, matched by command id on a reply topic of
 * its own. Thread-safe; one instance per application is enough.
 *
 * <pre>{@code
 * try (RunnerClient runner = RunnerClient.builder().bootstrap("127.0.0.1:9092")
 *     .createReplyTopic("my-app.replies").build()) {
 *   Result result = runner.execute("com.jank.plugins.hello-world", "greet", Map.of("name", "Ada"),
 *       ExecuteOptions.timeout(Duration.ofSeconds(5))).join();
 *   String message = result.data().path("message").asText();
 * }
 * }</pre>
 *
 * <p>A call's future completes with the {@link Result} when the worker answered {@code ok}; it
 * completes exceptionally with a {@link RunnerException} when the worker answered with an error
 * (the result is in it), or with code {@link ErrorCode#TIMEOUT} when no result came within the
 * call's timeout plus the {@linkplain Builder#resultGrace result grace}; with a
 * {@link RunnerClientClosedException} when the client is closed first; and with Kafka's exception
 * when the command could not be sent (e.g. not authorized on the topic). Futures complete on
 * virtual threads, never on the thread that reads the reply topic, so a slow callback holds up
 * nothing else.
 *
 * <p>The reply consumer is assigned every partition of the reply topic (no consumer group, no
 * offsets) at its end when the client is built, so each client instance reads every result
 * written there from then on and keeps those of its own calls. A reply topic read by several
 * clients works, but each reads all of them: give each application, or each instance, its own.
 * Results are at least once: a second result for an id (a redelivered command) is ignored.
 *
 * <p>Lives in {@code proto/client-java}, beside the message contract ({@code proto/contract}) it
 * implements and the plugin SDKs, because it is the callers' kit as the SDKs are the plugins':
 * it depends on kafka-clients and Jackson only, not on the runner.
 */
public final class RunnerClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RunnerClient.class);
  public static final String DEFAULT_TOPIC_PREFIX = "runner";
  public static final Duration DEFAULT_RESULT_GRACE = Duration.ofSeconds(5);
  static final String TRACEPARENT = "traceparent";
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private final String clientId;
  private final String executeTopic;
  private final String controlTopic;
  private final String replyTopic;
  private final Duration resultGrace;
  private final Producer<byte[], byte[]> producer;
  private final ReplyReader reader;
  private final Executor callbacks;
  private final ScheduledThreadPoolExecutor timers;
  private final Map<String, CompletableFuture<Result>> pending = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * With the clients given (unit tests hand in Kafka's mocks): the consumer is assigned the reply
   * topic here; a null consumer makes a client that only sends.
   */
  RunnerClient(String clientId, String prefix, String replyTopic, Duration resultGrace, Duration replyTopicWait,
               Producer<byte[], byte[]> producer, org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
               Executor callbacks) {
    this.clientId = clientId;
    this.executeTopic = prefix + ".execute";
    this.controlTopic = prefix + ".control";
    this.replyTopic = replyTopic;
    this.resultGrace = resultGrace;
    this.producer = producer;
    this.callbacks = callbacks;
    this.timers = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name(clientId + "-deadlines").daemon().factory());
    timers.setRemoveOnCancelPolicy(true); // an answered call's timer goes at once, not at its deadline
    this.reader = consumer == null ? null
        : ReplyReader.start(consumer, replyTopic, replyTopicWait, this::onReply, clientId + "-replies");
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Calls {@code method} on {@code plugin} with {@code args} (a {@code Map}, a record, an
   * {@code ObjectNode}…, written as a JSON object; null for none).
   *
   * @throws IllegalArgumentException for a plugin id, method or args a worker would refuse
   */
  public CompletableFuture<Result> execute(String plugin, String method, Object args, ExecuteOptions options) {
    return call(Command.execute(plugin, method, args), options);
  }

  /**
   * Registers {@code plugin} fleet-wide (building it first when {@code rebuild}); the result's
   * data is the plugin as {@link #get} shows it.
   */
  public CompletableFuture<Result> register(String plugin, boolean rebuild, ExecuteOptions options) {
    return call(Command.register(plugin, rebuild), options);
  }

  public CompletableFuture<Result> unregister(String plugin, ExecuteOptions options) {
    return call(Command.unregister(plugin), options);
  }

  /** The plugin's state on the worker that answered: fails with {@code PLUGIN_NOT_FOUND} when it is not there. */
  public CompletableFuture<Result> get(String plugin, ExecuteOptions options) {
    return call(Command.get(plugin), options);
  }

  /** Every plugin the answering worker knows, in the result's {@code data.plugins}. */
  public CompletableFuture<Result> list(ExecuteOptions options) {
    return call(Command.list(), options);
  }

  /**
   * Sends {@code command} and waits for its result; see the class comment for how the future ends.
   *
   * @throws IllegalArgumentException when a call with the same id is still waiting for its result
   * @throws IllegalStateException when the client was built {@link Builder#withoutReplies()}
   */
  public CompletableFuture<Result> call(Command command, ExecuteOptions options) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(options, "options");
    String id = options.id().orElseGet(RunnerClient::newId);
    CompletableFuture<Result> future = new CompletableFuture<>();
    if (reader == null) {
      throw new IllegalStateException("this client was built withoutReplies(): use send(…), which waits for no result");
    }
    if (closed.get()) {
      future.completeExceptionally(closedBefore(id));
      return future;
    }
    if (pending.putIfAbsent(id, future) != null) {
      throw new IllegalArgumentException("a call with id " + id + " is already waiting for its result");
    }
    Duration wait = options.timeout().plus(resultGrace);
    try {
      ScheduledFuture<?> timer = timers.schedule(() -> expire(id, future, wait), wait.toMillis(), TimeUnit.MILLISECONDS);
      future.whenComplete((result, error) -> {
        timer.cancel(false);
        pending.remove(id, future);
      });
    } catch (RejectedExecutionException e) { // closed meanwhile
      fail(id, future, closedBefore(id));
      return future;
    }
    if (closed.get()) { // close() may have swept the calls just before this one was added
      fail(id, future, closedBefore(id));
      return future;
    }
    publish(command, id, options).whenComplete((sent, error) -> {
      if (error != null) {
        fail(id, future, error);
      }
    });
    return future;
  }

  /**
   * Sends {@code command} without waiting for its result (what {@code runner send --no-wait}
   * does): the future completes with the command id once the broker has the record.
   */
  public CompletableFuture<String> send(Command command, ExecuteOptions options) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(options, "options");
    String id = options.id().orElseGet(RunnerClient::newId);
    if (closed.get()) {
      return CompletableFuture.failedFuture(closedBefore(id));
    }
    return publish(command, id, options).thenApply(sent -> id);
  }

  /** The topic this client reads its results from (the commands' {@code reply_to}). */
  public String replyTopic() {
    return replyTopic;
  }

  /** Calls waiting for their result. */
  public int inFlight() {
    return pending.size();
  }

  private CompletableFuture<Void> publish(Command command, String id, ExecuteOptions options) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    try {
      Instant deadline = Instant.now().plus(options.timeout());
      byte[] value = Json.MAPPER.writeValueAsBytes(command.toJson(id, replyTopic, options, deadline));
      RecordHeaders headers = new RecordHeaders();
      options.traceparent().ifPresent(traceparent -> headers.add(TRACEPARENT, utf8(traceparent)));
      String key = options.key().orElseGet(() -> command.defaultKey(id));
      String topic = command.type().isControl() ? controlTopic : executeTopic;
      producer.send(new ProducerRecord<>(topic, null, utf8(key), value, headers), (metadata, error) -> {
        if (error != null) {
          sent.completeExceptionally(error);
        } else {
          sent.complete(null);
        }
      });
    } catch (JsonProcessingException | RuntimeException e) { // a closed producer, a record too large, …
      sent.completeExceptionally(e);
    }
    return sent;
  }

  /** On the reader thread: a result for one of our calls completes it, anything else is skipped unread. */
  private void onReply(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null || record.value() == null) {
      return;
    }
    String id = new String(record.key(), StandardCharsets.UTF_8);
    CompletableFuture<Result> future = pending.get(id);
    if (future == null) {
      return; // another caller's result, or a second one of an answered call
    }
    Result result;
    try {
      Header header = record.headers().lastHeader(TRACEPARENT);
      result = Result.parse(record.value(), header == null || header.value() == null ? null
          : new String(header.value(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      log.warn("skipped an unreadable result for {} on {} at {}/{}: {}", id, record.topic(), record.partition(),
          record.offset(), e.getMessage());
      return;
    }
    if (!id.equals(result.id())) {
      log.warn("skipped a result keyed {} for another id {}", id, result.id());
      return;
    }
    if (pending.remove(id, future)) {
      callbacks.execute(() -> {
        if (result.ok()) {
          future.complete(result);
        } else {
          future.completeExceptionally(RunnerException.of(result));
        }
      });
    }
  }

  private void expire(String id, CompletableFuture<Result> future, Duration waited) {
    fail(id, future, RunnerException.timedOut(id, waited.toMillis()));
  }

  private void fail(String id, CompletableFuture<Result> future, Throwable error) {
    if (pending.remove(id, future) || !future.isDone()) {
      callbacks.execute(() -> future.completeExceptionally(error));
    }
  }

  private RunnerClientClosedException closedBefore(String id) {
    return new RunnerClientClosedException(id, "RunnerClient " + clientId + " is closed: command " + id + " not sent");
  }

  /** Closes the client, waiting up to 5 s for commands being sent; see {@link #close(Duration)}. */
  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  /**
   * Fails every call still waiting with a {@link RunnerClientClosedException} (its command was
   * sent and may still run: only this client stops waiting), then stops reading the reply topic and
   * closes the producer, giving records being sent up to {@code timeout}. Idempotent.
   */
  public void close(Duration timeout) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Map.Entry<String, CompletableFuture<Result>> call : List.copyOf(pending.entrySet())) {
      fail(call.getKey(), call.getValue(), new RunnerClientClosedException(call.getKey(), "RunnerClient " + clientId
          + " was closed while command " + call.getKey() + " waited for its result; the command may still run"));
    }
    timers.shutdownNow();
    if (reader != null) {
      reader.stop(timeout);
    }
    producer.close(timeout);
  }

  /** Whether the reply reader still runs (false once closed). */
  boolean readerRunning() {
    return reader != null && reader.isRunning();
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** How to build a {@link RunnerClient}; {@link #build()} checks the settings and connects. */
  public static final class Builder {

    private final Map<String, Object> properties = new HashMap<>();
    private String prefix = DEFAULT_TOPIC_PREFIX;
    private String replyTopic;
    private boolean createReplyTopic;
    private boolean replies = true;
    private Duration resultGrace = DEFAULT_RESULT_GRACE;
    private Duration replyTopicWait = Duration.ofSeconds(30);
    private String clientId;
    private Executor callbacks;

    private Builder() {}

    /** Kafka's {@code bootstrap.servers}. */
    public Builder bootstrap(String servers) {
      properties.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, Objects.requireNonNull(servers, "servers"));
      return this;
    }

    /**
     * Kafka client properties for the producer, the reply consumer and (to create the reply topic)
     * the admin client: security ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}),
     * tuning. {@code acks}, {@code enable.idempotence}, {@code enable.auto.commit} and
     * {@code isolation.level} are the client's: a value that contradicts them is refused.
     */
    public Builder properties(Map<String, ?> values) {
      values.forEach((name, value) -> properties.put(name, value));
      return this;
    }

    public Builder properties(Properties values) {
      values.stringPropertyNames().forEach(name -> properties.put(name, values.getProperty(name)));
      return this;
    }

    /** The deployment's topic prefix (default {@code runner}): commands go to P.execute and P.control. */
    public Builder topicPrefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * The topic results come back on, which must exist (the client waits up to
     * {@link #replyTopicWait} for it). Default {@code <prefix>.results}, which workers create and
     * every caller without a topic of its own shares.
     */
    public Builder replyTopic(String topic) {
      this.replyTopic = Objects.requireNonNull(topic, "topic");
      this.createReplyTopic = false;
      return this;
    }

    /**
     * The topic results come back on, created (with the broker's default partitions and
     * replication) if missing; where this client may not create topics it must exist already.
     */
    public Builder createReplyTopic(String topic) {
      this.replyTopic = Objects.requireNonNull(topic, "topic");
      this.createReplyTopic = true;
      return this;
    }

    /** How long {@link #build()} waits for the reply topic to exist (default 30 s). */
    public Builder replyTopicWait(Duration wait) {
      this.replyTopicWait = positive("replyTopicWait", wait);
      return this;
    }

    /**
     * How much longer than a call's timeout to wait for its result before failing it with
     * {@code TIMEOUT} (default 5 s): a worker answers a call that outlived its bound with its own
     * {@code TIMEOUT} result, which says where the time went; this leaves that answer time to arrive.
     */
    public Builder resultGrace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("resultGrace must not be negative, not " + grace);
      }
      this.resultGrace = grace;
      return this;
    }

    /** A client that only sends ({@link RunnerClient#send}): no reply topic is read. */
    public Builder withoutReplies() {
      this.replies = false;
      return this;
    }

    /** The prefix of the Kafka {@code client.id}s and thread names (default {@code jank-runner-client-<8 hex digits>}). */
    public Builder clientId(String clientId) {
      this.clientId = Objects.requireNonNull(clientId, "clientId");
      return this;
    }

    /** Where futures are completed (default a new virtual thread for each). */
    public Builder callbackExecutor(Executor executor) {
      this.callbacks = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Checks the settings, creates the reply topic when asked to, assigns the reply consumer at
     * the topic's end and opens the producer.
     *
     * @throws IllegalArgumentException for settings a worker or Kafka would refuse
     * @throws IllegalStateException when the reply topic does not exist in time, or cannot be created
     * @throws org.apache.kafka.common.KafkaException when the broker refuses the client (e.g. authentication)
     */
    public RunnerClient build() {
      String id = clientId != null ? clientId : "jank-runner-client-" + newId().substring(0, 8);
      String reply = validate();
      KafkaSettings kafka = new KafkaSettings(properties, id);
      Executor executor = callbacks != null ? callbacks : virtualThreads(id + "-callback-");
      if (replies && createReplyTopic) {
        createIfMissing(kafka, reply);
      }
      KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producer(), new ByteArraySerializer(),
          new ByteArraySerializer());
      KafkaConsumer<byte[], byte[]> consumer = null;
      try {
        consumer = replies ? new KafkaConsumer<>(kafka.consumer(), new ByteArrayDeserializer(),
            new ByteArrayDeserializer()) : null;
        return new RunnerClient(id, prefix, reply, resultGrace, replyTopicWait, producer, consumer, executor);
      } catch (RuntimeException e) {
        producer.close(Duration.ZERO);
        if (consumer != null) {
          consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
        throw e;
      }
    }

    /** The reply topic, checked as a worker checks a command's {@code reply_to}. */
    String validate() {
      if (!PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException("topic prefix '" + prefix + "' does not match " + PREFIX.pattern());
      }
      String reply = replyTopic != null ? replyTopic : prefix + ".results";
      if (!TOPIC.matcher(reply).matches() || reply.equals(".") || reply.equals("..")) {
        throw new IllegalArgumentException("reply topic '" + reply + "' is not a valid topic name");
      }
      if (reply.startsWith("__")) {
        throw new IllegalArgumentException("reply topic '" + reply + "' is an internal topic");
      }
      if (List.of("execute", "control", "registry", "status", "dlq").stream().map(t -> prefix + "." + t)
          .anyMatch(reply::equals)) {
        throw new IllegalArgumentException("reply topic '" + reply + "' is one of the deployment's own topics: workers"
            + " answer only on the results topic or a caller's own");
      }
      return reply;
    }

    private static Executor virtualThreads(String name) {
      java.util.concurrent.ThreadFactory threads = Thread.ofVirtual().name(name, 0).factory();
      return command -> threads.newThread(command).start();
    }

    private static Duration positive(String what, Duration value) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, not " + value);
      }
      return value;
    }

    private void createIfMissing(KafkaSettings kafka, String topic) {
      try (Admin admin = Admin.create(kafka.admin())) {
        admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty()))).all()
            .get(replyTopicWait.toMillis(), TimeUnit.MILLISECONDS);
        log.info("created reply topic {}", topic);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof TopicExistsException) {
          return;
        }
        // Not allowed to create topics (or no admin rights at all): it may exist already; the consumer will tell.
        log.info("could not create reply topic {} ({}); using it if it exists", topic, e.getCause().toString());
      } catch (TimeoutException e) {
        throw new IllegalStateException("creating reply topic " + topic + " took longer than " + replyTopicWait, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating reply topic " + topic, e);
      }
    }
  }
}
