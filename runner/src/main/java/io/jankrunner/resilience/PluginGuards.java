package io.jankrunner.resilience;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.manifest.PluginManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * resilience4j around every plugin call, one instance of each per plugin id:
 * Bulkhead (at most {@code runner.max_concurrency × runner.max_instances} calls at once) → deadline → Retry (retriable
 * errors only; after a call reached a process that then died, only for
 * {@code idempotent_methods}) → CircuitBreaker (open: {@code PLUGIN_UNAVAILABLE} at once).
 *
 * <p>The deadline is enforced by the call itself (the gRPC deadline), not a TimeLimiter
 * thread: the remaining time travels to the plugin, and no retry starts once it has passed.
 * Nothing here waits for a call: the guards wrap its future.
 */
public final class PluginGuards {

  /** How long a call waits for a bulkhead permit before it counts as overload. */
  public static final Duration DEFAULT_BULKHEAD_WAIT = Duration.ofSeconds(5);
  public static final CircuitBreakerConfig DEFAULT_CIRCUIT_BREAKER = CircuitBreakerConfig.custom()
      .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
      .slidingWindowSize(20)
      .minimumNumberOfCalls(10)
      .failureRateThreshold(50)
      .waitDurationInOpenState(Duration.ofSeconds(10))
      .permittedNumberOfCallsInHalfOpenState(2)
      // A plugin that answers with an error is working; only silent ones trip it. Crashes and
      // failed starts are the plugin pool's to handle (restart with backoff, then quarantine):
      // counting every call they failed would shut the plugin out for all callers at once.
      .recordException(PluginGuards::isOutage)
      .build();

  private final BulkheadRegistry bulkheads = BulkheadRegistry.ofDefaults();
  private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(DEFAULT_CIRCUIT_BREAKER);
  private final RetryRegistry retries = RetryRegistry.ofDefaults();
  private final Duration bulkheadWait;
  private final Map<String, Bundle> bundles = new ConcurrentHashMap<>();

