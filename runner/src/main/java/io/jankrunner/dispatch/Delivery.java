package io.jankrunner.dispatch;

import java.time.Instant;
import java.util.Optional;

/**
 * How a command arrived: when, how often Kafka has delivered it, and the trace context to carry.
 */
public record Delivery(Instant receivedAt, int deliveryCount, Optional<String> traceparent) {}
