package io.jankrunner.result;

import com.fasterxml.jackson.databind.JsonNode;
import io.jankrunner.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The answer to one command: exactly one per handled delivery, keyed by
 * command id, sent to the command's {@code reply_to}.
 *
 * @param type the command's type, when it could be read
 * @param data for {@code ok}: the plugin's data, or what a control command reports
 * @param error for {@code error}: code, message, whether retrying may help
 * @param attempts plugin calls made for this delivery (retries included)
 * @param deliveryCount how often Kafka has delivered this command (share groups count it)
 * @param coldStart the plugin start this command waited for; empty when a warm instance served it
 * @param queued how long the command waited between its producer's record timestamp and its receipt
 *     here; empty when the record carries no producer time (a broker-set LogAppendTime, or HTTP)
 */
public record Result(String id, Optional<String> type, Optional<String> plugin, Optional<String> method, boolean ok,
                     Optional<JsonNode> data, Optional<Failure> error, String worker, int attempts, int deliveryCount,
                     Instant receivedAt, Instant finishedAt, Optional<Duration> coldStart, Optional<Duration> queued) {

  /** A result whose queueing time is not known (yet): the intake adds it with {@link #withQueued}. */
  public Result(String id, Optional<String> type, Optional<String> plugin, Optional<String> method, boolean ok,
                Optional<JsonNode> data, Optional<Failure> error, String worker, int attempts, int deliveryCount,
                Instant receivedAt, Instant finishedAt, Optional<Duration> coldStart) {
    this(id, type, plugin, method, ok, data, error, worker, attempts, deliveryCount, receivedAt, finishedAt, coldStart,
        Optional.empty());
  }

  /** A result that paid no cold start. */
  public Result(String id, Optional<String> type, Optional<String> plugin, Optional<String> method, boolean ok,
                Optional<JsonNode> data, Optional<Failure> error, String worker, int attempts, int deliveryCount,
                Instant receivedAt, Instant finishedAt) {
    this(id, type, plugin, method, ok, data, error, worker, attempts, deliveryCount, receivedAt, finishedAt,
        Optional.empty());
  }

  /** What went wrong. */
  public record Failure(ErrorCode code, String message) {
    public boolean retriable() {
      return code.retriable();
    }
  }

  public Duration duration() {
    return Duration.between(receivedAt, finishedAt);
  }

  public String status() {
    return ok ? "ok" : "error";
  }

  /**
   * This result without its data, as an error: for a result too large to publish, so the caller
   * still hears what became of the command.
   */
  public Result asFailure(ErrorCode code, String message) {
    return new Result(id, type, plugin, method, false, Optional.empty(), Optional.of(new Failure(code, message)),
        worker, attempts, deliveryCount, receivedAt, finishedAt, Optional.empty(), queued);
  }

  /** The same result for another delivery of the same command. */
  public Result withDeliveryCount(int count) {
    return new Result(id, type, plugin, method, ok, data, error, worker, attempts, count, receivedAt, finishedAt,
        coldStart, queued);
  }

  /** The same result, saying it paid {@code cold} (or not). */
  public Result withColdStart(Optional<Duration> cold) {
    return new Result(id, type, plugin, method, ok, data, error, worker, attempts, deliveryCount, receivedAt,
        finishedAt, cold, queued);
  }

  /** The same result, saying how long this delivery waited before it was received (or that it is not known). */
  public Result withQueued(Optional<Duration> waited) {
    return new Result(id, type, plugin, method, ok, data, error, worker, attempts, deliveryCount, receivedAt,
        finishedAt, coldStart, waited);
  }
}
