package io.jankrunner.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One command, as a producer sent it on the commands topic. Built only by
 * {@link CommandParser}, which guarantees a valid id, type, plugin id and reply topic.
 *
 * @param plugin empty only for {@code list}
 * @param method present for {@code execute}
 * @param replyTo the topic the result goes to
 * @param timeout the caller's bound on the whole execution, from receipt
 * @param deadline the caller's absolute bound
 * @param rebuild for {@code register}: build before registering
 */
public record Command(String id, CommandType type, Optional<String> plugin, Optional<String> method, ObjectNode args,
                      String replyTo, Optional<Duration> timeout, Optional<Instant> deadline, boolean rebuild) {

  /** The earliest of the caller's deadline and {@code receivedAt + timeout_ms}. */
  public Optional<Instant> deadlineFrom(Instant receivedAt) {
    Optional<Instant> byTimeout = timeout.map(receivedAt::plus);
    if (deadline.isPresent() && byTimeout.isPresent()) {
      return Optional.of(deadline.get().isBefore(byTimeout.get()) ? deadline.get() : byTimeout.get());
    }
    return deadline.isPresent() ? deadline : byTimeout;
  }
}
