package io.jankrunner.result;

import io.jankrunner.config.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** The records a worker writes: results, and dead letters with their {@code runner.error.*} headers. */
public final class OutputRecords {

  public static final String TRACEPARENT = "traceparent";
  public static final String ERROR_CODE = "runner.error.code";
  public static final String ERROR_MESSAGE = "runner.error.message";
  public static final String ERROR_TOPIC = "runner.error.topic";
  public static final String ERROR_PARTITION = "runner.error.partition";
  public static final String ERROR_OFFSET = "runner.error.offset";
  public static final String ERROR_WORKER = "runner.error.worker";

  private OutputRecords() {}

  /** A result to its reply topic, keyed by command id, with the command's trace context. */
  public static ProducerRecord<byte[], byte[]> result(String replyTo, Result result, Optional<String> traceparent) {
    Headers headers = new RecordHeaders();
    traceparent.ifPresent(value -> headers.add(TRACEPARENT, value.getBytes(StandardCharsets.UTF_8)));
    return new ProducerRecord<>(replyTo, null, utf8(result.id()), ResultJson.toBytes(result), headers);
  }

  /** The original record, bytes and headers untouched, plus why it could not be handled. */
  public static ProducerRecord<byte[], byte[]> deadLetter(Topics topics, ConsumerRecord<byte[], byte[]> original,
                                                          String code, String message, String workerId) {
    Headers headers = new RecordHeaders(original.headers().toArray());
    headers.add(ERROR_CODE, utf8(code));
    headers.add(ERROR_MESSAGE, utf8(message.length() > 4000 ? message.substring(0, 4000) + "…" : message));
    headers.add(ERROR_TOPIC, utf8(original.topic()));
    headers.add(ERROR_PARTITION, utf8(Integer.toString(original.partition())));
    headers.add(ERROR_OFFSET, utf8(Long.toString(original.offset())));
    headers.add(ERROR_WORKER, utf8(workerId));
    return new ProducerRecord<>(topics.dlq(), null, original.key(), original.value(), headers);
  }

  public static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
