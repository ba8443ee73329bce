package io.jankrunner.config;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which topics a command may name as its {@code reply_to}. A worker writes results under its own
 * identity, so a producer who could aim them anywhere could write into the deployment's own
 * topics (a result keyed by a plugin id in the registry topic reads as a registration), into
 * Kafka's internal topics, or into any other application's topics. Refused: the deployment's
 * own topics other than the results topic, every {@code __}-prefixed topic, and, when the
 * operator sets {@code --reply-topics REGEX}, every topic the pattern does not match in full.
 *
 * @param allowed the operator's allow-list; empty: any other topic
 */
public record ReplyTopics(Topics topics, Optional<Pattern> allowed) {

  public static ReplyTopics of(Topics topics) {
    return new ReplyTopics(topics, Optional.empty());
  }

  /** Why results may not go to {@code topic}, or empty when they may. */
  public Optional<String> refusal(String topic) {
    if (topic.equals(topics.results())) {
      return Optional.empty(); // the default reply topic, created by the workers for this purpose
    }
    if (topics.own().contains(topic)) {
      return Optional.of("'reply_to' " + topic + " is one of this deployment's own topics; results go to "
          + topics.results() + " or to a topic of the caller's");
    }
    if (topic.startsWith("__")) {
      return Optional.of("'reply_to' " + topic + " is an internal topic ('__' prefix)");
    }
    if (allowed.isPresent() && !allowed.get().matcher(topic).matches()) {
      return Optional.of("'reply_to' " + topic + " is not allowed on this deployment (--reply-topics "
          + allowed.get().pattern() + ")");
    }
    return Optional.empty();
  }
}
