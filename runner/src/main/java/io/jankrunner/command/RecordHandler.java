package io.jankrunner.command;

import io.jankrunner.ErrorCode;
import io.jankrunner.command.CommandParser.Parsed;
import io.jankrunner.command.CommandParser.Rejected;
import io.jankrunner.dispatch.Delivery;
import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.result.Outputs;
import io.jankrunner.result.Result;
import io.jankrunner.worker.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumed record in, what to write out: the result for a command, or the record itself to
 * the dead-letter topic (plus an {@code INVALID_COMMAND} result when the caller can be told).
 * Writing is the intake's job, so the same handling serves plain and transactional output.
 */
final class RecordHandler {

  private static final Logger log = LoggerFactory.getLogger(RecordHandler.class);
  /** Below the broker's default {@code group.share.delivery.count.limit} of 5. */
  static final int RELEASE_LIMIT = 4;

  /** What became of a record. */
  enum Outcome {
    /** A result is to be published. */
    ANSWERED,
    /** The record goes to the DLQ; an INVALID_COMMAND result too, when possible. */
    DEAD_LETTERED,
    /** The worker could not take it now (overload): give it back for another delivery. */
    RELEASE
  }

  /** The records to write for one consumed record, and what became of it. */
  record Handled(Outcome outcome, List<ProducerRecord<byte[], byte[]>> outputs, Optional<String> commandId) {}

  private final CommandParser parser;
  private final Dispatcher dispatcher;
  private final Topics topics;
  private final String workerId;
  private final boolean canRelease;

  /** @param canRelease whether the intake can give a record back (share groups can; consumer groups cannot) */
  RecordHandler(CommandParser parser, Dispatcher dispatcher, Topics topics, String workerId, boolean canRelease) {
    this.parser = parser;
    this.dispatcher = dispatcher;
    this.topics = topics;
    this.workerId = workerId;
    this.canRelease = canRelease;
  }

  Handled handle(ConsumerRecord<byte[], byte[]> record, int deliveryCount) {
    Instant receivedAt = Instant.now();
    Optional<String> traceparent = header(record, Outputs.TRACEPARENT);
    Delivery delivery = new Delivery(receivedAt, deliveryCount, traceparent);
    return switch (parser.parse(record.value())) {
      case Rejected rejected -> deadLetter(record, rejected, delivery);
      case Parsed parsed -> answer(parsed.command(), delivery);
    };
  }

  private Handled answer(Command command, Delivery delivery) {
    Result result = dispatcher.handle(command, delivery);
    // Released records come back with a higher delivery count; the broker archives a record after
    // its last allowed delivery, so that one is answered OVERLOADED instead of being lost.
    if (canRelease && delivery.deliveryCount() < RELEASE_LIMIT
        && result.error().map(error -> error.code() == ErrorCode.OVERLOADED).orElse(false)) {
      dispatcher.forget(command.id());
      return new Handled(Outcome.RELEASE, List.of(), Optional.of(command.id()));
    }
    return new Handled(Outcome.ANSWERED, List.of(Outputs.result(command.replyTo(), result, delivery.traceparent())),
        Optional.of(command.id()));
  }

  private Handled deadLetter(ConsumerRecord<byte[], byte[]> record, Rejected rejected, Delivery delivery) {
    log.warn("record {}-{}@{} is not a valid command: {}", record.topic(), record.partition(), record.offset(),
        rejected.reason());
    ProducerRecord<byte[], byte[]> dead = Outputs.deadLetter(topics, record, ErrorCode.INVALID_COMMAND.name(),
        rejected.reason(), workerId);
    if (rejected.id().isPresent() && rejected.replyTo().isPresent()) {
      Result result = dispatcher.invalid(rejected.id().get(), rejected.type().map(CommandType::jsonName),
          rejected.reason(), delivery);
      return new Handled(Outcome.DEAD_LETTERED,
          List.of(dead, Outputs.result(rejected.replyTo().get(), result, delivery.traceparent())), rejected.id());
    }
    return new Handled(Outcome.DEAD_LETTERED, List.of(dead), Optional.empty());
  }

  /** A handled record whose result could not be written: it goes to the DLQ instead, with the reason. */
  ProducerRecord<byte[], byte[]> undeliverable(ConsumerRecord<byte[], byte[]> record, Throwable error) {
    return Outputs.deadLetter(topics, record, ErrorCode.INTERNAL.name(), "result could not be published: " + error,
        workerId);
  }

  void forget(Handled handled) {
    handled.commandId().ifPresent(dispatcher::forget);
  }

  private static Optional<String> header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null ? Optional.empty()
        : Optional.of(new String(header.value(), StandardCharsets.UTF_8));
  }
}