  /**
   * Where retries wait out their backoff: one timer for the JVM (a daemon that only schedules;
   * the attempts it starts do not wait), not a sleeping thread per call.
   */
  private static final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("plugin-retry-timer").daemon(true).factory());

  /** Where calls wait for a permit of a full bulkhead: a virtual thread each. */
  private static final Executor BULKHEAD_WAITS = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("plugin-bulkhead-wait").factory());

  public PluginGuards(Duration bulkheadWait) {
    this.bulkheadWait = bulkheadWait;
  }

  /** One guarded unit of work: a single plugin call, started and not waited for. */
  @FunctionalInterface
  public interface Call<T> {
    CompletableFuture<T> start();
  }

  /** Publishes every circuit breaker transition of every plugin (for status events). */
  public void onCircuitChange(CircuitListener listener) {
    breakers.getEventPublisher().onEntryAdded(added -> added.getAddedEntry().getEventPublisher()
        .onStateTransition(event -> listener.changed(event.getCircuitBreakerName(),
            event.getStateTransition().getFromState().name(), event.getStateTransition().getToState().name())));
  }

  /** Receives circuit breaker transitions. */
  @FunctionalInterface
  public interface CircuitListener {
    void changed(String pluginId, String from, String to);
  }

  /**
   * Runs {@code call} under the plugin's guards, without a thread waiting for it: the bulkhead
   * permit is taken at once when one is free (a full bulkhead makes a virtual thread wait, up to
   * the bulkhead's wait: only overload parks a thread, never the caller's), the breaker is asked with
   * {@code tryAcquirePermission} and told the outcome when the call completes, and a retry is
   * scheduled after its backoff rather than slept for.
   *
   * @param attempts incremented for every attempt, so a failure still reports how many were made
   * @return the call's value, or a failed future with a {@link RunnerException}: OVERLOADED when
   *     the bulkhead stays full, PLUGIN_UNAVAILABLE when the circuit is open, TIMEOUT when the
   *     deadline passes, or the call's own error
   */
  public <T> CompletableFuture<T> call(PluginManifest manifest, String method, Optional<Instant> deadline,
                                       AtomicInteger attempts, Call<T> call) {
    Bundle guards = bundle(manifest);
    // The usual case: no call is waiting and a permit is free; taken at once on this thread
    // (a poll thread, as a rule), which never waits: the bulkhead's own wait is zero.
    if (guards.waits().none() && guards.bulkhead().tryAcquirePermission()) {
      return guarded(manifest, guards, method, deadline, attempts, call);
    }
    // A full bulkhead (or calls already waiting, which go first): a virtual thread waits for a permit.
    return CompletableFuture.supplyAsync(() -> guards.waits().acquire(guards.bulkhead(), bulkheadWait)
            ? guarded(manifest, guards, method, deadline, attempts, call)
            : CompletableFuture.<T>failedFuture(overloaded(manifest.id(), guards.bulkhead())), BULKHEAD_WAITS)
        .thenCompose(Function.identity());
  }

  private static RunnerException overloaded(String id, Bulkhead bulkhead) {
    return new RunnerException(ErrorCode.OVERLOADED, id, "plugin " + id + " already has "
        + bulkhead.getBulkheadConfig().getMaxConcurrentCalls() + " calls in flight "
        + "(runner.max_concurrency × runner.max_instances)");
  }

  /** The call, with its bulkhead permit taken; the permit goes back however the call ends. */
  private <T> CompletableFuture<T> guarded(PluginManifest manifest, Bundle guards, String method,
                                           Optional<Instant> deadline, AtomicInteger attempts, Call<T> call) {
    String id = manifest.id();
    AtomicReference<RunnerException> last = new AtomicReference<>();
    Supplier<CompletionStage<T>> attempt = () -> {
      if (deadline.isPresent() && !Instant.now().isBefore(deadline.get())) {
        RunnerException previous = last.get();
        return CompletableFuture.failedFuture(new RunnerException(ErrorCode.TIMEOUT, id, "deadline passed after "
            + attempts.get() + " attempt(s)" + (previous == null ? "" : "; last error: " + previous.getMessage())));
      }
      attempts.incrementAndGet();
      try {
        return call.start().whenComplete((ignored, error) -> {
          if (RunnerException.unwrap(error) instanceof RunnerException runner) {
            last.set(runner);
          }
        });
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
    Retry retry = manifest.runner().idempotentMethods().contains(method) ? guards.retryIdempotent() : guards.retryOnce();
    CompletableFuture<T> outcome = new CompletableFuture<>();
    try {
      Retry.decorateCompletionStage(retry, scheduler, CircuitBreaker.decorateCompletionStage(guards.breaker(), attempt))
          .get().whenComplete((value, error) -> {
            release(guards);
            if (error == null) {
              outcome.complete(value);
            } else {
              outcome.completeExceptionally(asRunnerError(id, RunnerException.unwrap(error)));
            }
          });
    } catch (RuntimeException e) {
      release(guards);
      outcome.completeExceptionally(asRunnerError(id, e));
    }
    return outcome;
  }

  private static void release(Bundle guards) {
    guards.bulkhead().onComplete();
    guards.waits().permitFreed();
  }

  /**
   * The calls waiting for a permit of one plugin's bulkhead, woken as permits come back. The
   * bulkhead itself never makes a thread wait (its wait is zero, so taking a permit is a plain
   * try): waiting is done here, on virtual threads, and only while the bulkhead is full.
   */
  static final class PermitWaits {
    private final AtomicInteger waiting = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();

    boolean none() {
      return waiting.get() == 0;
    }

    /** Takes a permit of {@code bulkhead}, waiting up to {@code wait}; false when none came. */
    boolean acquire(Bulkhead bulkhead, Duration wait) {
      long until = System.nanoTime() + wait.toNanos();
      waiting.incrementAndGet();
      lock.lock();
      try {
        // Held from the try to the wait, so a permit freed in between still wakes this thread.
        while (!bulkhead.tryAcquirePermission()) {
          long left = until - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          freed.awaitNanos(left);
        }
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } finally {
        lock.unlock();
        waiting.decrementAndGet();
      }
    }

    /** A permit came back: a waiting call may take it. Costs nothing while none waits. */
    void permitFreed() {
      if (waiting.get() > 0) {
        lock.lock();
        try {
          freed.signalAll(); // all: one that timed out meanwhile must not swallow the wake-up
        } finally {
          lock.unlock();
        }
      }
    }
  }

  private static RunnerException asRunnerError(String id, Throwable error) {
    return switch (error) {
      case RunnerException runner -> runner;
      case CallNotPermittedException open -> new RunnerException(ErrorCode.PLUGIN_UNAVAILABLE, id, "circuit open for "
          + id + ": too many recent failures; calls resume after "
          + DEFAULT_CIRCUIT_BREAKER.getWaitIntervalFunctionInOpenState().apply(1) + " ms");
      default -> new RunnerException(ErrorCode.INTERNAL, id, error.toString(), error);
    };
  }

  /** The guards of one plugin, built once per registration (its manifest), not per call. */
  private record Bundle(PluginManifest manifest, Bulkhead bulkhead, CircuitBreaker breaker, Retry retryIdempotent,
                        Retry retryOnce, PermitWaits waits) {}

  private Bundle bundle(PluginManifest manifest) {
    Bundle current = bundles.get(manifest.id());
    if (current != null && current.manifest() == manifest) {
      return current;
    }
    return bundles.compute(manifest.id(), (id, existing) ->
        existing != null && existing.manifest() == manifest ? existing : build(manifest, existing));
  }

  /** A new registration (or a changed policy): the plugin's guards are replaced, the breaker's history kept. */
  private Bundle build(PluginManifest manifest, Bundle previous) {
    String id = manifest.id();
    // As many calls as the plugin's pool can take at its largest: max_concurrency per instance,
    // max_instances instances; any fewer and calls could never fill one instance and scale out.
    BulkheadConfig bulkheadConfig = bulkheadConfig(manifest);
    Bulkhead bulkhead = bulkheads.bulkhead(id, () -> bulkheadConfig);
    if (!sameBulkhead(bulkhead.getBulkheadConfig(), bulkheadConfig)) {
      bulkhead.changeConfig(bulkheadConfig); // re-registered with another max_concurrency
    }
    Retry idempotent = retry(manifest, true, previous == null ? null : previous.retryIdempotent());
    Retry once = retry(manifest, false, previous == null ? null : previous.retryOnce());
    // The bulkhead outlives a re-registration, and so do the calls waiting for it.
    PermitWaits waits = previous == null ? new PermitWaits() : previous.waits();
    return new Bundle(manifest, bulkhead, breakers.circuitBreaker(id), idempotent, once, waits);
  }

  /**
   * The bulkhead {@code manifest} asks for. Built from it at every registration; what the
   * builders refuse, plugin.json's parser refuses first, with the field ({@code PluginGuardsTest}
   * holds the two together).
   */
  static BulkheadConfig bulkheadConfig(PluginManifest manifest) {
    int capacity = Math.multiplyExact(manifest.runner().maxConcurrency(), Math.max(1, manifest.runner().maxInstances()));
    return BulkheadConfig.custom().maxConcurrentCalls(capacity)
        .maxWaitDuration(Duration.ZERO).build(); // never waits itself: PermitWaits does, off the caller's thread
  }

  /** The retry {@code manifest} asks for, for idempotent methods or the others; see {@link #bulkheadConfig}. */
  static RetryConfig retryConfig(PluginManifest manifest, boolean idempotent) {
    return RetryConfig.custom()
        .maxAttempts(manifest.runner().retry().maxAttempts())
        .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(manifest.runner().retry().backoff(), 2.0, 0.5))
        .retryOnException(error -> isRetriable(error, idempotent))
        .build();
  }

  private static boolean sameBulkhead(BulkheadConfig a, BulkheadConfig b) {
    return a.getMaxConcurrentCalls() == b.getMaxConcurrentCalls() && a.getMaxWaitDuration().equals(b.getMaxWaitDuration());
  }

  private Retry retry(PluginManifest manifest, boolean idempotent, Retry previous) {
    String name = manifest.id() + "#" + (idempotent ? "idempotent" : "once");
    RetryConfig config = retryConfig(manifest, idempotent);
    if (previous != null) {
      retries.remove(name); // the policy may have changed with the new manifest
    }
    return retries.retry(name, config);
  }

  /** An unregistered plugin's guards are gone; a later registration starts afresh. */
  public void remove(String pluginId) {
    Bundle removed = bundles.remove(pluginId);
    if (removed != null) {
      bulkheads.remove(pluginId);
      breakers.remove(pluginId);
      retries.remove(pluginId + "#idempotent");
      retries.remove(pluginId + "#once");
    }
  }

  /**
   * Retriable: the process could not be started (nothing ran) for a reason a new start may not
   * meet again, or it was unreachable and the method is idempotent (it may have run). Plugin
   * errors, timeouts and a binary that cannot be executed ({@link PluginStartException#permanent()})
   * are final.
   */
  static boolean isRetriable(Throwable failure, boolean idempotent) {
    Throwable error = RunnerException.unwrap(failure);
    if (error instanceof PluginStartException start) {
      return !start.permanent();
    }
    return idempotent && error instanceof RunnerException runner && runner.code() == ErrorCode.PLUGIN_UNAVAILABLE;
  }

  private static boolean isOutage(Throwable failure) {
    return RunnerException.unwrap(failure) instanceof RunnerException runner && runner.code() == ErrorCode.TIMEOUT;
  }

  /** The per-plugin bulkheads, for metrics. */
  public BulkheadRegistry bulkheads() {
    return bulkheads;
  }

  /** The per-plugin circuit breakers, for metrics. */
  public CircuitBreakerRegistry circuitBreakers() {
    return breakers;
  }

  /** The per-plugin-and-idempotence retries, for metrics. */
  public RetryRegistry retries() {
    return retries;
  }

  /** The breaker's state for a plugin, for {@code get} and tests. */
  public String circuitState(String pluginId) {
    return breakers.find(pluginId).map(breaker -> breaker.getState().name().toLowerCase(java.util.Locale.ROOT))
        .orElse("closed");
  }
}
