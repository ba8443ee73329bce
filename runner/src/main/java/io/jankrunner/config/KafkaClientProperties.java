package io.jankrunner.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The user's Kafka client properties ({@code --kafka-config FILE} / {@code KAFKA_CONFIG_FILE}: a
 * Java properties file, as Kafka's own tools take {@code --command-config}), merged into every
 * client the runner creates. User values override the runner's defaults, except the few that
 * delivery guarantees rest on: overriding one of those with another value is refused, naming the
 * property, before the client exists.
 */
public final class KafkaClientProperties {

  public static final KafkaClientProperties NONE = new KafkaClientProperties(Map.of(), "no file", client -> { });

  /**
   * Settings the runner's correctness rests on, with why. {@code isolation.level} is pinned only
   * where the runner asks for {@code read_committed} (exactly-once, the CLI's readers).
   */
  private static final Map<String, String> PINNED = Map.of(
      "acks", "results and registrations must survive a broker failure",
      "enable.idempotence", "a retried send must not duplicate a result",
      "transactional.id", "each exactly-once consumer fences its own previous incarnation",
      "enable.auto.commit", "offsets are committed only after a command is answered",
      "share.acknowledgement.mode", "records are acknowledged one by one after they are answered",
      "isolation.level", "aborted exactly-once results must stay invisible");

  private final Map<String, String> user;
  private final String source;
  private final Consumer<Object> onCreated;

  private KafkaClientProperties(Map<String, String> user, String source, Consumer<Object> onCreated) {
    this.user = Map.copyOf(user);
    this.source = source;
    this.onCreated = onCreated;
  }

  /** The same properties; every client passed to {@link #created} is also handed to {@code observer} (metrics). */
  public KafkaClientProperties observedBy(Consumer<Object> observer) {
    return new KafkaClientProperties(user, source, onCreated.andThen(observer));
  }

  /** Announces a client made with these properties to the observers; returns it, to wrap a constructor call. */
  public <T> T created(T client) {
    onCreated.accept(client);
    return client;
  }

  /** Reads a Java properties file. */
  public static KafkaClientProperties load(Path file) throws IOException {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    }
    Map<String, String> values = new HashMap<>();
    properties.stringPropertyNames().forEach(name -> values.put(name.trim(), properties.getProperty(name).trim()));
    return new KafkaClientProperties(values, file.toString(), client -> { });
  }

  /** For tests and embedding: properties given as a map. */
  public static KafkaClientProperties of(Map<String, String> values) {
    return new KafkaClientProperties(values, "given properties", client -> { });
  }

  /**
   * The runner's {@code defaults} for one client with the user's properties laid over them.
   *
   * @throws IllegalArgumentException when a user value contradicts a pinned default
   */
  public Map<String, Object> applyTo(Map<String, ?> defaults) {
    Map<String, Object> merged = new HashMap<>(defaults);
    for (Map.Entry<String, String> entry : user.entrySet()) {
      String name = entry.getKey();
      Object ours = defaults.get(name);
      if (ours != null && PINNED.containsKey(name) && isPinned(name, ours) && !same(name, ours, entry.getValue())) {
        throw new IllegalArgumentException("Kafka property " + name + "=" + entry.getValue() + " (from " + source
            + ") is refused: the runner needs " + name + "=" + ours + " because " + PINNED.get(name));
      }
      merged.put(name, entry.getValue());
    }
    return merged;
  }

  private static boolean isPinned(String name, Object ours) {
    return !name.equals("isolation.level") || "read_committed".equals(String.valueOf(ours));
  }

  private static boolean same(String name, Object ours, String theirs) {
    String a = String.valueOf(ours).toLowerCase(Locale.ROOT);
    String b = theirs.toLowerCase(Locale.ROOT);
    if (name.equals("acks")) {
      a = a.equals("-1") ? "all" : a;
      b = b.equals("-1") ? "all" : b;
    }
    return a.equals(b);
  }

  public boolean isEmpty() {
    return user.isEmpty();
  }

  /** The user's properties with secrets masked, for logs. */
  @Override
  public String toString() {
    return new TreeMap<>(user).entrySet().stream()
        .map(entry -> entry.getKey() + "=" + (isSecret(entry.getKey()) ? "[hidden]" : entry.getValue()))
        .collect(Collectors.joining(", ", "{", "}")) + " from " + source;
  }

  /** JAAS configs carry passwords inline; key material and anything called a password or secret. */
  static boolean isSecret(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.contains("password") || lower.contains("secret") || lower.contains("jaas")
        || lower.endsWith(".key") || lower.contains("credentials") || lower.contains("token");
  }
}
