package io.jankrunner.plugin.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One started instance of a plugin, as its pool ({@code plugin.pool}) sees it: its calls, the two
 * health questions, its exit and the ways to end it. The pool's launcher returns one once the
 * instance has started (handshake done), or throws the start failure. Here, between the two, so
 * that the pool knows no process and no gRPC and the plugin client knows no pool: the real one is
 * a plugin process spoken to over gRPC ({@code plugin.grpc.PluginProcess}); the pool's unit tests
 * use a fake they can make fail, crash, hang or answer late.
 */
public interface InstanceHandle {

  /**
   * One call, bounded by {@code deadline}, never blocking the caller.
   *
   * @return the plugin's data, or a failed future with a {@link PluginCallException}
   */
  CompletableFuture<ObjectNode> executeAsync(String method, ObjectNode args, Instant deadline,
                                             Optional<String> traceparent);

  /** Whether the instance says it is healthy within {@code timeout}. */
  boolean healthy(Duration timeout);

  /** Whether it answers a health check at all within {@code timeout}: slow if it does, hung if not. */
  boolean answers(Duration timeout);

  long pid();

  boolean isAlive();

  /** Launch to ready. */
  Duration coldStart();

  /** Completes with the exit code once the instance has exited, for whatever reason. */
  CompletableFuture<Integer> onExit();

  /** Why it ended with {@code exitCode}, for state changes and error messages. */
  String exitDescription(int exitCode);

  /** A graceful stop: calls in flight get {@code grace}, then the instance is made to exit. */
  void stop(Duration grace);

  /** A hung instance: ended at once, its calls failed. */
  void kill();

  /** After a crash: fail every call still waiting on it, now. */
  void abandon();
}
