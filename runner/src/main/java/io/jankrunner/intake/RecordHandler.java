package io.jankrunner.intake;

import io.jankrunner.ErrorCode;
import io.jankrunner.command.Command;
import io.jankrunner.command.CommandParser;
import io.jankrunner.command.CommandParser.Parsed;
import io.jankrunner.command.CommandParser.Rejected;
import io.jankrunner.command.CommandType;
import io.jankrunner.config.Topics;
import io.jankrunner.dispatch.Delivery;
import io.jankrunner.dispatch.Dispatcher;
import io.jankrunner.result.KafkaWriter;
import io.jankrunner.result.OutputRecords;
import io.jankrunner.result.ReplyTopicCheck;
import io.jankrunner.result.Result;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
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
  /** Group mode: how many times a command waits for a full bulkhead before it is answered OVERLOADED. */
  static final int MAX_OVERLOAD_WAITS = 12;
  /** Room for the record's key, headers and batch framing within the producer's request limit. */
  private static final int RECORD_OVERHEAD_BYTES = 16 * 1024;
  /** The DLQ's {@code runner.error.code} for a record whose result had nowhere safe to go. */
  static final String REPLY_TOPIC_UNAVAILABLE = "REPLY_TOPIC_UNAVAILABLE";

  /** What became of a record. */
  enum Outcome {
    /** A result is to be published. */
    ANSWERED,
    /** The record goes to the DLQ; an INVALID_COMMAND result too, when possible. */
    DEAD_LETTERED,
    /** The worker could not take it now (overload): give it back for another delivery. */
    RELEASE
  }

  /**
   * The records to write for one consumed record, and what became of it.
   *
   * @param answer the result and where it goes, for an answered command (to replace it by a
   *     small error when the broker refuses it as too large)
   */
  record Handled(Outcome outcome, List<ProducerRecord<byte[], byte[]>> outputs, Optional<String> commandId,
                 Optional<Answer> answer) {}

  /** A command's result and its reply topic. */
  record Answer(Result result, String replyTo, Optional<String> traceparent) {}

  private final CommandParser parser;
  private final Dispatcher dispatcher;
  private final Topics topics;
  private final String workerId;
  private final boolean canRelease;
  private final int maxResultBytes;
  private final ReplyTopicCheck replies;
  private final Consumer<Duration> onQueued;
  private final Executor blocking;

  /**
   * @param canRelease whether the intake can give a record back (share groups can; consumer groups cannot)
   * @param maxRecordBytes the largest record the producer sends ({@code max.request.size})
   * @param onQueued told how long each record with a producer timestamp waited before it was received
   * @param replies says whether a reply topic exists before a command for it runs
   * @param blocking runs what may block: commands other than execute, and what follows a first lookup
   */
  RecordHandler(CommandParser parser, Dispatcher dispatcher, Topics topics, String workerId, boolean canRelease,
                int maxRecordBytes, Consumer<Duration> onQueued, ReplyTopicCheck replies, Executor blocking) {
    this.blocking = blocking;
    this.replies = replies;
    this.parser = parser;
    this.dispatcher = dispatcher;
    this.topics = topics;
    this.workerId = workerId;
    this.canRelease = canRelease;
    this.maxResultBytes = maxRecordBytes - RECORD_OVERHEAD_BYTES;
    this.onQueued = onQueued;
  }

  /**
   * What to write for {@code record}, once its command has run. The calling thread parses it
   * and, for an execute command, sends the plugin call itself: no hand-off to another thread,
   * and nothing waits for the plugin (see {@link Dispatcher#handleAsync}); the result is built
   * on the thread that receives the plugin's answer. Other commands (register, build…) may take
   * long, and run on the blocking executor. The reply topic is checked before the command runs
   * (a cached answer, so this costs nothing per command): a command whose result has nowhere to
   * go is not run at all.
   */
  CompletableFuture<Handled> handle(ConsumerRecord<byte[], byte[]> record, int deliveryCount) {
    Instant receivedAt = Instant.now();
    Optional<String> traceparent = header(record, OutputRecords.TRACEPARENT);
    Delivery delivery = new Delivery(receivedAt, deliveryCount, traceparent);
    Optional<Duration> queued = queued(record, receivedAt);
    queued.ifPresent(onQueued);
    return switch (parser.parse(record.value())) {
      case Rejected rejected -> withReachableReply(record, deadLetter(record, rejected, delivery, queued));
      case Parsed parsed -> {
        Command command = parsed.command();
        CompletableFuture<Optional<String>> reply = replies.unwritable(command.replyTo());
        if (reply.isDone() && reply.join().isEmpty()) {
          yield answered(command, delivery, queued); // the usual case: a known topic, no stage in between
        }
        // A first lookup completes on the Admin client's thread, which must not run commands.
        yield reply.thenComposeAsync(reason -> reason.isEmpty() ? answered(command, delivery, queued)
            : CompletableFuture.completedFuture(notRun(record, command, reason.get())), blocking);
      }
    };
  }

  private CompletableFuture<Handled> answered(Command command, Delivery delivery, Optional<Duration> queued) {
    CompletableFuture<Result> result = command.type() == CommandType.EXECUTE ? run(command, delivery, 1)
        : CompletableFuture.supplyAsync(() -> run(command, delivery, 1), blocking).thenCompose(Function.identity());
    return result.thenApply(done -> answer(command, delivery, done.withQueued(queued)));
  }

  /** A command whose reply topic cannot be written: to the DLQ with the reason, not run. */
  private Handled notRun(ConsumerRecord<byte[], byte[]> record, Command command, String reason) {
    log.warn("command {} from {}-{}@{} is not run: {}", command.id(), record.topic(), record.partition(),
        record.offset(), reason);
    return new Handled(Outcome.DEAD_LETTERED, List.of(OutputRecords.deadLetter(topics, record,
        REPLY_TOPIC_UNAVAILABLE, reason + "; the command was not run", workerId)), Optional.empty(),
        Optional.empty());
  }

  /**
   * {@code handled} (a record that is not a valid command), or, when the reply topic of its
   * INVALID_COMMAND result cannot be written (missing, or not describable), only the record to
   * the DLQ: never a send that would make a broker auto-create the topic.
   */
  private CompletableFuture<Handled> withReachableReply(ConsumerRecord<byte[], byte[]> record, Handled handled) {
    Optional<ProducerRecord<byte[], byte[]>> reply = handled.outputs().stream().filter(out -> !isDeadLetter(out))
        .findFirst();
    if (reply.isEmpty()) {
      return CompletableFuture.completedFuture(handled);
    }
    return replies.unwritable(reply.get().topic()).thenApply(reason -> {
      if (reason.isEmpty()) {
        return handled;
      }
      log.warn("the result for {}-{}@{} is not written: {}", record.topic(), record.partition(), record.offset(),
          reason.get());
      return new Handled(Outcome.DEAD_LETTERED, handled.outputs().stream().filter(this::isDeadLetter).toList(),
          handled.commandId(), Optional.empty());
    });
  }

  /**
   * From the producer's timestamp to {@code receivedAt}: the time a command waited in Kafka (and,
   * in share mode, for a free consumer). Only a CreateTime is the caller's send time; a clock behind
   * the producer's counts as no wait rather than a negative one.
   */
  static Optional<Duration> queued(ConsumerRecord<?, ?> record, Instant receivedAt) {
    if (record.timestampType() != TimestampType.CREATE_TIME || record.timestamp() < 0) {
      return Optional.empty();
    }
    Duration waited = Duration.between(Instant.ofEpochMilli(record.timestamp()), receivedAt);
    return Optional.of(waited.isNegative() ? Duration.ZERO : waited);
  }

  /**
   * The command's result. A consumer group cannot give a record back: while the plugin's
   * bulkhead stays full, the command waits for it (each try waits the bulkhead's own time), up
   * to its deadline.
   */
  private CompletableFuture<Result> run(Command command, Delivery delivery, int tries) {
    CompletableFuture<Result> result = dispatcher.handleAsync(command, delivery);
    if (canRelease) {
      return result; // an overloaded command is given back (answer), not retried here
    }
    return result.thenCompose(done -> {
      if (overloaded(done) && tries < MAX_OVERLOAD_WAITS
          && command.deadlineFrom(delivery.receivedAt()).map(Instant.now()::isBefore).orElse(true)) {
        dispatcher.forget(command.id());
        return run(command, delivery, tries + 1);
      }
      return CompletableFuture.completedFuture(done);
    });
  }

  private Handled answer(Command command, Delivery delivery, Result result) {
    // Released records come back with a higher delivery count; the broker archives a record after
    // its last allowed delivery, so that one is answered OVERLOADED instead of being lost.
    if (canRelease && delivery.deliveryCount() < RELEASE_LIMIT && overloaded(result)) {
      dispatcher.forget(command.id());
      return new Handled(Outcome.RELEASE, List.of(), Optional.of(command.id()), Optional.empty());
    }
    Answer answer = new Answer(result, command.replyTo(), delivery.traceparent());
    ProducerRecord<byte[], byte[]> output = OutputRecords.result(answer.replyTo(), result, answer.traceparent());
    dispatcher.weigh(command.id(), output.value().length);
    if (output.value().length > maxResultBytes) {
      output = tooLarge(answer, output.value().length, maxResultBytes);
    }
    return new Handled(Outcome.ANSWERED, List.of(output), Optional.of(command.id()), Optional.of(answer));
  }

  private static boolean overloaded(Result result) {
    return result.error().map(error -> error.code() == ErrorCode.OVERLOADED).orElse(false);
  }

  private Handled deadLetter(ConsumerRecord<byte[], byte[]> record, Rejected rejected, Delivery delivery,
                             Optional<Duration> queued) {
    log.warn("record {}-{}@{} is not a valid command: {}", record.topic(), record.partition(), record.offset(),
        rejected.reason());
    ProducerRecord<byte[], byte[]> dead = OutputRecords.deadLetter(topics, record, ErrorCode.INVALID_COMMAND.name(),
        rejected.reason(), workerId);
    if (rejected.id().isPresent() && rejected.replyTo().isPresent()) {
      Result result = dispatcher.invalid(rejected.id().get(), rejected.type().map(CommandType::jsonName),
          rejected.reason(), delivery).withQueued(queued);
      return new Handled(Outcome.DEAD_LETTERED,
          List.of(dead, OutputRecords.result(rejected.replyTo().get(), result, delivery.traceparent())), rejected.id(),
          Optional.empty());
    }
    return new Handled(Outcome.DEAD_LETTERED, List.of(dead), Optional.empty(), Optional.empty());
  }

  /**
   * What to write instead when the outputs of {@code handled} could not be written: a small
   * {@code RESULT_TOO_LARGE} result when the broker refused the result as too large (the caller
   * always hears back, and nothing is redelivered in a loop), else the record to the DLQ.
   */
  ProducerRecord<byte[], byte[]> fallback(ConsumerRecord<byte[], byte[]> record, Handled handled, Throwable error) {
    if (refusal(error).orElse(null) instanceof RecordTooLargeException && handled.answer().isPresent()
        && handled.outputs().size() == 1) {
      return tooLarge(handled.answer().get(), handled.outputs().getFirst().value().length, -1);
    }
    forget(handled);
    return OutputRecords.deadLetter(topics, record, ErrorCode.INTERNAL.name(), "result could not be published: "
        + error, workerId);
  }

  /**
   * Writes what {@code handled} says to write; when that fails, its {@link #fallback} instead.
   * The fallback is sent on {@code executor}, not on the producer's I/O thread, which runs send
   * callbacks and must never wait on a send.
   *
   * @return the fallback written in place of the outputs, or empty when the outputs were written;
   *     a failed future when neither could be
   */
  CompletableFuture<Optional<ProducerRecord<byte[], byte[]>>> publish(KafkaWriter writer,
                                                                      ConsumerRecord<byte[], byte[]> record,
                                                                      Handled handled, Executor executor) {
    // Usually sent from the thread that built the result (a plugin channel's event loop): a send
    // there must not wait for a topic's metadata, so the first send to a topic goes from executor.
    CompletableFuture<Void> sent = writer.sendsAtOnce(handled.outputs()) ? writer.sendAll(handled.outputs())
        : CompletableFuture.supplyAsync(() -> writer.sendAll(handled.outputs()), executor)
            .thenCompose(Function.identity());
    return sent.thenApply(ignored -> Optional.<ProducerRecord<byte[], byte[]>>empty())
        .exceptionallyComposeAsync(error -> {
          log.warn("outputs of {}-{}@{} not published: {}", record.topic(), record.partition(), record.offset(),
              error.toString());
          ProducerRecord<byte[], byte[]> replacement = fallback(record, handled, error);
          return writer.send(replacement).handle((ignored, fallbackError) -> {
            if (fallbackError != null) {
              log.error("neither the outputs of {}-{}@{} nor their replacement could be written: {}",
                  record.topic(), record.partition(), record.offset(), fallbackError.toString());
              throw new CompletionException(fallbackError);
            }
            return Optional.of(replacement);
          });
        }, executor);
  }

  /**
   * The broker's refusal of a record itself (too large, a bad, unknown or forbidden topic, or not
   * delivered in time), found anywhere in {@code error}'s causes; empty for a failure of the
   * producer or the transaction, which another try may get past.
   */
  static Optional<Throwable> refusal(Throwable error) {
    int depth = 0;
    for (Throwable cause = error; cause != null && depth < 16; cause = cause.getCause(), depth++) {
      if (cause instanceof RecordTooLargeException || cause instanceof InvalidTopicException
          || cause instanceof TopicAuthorizationException || cause instanceof UnknownTopicOrPartitionException
          || cause instanceof TimeoutException) {
        return Optional.of(cause);
      }
    }
    return Optional.empty();
  }

  boolean isDeadLetter(ProducerRecord<byte[], byte[]> output) {
    return output.topic().equals(topics.dlq());
  }

  private static ProducerRecord<byte[], byte[]> tooLarge(Answer answer, int size, int limit) {
    String message = "the result is " + size + " bytes (" + mib(size) + "), more than "
        + (limit > 0 ? "the largest record this worker sends, " + limit + " bytes (" + mib(limit) + ")"
            : "reply topic " + answer.replyTo() + " accepts")
        + "; return less data, or write large outputs elsewhere and return a reference";
    log.warn("result of {} not published: {}", answer.result().id(), message);
    Result failure = answer.result().asFailure(ErrorCode.RESULT_TOO_LARGE, message);
    return OutputRecords.result(answer.replyTo(), failure, answer.traceparent());
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
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
