package io.jankrunner.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.command.Command;
import io.jankrunner.command.CommandType;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.api.BuildFailedException;
import io.jankrunner.plugin.api.BuildResult;
import io.jankrunner.plugin.api.PluginNotFoundException;
import io.jankrunner.plugin.api.PluginReply;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.resilience.PluginGuards;
import io.jankrunner.result.Result;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one parsed command against the local plugin manager and says what to answer. Knows
 * neither Kafka nor gRPC: commands come in, {@link Result}s go out, every failure becomes an
 * error code. Execute commands run under the plugin's resilience guards; a redelivered command
 * id gets the result it already had.
 */
public final class Dispatcher {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final int MAX_BUILD_OUTPUT_IN_RESULT = 8 * 1024;
  public static final int DEFAULT_RESULT_CACHE = 100_000;
  /** Results remembered for redeliveries, at most this many bytes of result data in all. */
  public static final long DEFAULT_RESULT_CACHE_BYTES = 64L * 1024 * 1024;

  private final PluginManager manager;
  private final PluginGuards guards;
  private final ControlPlane controlPlane;
  private final String workerId;
  private final ResultCache results;
  /**
   * Where an execute command goes on once its plugin has answered: the answer arrives on the
   * plugin channel's event loop, which must not build, serialize and publish results.
   */
  private final Executor continuations = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("command-result-", 0).factory());
  private volatile CommandObserver observer = CommandObserver.NONE;

  public Dispatcher(PluginManager manager, PluginGuards guards, ControlPlane controlPlane, String workerId,
                    int resultCacheSize) {
    this.manager = manager;
    this.guards = guards;
    this.controlPlane = controlPlane;
    this.workerId = workerId;
    this.results = new ResultCache(resultCacheSize, DEFAULT_RESULT_CACHE_BYTES);
  }

  /**
   * The result for {@code command}; never fails for anything a command or plugin can do. An
   * execute command does not hold this thread while its plugin works: the future completes on a
   * virtual thread of its own once the plugin has answered. Other commands (register, build…)
   * run on the calling thread.
   */
  public CompletableFuture<Result> handleAsync(Command command, Delivery delivery) {
    long started = System.nanoTime();
    return answer(command, delivery).thenApply(answer -> {
      observer.answered(command, answer, Duration.ofNanos(System.nanoTime() - started));
      return answer;
    });
  }

  /** {@link #handleAsync}, waited for (the HTTP API, which has a virtual thread per request). */
  public Result handle(Command command, Delivery delivery) {
    return handleAsync(command, delivery).join();
  }

  /** Tells the result cache what {@code commandId}'s result weighs once serialized. */
  public void weigh(String commandId, long serializedBytes) {
    results.weigh(commandId, serializedBytes);
  }

  /** Tells {@code observer} of every answered command (one observer; metrics). */
  public void observe(CommandObserver observer) {
    this.observer = observer;
  }

  private CompletableFuture<Result> answer(Command command, Delivery delivery) {
    return results.computeIfAbsent(command.id(), fingerprint(command), () -> run(command, delivery))
        .thenApply(lookup -> switch (lookup) {
          case ResultCache.Hit(Result result) -> result.deliveryCount() == delivery.deliveryCount() ? result
              : result.withDeliveryCount(delivery.deliveryCount());
          case ResultCache.Conflict conflict -> failure(command.id(), Optional.of(command.type().jsonName()),
              command.plugin(), command.method(), new RunnerException(ErrorCode.INVALID_COMMAND, null, "command id "
                  + command.id() + " was already used for a different command (type, plugin, method or args "
                  + "differ); command ids must be unique"), 0, delivery);
        });
  }

  /** What makes two commands with one id the same command: a redelivery, not a reuse. */
  static String fingerprint(Command command) {
    StringBuilder text = new StringBuilder().append(command.type().jsonName()).append('\n')
        .append(command.plugin().orElse("")).append('\n').append(command.method().orElse("")).append('\n')
        .append(command.rebuild()).append('\n').append(command.args());
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Forgets a result that could not be delivered, so a redelivery runs the command again. */
  public void forget(String commandId) {
    results.forget(commandId);
  }

  /** The answer to a record that is not a valid command. */
  public Result invalid(String id, Optional<String> type, String reason, Delivery delivery) {
    return failure(id, type, Optional.empty(), Optional.empty(), new RunnerException(ErrorCode.INVALID_COMMAND, null,
        reason), 0, delivery);
  }

  private CompletableFuture<Result> run(Command command, Delivery delivery) {
    AtomicInteger attempts = new AtomicInteger();
    if (command.type() == CommandType.EXECUTE) {
      return execute(command, delivery, attempts).handleAsync((reply, error) -> error == null
          ? success(command, reply.data(), attempts, delivery).withColdStart(reply.coldStart())
          : failed(command, RunnerException.unwrap(error), attempts, delivery), continuations);
    }
    try {
      JsonNode data = switch (command.type()) {
        case REGISTER -> register(command);
        case UNREGISTER -> unregister(command);
        case BUILD -> build(command);
        case GET -> get(command);
        case LIST -> list();
        case EXECUTE -> throw new IllegalStateException("execute is asynchronous");
      };
      return CompletableFuture.completedFuture(success(command, data, attempts, delivery));
    } catch (RunnerException | RuntimeException e) {
      return CompletableFuture.completedFuture(failed(command, e, attempts, delivery));
    }
  }

  private Result success(Command command, JsonNode data, AtomicInteger attempts, Delivery delivery) {
    return new Result(command.id(), Optional.of(command.type().jsonName()), command.plugin(), command.method(), true,
        Optional.of(data), Optional.empty(), workerId, attempts.get(), delivery.deliveryCount(),
        delivery.receivedAt(), Instant.now());
  }

  private Result failed(Command command, Throwable error, AtomicInteger attempts, Delivery delivery) {
    RunnerException failure = error instanceof RunnerException runner ? runner : null;
    if (failure == null) {
      log.error("command {} failed unexpectedly", command.id(), error);
      failure = new RunnerException(ErrorCode.INTERNAL, null, "internal error: " + error);
    }
    return failure(command.id(), Optional.of(command.type().jsonName()), command.plugin(), command.method(), failure,
        attempts.get(), delivery);
  }

  private CompletableFuture<PluginReply> execute(Command command, Delivery delivery, AtomicInteger attempts) {
    String plugin = command.plugin().orElseThrow();
    Optional<Instant> deadline = command.deadlineFrom(delivery.receivedAt());
    if (deadline.isPresent() && !Instant.now().isBefore(deadline.get())) {
      return CompletableFuture.failedFuture(new RunnerException(ErrorCode.EXPIRED, plugin, "command expired at "
          + deadline.get() + " before it ran"));
    }
    Optional<PluginManifest> manifest = manager.manifest(plugin);
    if (manifest.isEmpty()) {
      return CompletableFuture.failedFuture(new PluginNotFoundException(plugin,
          "plugin " + plugin + " is not registered on worker " + workerId));
    }
    String method = command.method().orElseThrow();
    // Before the guards: refused args are the caller's fault, never a plugin call, retry or breaker failure.
    Optional<String> invalidArgs = manifest.get().runner().methods().violations(method, command.args());
    if (invalidArgs.isPresent()) {
      return CompletableFuture.failedFuture(new RunnerException(ErrorCode.INVALID_ARGS, plugin, invalidArgs.get()));
    }
    return guards.call(manifest.get(), method, deadline, attempts,
        () -> manager.executeAsync(plugin, method, command.args(), deadline, delivery.traceparent()));
  }

  private JsonNode register(Command command) throws RunnerException {
    String plugin = command.plugin().orElseThrow();
    var info = manager.register(plugin, command.rebuild(), null);
    String buildId = command.rebuild() ? command.id() : "";
    controlPlane.registered(plugin, info.version().orElse(""), buildId);
    return PluginInfoJson.toJson(manager.get(plugin).orElse(info));
  }

  private JsonNode unregister(Command command) throws RunnerException {
    String plugin = command.plugin().orElseThrow();
    boolean local = manager.isRegistered(plugin);
    if (!local && !controlPlane.isRegistered(plugin)) {
      throw new PluginNotFoundException(plugin, "plugin " + plugin + " is not registered");
    }
    if (local) {
      manager.unregister(plugin);
    }
    guards.remove(plugin);
    controlPlane.unregistered(plugin);
    return JsonNodeFactory.instance.objectNode().put("id", plugin).put("registered", false);
  }

  private JsonNode build(Command command) throws RunnerException {
    String plugin = command.plugin().orElseThrow();
    try {
      BuildResult build = manager.build(plugin, null);
      return JsonNodeFactory.instance.objectNode().put("id", plugin).put("built", true)
          .put("duration_ms", build.duration().toMillis()).put("output", tail(build.outputTail()));
    } catch (BuildFailedException e) {
      throw new RunnerException(ErrorCode.BUILD_FAILED, plugin, e.getMessage() + "; output:\n"
          + tail(e.result().outputTail()));
    }
  }

  private JsonNode get(Command command) throws RunnerException {
    String plugin = command.plugin().orElseThrow();
    ObjectNode info = manager.get(plugin).map(PluginInfoJson::toJson)
        .orElseThrow(() -> new PluginNotFoundException(plugin, "no plugin " + plugin + " on worker " + workerId));
    return info.put("circuit", guards.circuitState(plugin));
  }

  private JsonNode list() {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    ArrayNode plugins = data.putArray("plugins");
    manager.list().forEach(info -> plugins.add(PluginInfoJson.toJson(info)));
    return data;
  }

  private Result failure(String id, Optional<String> type, Optional<String> plugin, Optional<String> method,
                         RunnerException error, int attempts, Delivery delivery) {
    return new Result(id, type, plugin, method, false, Optional.empty(),
        Optional.of(new Result.Failure(error.code(), error.getMessage())), workerId, attempts,
        delivery.deliveryCount(), delivery.receivedAt(), Instant.now());
  }

  private static String tail(String output) {
    return output.length() <= MAX_BUILD_OUTPUT_IN_RESULT ? output
        : "…" + output.substring(output.length() - MAX_BUILD_OUTPUT_IN_RESULT);
  }
}
