package io.jankrunner.bench;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/** A floor: one loop thread of its own on a request and a reply topic of its own (12 partitions each). */
abstract class HandWrittenFloor implements BenchTarget {

  protected final String bootstrap;
  protected final AtomicBoolean running = new AtomicBoolean(true);
  private final String prefix;
  private Thread loop;

  HandWrittenFloor(String bootstrap, String name) throws Exception {
    this(bootstrap, topicPrefix(name), true);
  }

  /** On the topics of {@code prefix}, made here if {@code createTopics}, else already there. */
  HandWrittenFloor(String bootstrap, String prefix, boolean createTopics) throws Exception {
    this.bootstrap = bootstrap;
    this.prefix = prefix;
    if (createTopics) {
      KafkaClients.createTopics(bootstrap, requestTopic(), replyTopic());
    }
  }

  /** A prefix of its own for a floor's topics and group: {@code name} and a random part. */
  static String topicPrefix(String name) {
    return name + UUID.randomUUID().toString().substring(0, 8);
  }

  static String requestTopic(String prefix) {
    return prefix + ".requests";
  }

  static String replyTopic(String prefix) {
    return prefix + ".replies";
  }

  /** Starts {@link #loop()} on its own thread; called last by a subclass's constructor. */
  protected final void start() {
    loop = Thread.ofPlatform().name(name() + "-loop").start(this::loop);
  }

  /** Runs while {@link #running}. */
  protected abstract void loop();

  /** The consumer group of the loop. */
  protected final String group() {
    return prefix;
  }

  @Override
  public final String requestTopic() {
    return requestTopic(prefix);
  }

  @Override
  public final String replyTopic() {
    return replyTopic(prefix);
  }

  @Override
  public void close() {
    running.set(false);
    try {
      loop.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
