package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.config.Topics;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code scripts/bench e2e}: command → result through Kafka and a worker running the Go
 * plugin's {@code echo}, against the floor of a raw Kafka request → reply echo (a consumer that
 * answers each record, no plugin) on the same broker in the same run. Latency is timed from each
 * command's intended send time at a fixed rate, so a stall is not hidden (no coordinated
 * omission). The last line printed is one JSON object with every figure.
 */
public final class E2eBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLUGIN = "com.jank.plugins.hello-world";

  private final String bootstrap;
  private final Path plugins;
  private final Duration duration;

  private E2eBench(String bootstrap, Path plugins, Duration duration) {
    this.bootstrap = bootstrap;
    this.plugins = plugins;
    this.duration = duration;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Path plugins = Path.of(args[1]);
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int throughputCount = args.length > 3 ? Integer.parseInt(args[3]) : 30_000;
    new E2eBench(bootstrap, plugins, Duration.ofSeconds(seconds)).run(throughputCount);
  }

  /** One system under test: where to send, where answers come back, how to make a request. */
  private interface Target extends AutoCloseable {
    String requestTopic();

    String replyTopic();

    byte[] request(String id);

    @Override
    void close();
  }

  private void run(int throughputCount) throws Exception {
    Map<String, Object> figures = new LinkedHashMap<>();
    // BENCH_SYSTEMS=share,floor runs a subset (for quick experiments; the JSON line then lacks ratios).
    List<String> systems = List.of(System.getenv().getOrDefault("BENCH_SYSTEMS", "floor,share,group").split(","));
    for (String system : systems) {
      for (int rate : new int[] {100, 1000}) {
        try (Target target = target(system)) {
          warmUp(target);
          double[] latencies = fixedRate(target, rate, duration);
          String prefix = system + (rate == 100 ? "_100" : "");
          figures.put(prefix + "_p50_ms", round(latencies[0]));
          figures.put(prefix + "_p99_ms", round(latencies[1]));
          figures.put(prefix + "_p999_ms", round(latencies[2]));
          System.out.printf(Locale.ROOT, "%-5s at %4d/s: p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  (%d lost)%n",
              system, rate, latencies[0], latencies[1], latencies[2], (long) latencies[3]);
        }
      }
      try (Target target = target(system)) {
        warmUp(target);
        double perSecond = throughput(target, throughputCount);
        figures.put(system + "_throughput", Math.round(perSecond));
        System.out.printf(Locale.ROOT, "%-5s max throughput: %.0f commands/s%n", system, perSecond);
      }
    }
    if (systems.size() < 3) {
      System.out.println(JSON.writeValueAsString(figures));
      return;
    }
    double floorP50 = (double) figures.get("floor_p50_ms");
    double floorP99 = (double) figures.get("floor_p99_ms");
    double worseP50 = Math.max((double) figures.get("share_p50_ms"), (double) figures.get("group_p50_ms"));
    double worseP99 = Math.max((double) figures.get("share_p99_ms"), (double) figures.get("group_p99_ms"));
    long better = Math.max((long) figures.get("share_throughput"), (long) figures.get("group_throughput"));
    figures.put("p50_ratio", round(worseP50 / floorP50));
    figures.put("p99_ratio", round(worseP99 / floorP99));
    figures.put("throughput_ratio", round((double) better / (long) figures.get("floor_throughput")));
    System.out.printf(Locale.ROOT, "runner / floor at 1000/s: p50 %.2f×  p99 %.2f×; throughput %.2f× the floor%n",
        figures.get("p50_ratio"), figures.get("p99_ratio"), figures.get("throughput_ratio"));
    System.out.println(JSON.writeValueAsString(figures));
  }

  private Target target(String system) throws Exception {
    return system.equals("floor") ? new Floor() : new Runner(system.equals("share")
        ? WorkerConfig.Mode.SHARE : WorkerConfig.Mode.GROUP);
  }

  /** A raw Kafka echo: consume a request, produce a reply with its key. No plugin, no parsing. */
  private final class Floor implements Target {
    private final String prefix = "floor" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread echo;

    Floor() throws Exception {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(requestTopic(), 12, (short) 1), new NewTopic(replyTopic(), 12,
            (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      echo = Thread.ofPlatform().name("floor-echo").start(this::echo);
    }

    private void echo() {
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, prefix,
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
          ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 256),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
           KafkaProducer<byte[], byte[]> producer = producer()) {
        consumer.subscribe(List.of(requestTopic()));
        while (running.get()) {
          var records = consumer.poll(Duration.ofMillis(100));
          for (ConsumerRecord<byte[], byte[]> record : records) {
            producer.send(new ProducerRecord<>(replyTopic(), record.key(), record.value()));
          }
          if (!records.isEmpty()) {
            producer.flush(); // like the worker: the reply is on the broker before the offset moves
            consumer.commitAsync();
          }
        }
      }
    }

    @Override
    public String requestTopic() {
      return prefix + ".requests";
    }

    @Override
    public String replyTopic() {
      return prefix + ".replies";
    }

    @Override
    public byte[] request(String id) {
      return command(id, replyTopic());
    }

    @Override
    public void close() {
      running.set(false);
      try {
        echo.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** One worker in the given mode, the Go plugin registered. */
  private final class Runner implements Target {
    private final Topics topics = new Topics("bench" + UUID.randomUUID().toString().substring(0, 8));
    private final Worker worker;

    Runner(WorkerConfig.Mode mode) throws Exception {
      Path state = Files.createTempDirectory("bench-worker");
      worker = Worker.start(new WorkerConfig(bootstrap, plugins, "bench-" + mode.name().toLowerCase(Locale.ROOT), mode,
          false, topics, WorkerConfig.DEFAULT_CONSUMERS, WorkerConfig.DEFAULT_MAX_IN_FLIGHT, 1024 * 1024, Duration.ofSeconds(5),
          Duration.ofSeconds(10), state, WorkerConfig.DEFAULT_MAX_POLL_INTERVAL));
      worker.plugins().register(PLUGIN);
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        // The fleet learns of it through the registry like any registration.
        ObjectNode register = JSON.createObjectNode().put("v", 1).put("id", "register").put("type", "register")
            .put("plugin", PLUGIN).put("reply_to", replyTopic());
        producer.send(new ProducerRecord<>(topics.control(), PLUGIN.getBytes(StandardCharsets.UTF_8),
            JSON.writeValueAsBytes(register))).get();
      }
    }

    @Override
    public String requestTopic() {
      return topics.execute();
    }

    @Override
    public String replyTopic() {
      return topics.results();
    }

    @Override
    public byte[] request(String id) {
      return command(id, replyTopic());
    }

    @Override
    public void close() {
      worker.close();
    }
  }

  private static byte[] command(String id, String replyTo) {
    ObjectNode command = JSON.createObjectNode().put("v", 1).put("id", id).put("type", "execute")
        .put("plugin", PLUGIN).put("method", "echo").put("reply_to", replyTo);
    command.putObject("args").put("n", 42).put("name", "Ada");
    try {
      return JSON.writeValueAsBytes(command);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 1,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private void warmUp(Target target) throws Exception {
    fixedRate(target, 500, Duration.ofSeconds(3));
  }

  /** Sends at {@code rate}/s for {@code length}; returns p50, p99, p99.9 in ms and the count never answered. */
  private double[] fixedRate(Target target, int rate, Duration length) throws Exception {
    int count = (int) (rate * length.toSeconds());
    long[] intended = new long[count];
    long[] latency = new long[count];
    Arrays.fill(latency, -1);
    String run = UUID.randomUUID().toString().substring(0, 8);
    Map<String, Integer> index = new ConcurrentHashMap<>();
    AtomicInteger answered = new AtomicInteger();
    try (Replies replies = new Replies(target.replyTopic(), (key, now) -> {
      Integer i = index.get(key);
      if (i != null && latency[i] < 0) {
        latency[i] = now - intended[i];
        answered.incrementAndGet();
      }
    }); KafkaProducer<byte[], byte[]> producer = producer()) {
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      for (int i = 0; i < count; i++) {
        intended[i] = start + i * interval;
        String id = run + "-" + i;
        index.put(id, i);
        long wait = intended[i] - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        producer.send(new ProducerRecord<>(target.requestTopic(), id.getBytes(StandardCharsets.UTF_8),
            target.request(id)));
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (answered.get() < count && System.nanoTime() < until) {
        Thread.sleep(20);
      }
    }
    long[] done = Arrays.stream(latency).filter(l -> l >= 0).sorted().toArray();
    return new double[] {ms(percentile(done, 50)), ms(percentile(done, 99)), ms(percentile(done, 99.9)),
        count - done.length};
  }

  /** Sends {@code count} commands as fast as the producer takes them; answers per second until the last. */
  private double throughput(Target target, int count) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    AtomicInteger answered = new AtomicInteger();
    Map<String, Boolean> seen = new ConcurrentHashMap<>();
    try (Replies replies = new Replies(target.replyTopic(), (key, now) -> {
      if (key.startsWith(run) && seen.putIfAbsent(key, true) == null) {
        answered.incrementAndGet();
      }
    }); KafkaProducer<byte[], byte[]> producer = producer()) {
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String id = run + "-" + i;
        producer.send(new ProducerRecord<>(target.requestTopic(), id.getBytes(StandardCharsets.UTF_8),
            target.request(id)));
      }
      producer.flush();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (answered.get() < count && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      return answered.get() / ((System.nanoTime() - start) / 1e9);
    }
  }

  @FunctionalInterface
  private interface ReplyListener {
    void reply(String key, long nanoTime);
  }

  /** Reads a reply topic from its end on its own thread. */
  private final class Replies implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Replies(String topic, ReplyListener listener) throws InterruptedException {
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
          ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = List.of();
      while (partitions.isEmpty()) {
        var infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        partitions = infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
      thread = Thread.ofPlatform().name("replies").start(() -> {
        try (consumer) {
          while (running.get()) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
              listener.reply(new String(record.key(), StandardCharsets.UTF_8), System.nanoTime());
            }
          }
        }
      });
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static double round(double value) {
    return Math.round(value * 100.0) / 100.0;
  }
}
