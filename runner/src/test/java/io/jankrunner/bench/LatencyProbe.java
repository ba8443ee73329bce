package io.jankrunner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a command's time goes at a low rate, per worker mode, in one run: a worker per mode
 * (args: bootstrap, plugins dir, rate, seconds, modes), a warm-up, then a phase at the rate whose
 * results are read with their {@code queued_ms} (send to receipt) and {@code duration_ms}
 * (receipt to finish); the rest of the end-to-end time is the result's way back. Not part of
 * {@code scripts/bench}: a tool for looking into a latency (BENCHMARKS.md says what it found).
 * {@code BENCH_WORKER_ENV="K=V;K=V"} adds to the workers' environment.
 */
public final class LatencyProbe {

  private static final ObjectMapper JSON = new ObjectMapper();

  private LatencyProbe() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Path plugins = Path.of(args[1]).toAbsolutePath().normalize();
    int rate = Integer.parseInt(args[2]);
    Duration length = Duration.ofSeconds(Integer.parseInt(args[3]));
    Map<String, String> env = new HashMap<>();
    for (String pair : System.getenv().getOrDefault("BENCH_WORKER_ENV", "").split(";")) {
      if (pair.contains("=")) {
        env.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
      }
    }
    try (BenchPlugins copies = new BenchPlugins(); LoadPhases load = new LoadPhases(bootstrap);
         KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap)) {
      copies.goExample(plugins, "hello-go", Commands.PLUGIN, false);
      for (String mode : List.of(args).subList(4, args.length)) {
        try (WorkerProcess worker = new WorkerProcess(bootstrap, plugins.getParent(), copies.dir(), mode, env)) {
          // BENCH_WARMUP_RATE: a warm-up the loaded machine can take, so no backlog is left behind it.
          load.run(worker, Integer.parseInt(System.getenv().getOrDefault("BENCH_WARMUP_RATE", "1000")),
              Duration.ofSeconds(5));
          load.run(worker, rate, Duration.ofSeconds(3));
          phase(bootstrap, producer, worker, mode, rate, length);
        }
      }
    }
    System.exit(0);
  }

  private static void phase(String bootstrap, KafkaProducer<byte[], byte[]> producer, WorkerProcess worker,
                            String mode, int rate, Duration length) throws Exception {
    int count = (int) (rate * length.toSeconds());
    long[] sent = new long[count];
    long[] e2e = new long[count];
    long[] queued = new long[count];
    long[] duration = new long[count];
    Arrays.fill(e2e, -1);
    String run = UUID.randomUUID().toString().substring(0, 8) + "-";
    Map<String, Integer> index = new ConcurrentHashMap<>();
    AtomicBoolean reading = new AtomicBoolean(true);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = consumer.partitionsFor(worker.replyTopic(), Duration.ofSeconds(10)).stream()
        .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    Thread reader = Thread.ofPlatform().start(() -> {
      try (consumer) {
        while (reading.get()) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
            long now = System.nanoTime();
            String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
            if (key.startsWith(run)) {
              int i = Integer.parseInt(key.substring(run.length()));
              try {
                JsonNode result = JSON.readTree(record.value());
                queued[i] = result.path("queued_ms").asLong(-1);
                duration[i] = result.path("duration_ms").asLong(-1);
              } catch (Exception e) {
                queued[i] = -1;
              }
              e2e[i] = now - sent[i];
            }
          }
        }
      }
    });
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
    for (int i = 0; i < count; i++) {
      long wait = start + i * interval - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      sent[i] = System.nanoTime();
      String id = run + i;
      producer.send(new ProducerRecord<>(worker.requestTopic(), id.getBytes(StandardCharsets.UTF_8),
          worker.request(id)));
    }
    Thread.sleep(3000);
    reading.set(false);
    reader.join();
    long answered = Arrays.stream(e2e).filter(v -> v >= 0).count();
    System.out.printf(Locale.ROOT, "%s at %d/s: %d/%d answered; e2e p50 %.1f p99 %.1f ms; queued_ms p50 %d p99 %d;"
            + " duration_ms p50 %d p99 %d%n", mode, rate, answered, count,
        pct(e2e, 50) / 1e6, pct(e2e, 99) / 1e6, pct(queued, 50), pct(queued, 99), pct(duration, 50),
        pct(duration, 99));
  }

  private static long pct(long[] values, double p) {
    long[] sorted = Arrays.stream(values).filter(v -> v >= 0).sorted().toArray();
    return sorted.length == 0 ? -1 : sorted[Math.max(0, (int) Math.ceil(p / 100 * sorted.length) - 1)];
  }
}
