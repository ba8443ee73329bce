package io.jankrunner.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.retry.RetryConfig;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.manifest.MethodSchemas;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings.Retry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The guards around a call that nobody waits for: the tests hold the plugin's answer in their
 * hands (an uncompleted future) and check what the guards do before and after it comes.
 */
class PluginGuardsTest {

  private final PluginGuards guards = new PluginGuards(Duration.ofMillis(100));

  @Test
  void aCallReturnsAtOnceHoldsItsPermitUntilAnsweredAndGivesItBack() throws Exception {
    PluginManifest manifest = manifest("com.example.slow", 1, 1, List.of());
    CompletableFuture<String> answer = new CompletableFuture<>();

    CompletableFuture<String> call = guards.call(manifest, "run", Optional.empty(), new AtomicInteger(),
        () -> answer);

    assertFalse(call.isDone(), "the guards return before the plugin answers: no thread waits for it");
    assertEquals(0, availablePermits("com.example.slow"), "the call holds its bulkhead permit while it runs");
    answer.complete("done");
    assertEquals("done", call.get(5, TimeUnit.SECONDS));
    assertEquals(1, availablePermits("com.example.slow"), "the permit is back once the answer came");
  }

  @Test
  void aFullBulkheadIsOverloadedAfterItsWait() throws Exception {
    PluginManifest manifest = manifest("com.example.full", 2, 1, List.of());
    List<CompletableFuture<String>> running = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      CompletableFuture<String> answer = new CompletableFuture<>();
      running.add(answer);
      guards.call(manifest, "run", Optional.empty(), new AtomicInteger(), () -> answer);
    }

    CompletableFuture<String> third = guards.call(manifest, "run", Optional.empty(), new AtomicInteger(),
        () -> CompletableFuture.completedFuture("never"));

    assertEquals(ErrorCode.OVERLOADED, failure(third).code());
    assertTrue(failure(third).getMessage().contains("already has 2 calls in flight"), failure(third).getMessage());
    running.forEach(answer -> answer.complete("ok"));
  }

  @Test
  void aCallToAFullBulkheadDoesNotHoldTheCallerAndGoesOnceAPermitIsFree() throws Exception {
    PluginGuards patient = new PluginGuards(Duration.ofSeconds(60));
    PluginManifest manifest = manifest("com.example.busy", 1, 1, List.of());
    CompletableFuture<String> first = new CompletableFuture<>();
    patient.call(manifest, "run", Optional.empty(), new AtomicInteger(), () -> first);
    Thread caller = Thread.currentThread();
    AtomicInteger startedOnCaller = new AtomicInteger();

    CompletableFuture<String> waiting = patient.call(manifest, "run", Optional.empty(), new AtomicInteger(), () -> {
      startedOnCaller.addAndGet(Thread.currentThread() == caller ? 1 : 0);
      return CompletableFuture.completedFuture("second");
    });

    // Returned with the bulkhead still full (its wait is 60 s): this thread did not wait for a permit.
    assertFalse(waiting.isDone(), "the call waits for a permit elsewhere, not on the caller's thread");
    first.complete("first");
    assertEquals("second", waiting.get(30, TimeUnit.SECONDS));
    assertEquals(0, startedOnCaller.get());
  }

  @Test
  void anIdempotentMethodIsRetriedAfterItsBackoffOnAnotherAttempt() throws Exception {
    PluginManifest manifest = manifest("com.example.flaky", 4, 1, List.of("read"));
    AtomicInteger attempts = new AtomicInteger();
    AtomicInteger started = new AtomicInteger();

    CompletableFuture<String> call = guards.call(manifest, "read", Optional.empty(), attempts, () ->
        started.incrementAndGet() < 3
            ? CompletableFuture.failedFuture(new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, "com.example.flaky",
                "plugin unreachable"))
            : CompletableFuture.completedFuture("third time"));

    assertEquals("third time", call.get(5, TimeUnit.SECONDS));
    assertEquals(3, attempts.get());
    assertEquals(4, availablePermits("com.example.flaky"));
  }

  @Test
  void aMethodThatMayHaveRunIsNotRetriedAndTheErrorKeepsItsCode() throws Exception {
    PluginManifest manifest = manifest("com.example.once", 4, 1, List.of());
    AtomicInteger attempts = new AtomicInteger();

    CompletableFuture<String> call = guards.call(manifest, "write", Optional.empty(), attempts, () ->
        CompletableFuture.supplyAsync(() -> {
          throw new java.util.concurrent.CompletionException(new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE,
              "com.example.once", "plugin process exited"));
        }));

    RunnerException error = failure(call);
    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    assertEquals("plugin process exited", error.getMessage());
    assertEquals(1, attempts.get());
  }

  @Test
  void noAttemptStartsOnceTheDeadlineHasPassed() throws Exception {
    PluginManifest manifest = manifest("com.example.late", 4, 1, List.of("read"));
    AtomicInteger started = new AtomicInteger();

    CompletableFuture<String> call = guards.call(manifest, "read", Optional.of(Instant.now().minusMillis(1)),
        new AtomicInteger(), () -> {
          started.incrementAndGet();
          return CompletableFuture.completedFuture("too late");
        });

    assertEquals(ErrorCode.TIMEOUT, failure(call).code());
    assertEquals(0, started.get());
  }

  @Test
  void timeoutsOpenTheCircuitAndAnOpenCircuitStartsNothing() throws Exception {
    PluginManifest manifest = manifest("com.example.silent", 64, 1, List.of());
    for (int i = 0; i < 20; i++) {
      failure(guards.call(manifest, "run", Optional.empty(), new AtomicInteger(), () ->
          CompletableFuture.failedFuture(new PluginCallException(ErrorCode.TIMEOUT, "com.example.silent",
              "plugin did not answer run within 10 ms"))));
    }
    AtomicInteger started = new AtomicInteger();

    CompletableFuture<String> call = guards.call(manifest, "run", Optional.empty(), new AtomicInteger(), () -> {
      started.incrementAndGet();
      return CompletableFuture.completedFuture("unreached");
    });

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, failure(call).code());
    assertTrue(failure(call).getMessage().startsWith("circuit open"), failure(call).getMessage());
    assertEquals(0, started.get());
    assertEquals("open", guards.circuitState("com.example.silent"));
    assertEquals(64, availablePermits("com.example.silent"), "a refused call gives its permit back");
  }

  @Test
  void pluginErrorsDoNotOpenTheCircuit() throws Exception {
    PluginManifest manifest = manifest("com.example.picky", 64, 1, List.of());
    for (int i = 0; i < 30; i++) {
      failure(guards.call(manifest, "run", Optional.empty(), new AtomicInteger(), () ->
          CompletableFuture.failedFuture(new PluginCallException(ErrorCode.PLUGIN_ERROR, "com.example.picky",
              "bad input"))));
    }
    assertEquals("closed", guards.circuitState("com.example.picky"));
  }

  private int availablePermits(String pluginId) {
    return guards.bulkheads().bulkhead(pluginId).getMetrics().getAvailableConcurrentCalls();
  }

  private static RunnerException failure(CompletableFuture<?> call) throws Exception {
    try {
      call.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return assertInstanceOf(RunnerException.class, e.getCause());
    }
    throw new AssertionError("the call succeeded");
  }

  @Test
  void aStartThatCannotExecuteIsNotRetriedAStartThatMayGoBetterIs() {
    assertFalse(PluginGuards.isRetriable(new PluginStartException("p", "exec format error", null, true), true));
    assertFalse(PluginGuards.isRetriable(new PluginStartException("p", "exec format error", null, true), false));
    assertTrue(PluginGuards.isRetriable(new PluginStartException("p", "no handshake in time"), false));
  }

  @Test
  void everySettingPluginJsonMayHoldBuildsTheGuards() {
    // The parser's bounds (ManifestGuardSettingsTest) against resilience4j's builders: whatever
    // a manifest may say, the guards are built from it, never an INTERNAL at the first call.
    for (int concurrency : new int[] {1, RunnerSettings.MAX_CONCURRENCY_LIMIT}) {
      for (int instances : new int[] {1, RunnerSettings.MAX_INSTANCES_LIMIT}) {
        assertEquals(concurrency * instances, PluginGuards.bulkheadConfig(manifest("com.example.b", concurrency,
            instances, List.of())).getMaxConcurrentCalls());
      }
    }
    for (int attempts : new int[] {Retry.MIN_ATTEMPTS, Retry.MAX_ATTEMPTS}) {
      for (Duration backoff : List.of(Retry.MIN_BACKOFF, Retry.MAX_BACKOFF)) {
        PluginManifest manifest = manifest("com.example.r", 1, 1, List.of(), new Retry(attempts, backoff));
        for (boolean idempotent : new boolean[] {true, false}) {
          RetryConfig config = PluginGuards.retryConfig(manifest, idempotent);
          assertEquals(attempts, config.getMaxAttempts());
          assertTrue(config.getIntervalBiFunction().apply(1, null) >= 1, "a wait of at least 1 ms");
        }
      }
    }
  }

  @Test
  void resilience4jRefusesWhatIsJustOutsideTheParsersBounds() {
    // Why the parser refuses these: the builders would throw at the plugin's first call.
    assertThrows(IllegalArgumentException.class, () -> PluginGuards.retryConfig(manifest("com.example.z", 1, 1,
        List.of(), new Retry(1, Retry.MIN_BACKOFF.minusMillis(1))), false));
    assertThrows(IllegalArgumentException.class, () -> PluginGuards.retryConfig(manifest("com.example.z", 1, 1,
        List.of(), new Retry(Retry.MIN_ATTEMPTS - 1, Retry.MIN_BACKOFF)), false));
  }

  private static PluginManifest manifest(String id, int maxConcurrency, int maxInstances, List<String> idempotent) {
    return manifest(id, maxConcurrency, maxInstances, idempotent, new Retry(3, Duration.ofMillis(20)));
  }

  private static PluginManifest manifest(String id, int maxConcurrency, int maxInstances, List<String> idempotent,
                                         Retry retry) {
    RunnerSettings runner = new RunnerSettings(Optional.empty(), maxConcurrency, 0, maxInstances,
        RunnerSettings.DEFAULT_IDLE_TTL, java.util.OptionalLong.empty(), java.util.OptionalInt.empty(), List.of(),
        Optional.empty(), retry, idempotent,
        java.util.OptionalInt.empty(), RunnerSettings.Lifecycle.DEFAULT, MethodSchemas.NONE);
    return new PluginManifest(id, id, "1.0.0", "", "", "", PluginManifest.PluginType.HANDLER, "./bin/plugin", false,
        PluginManifest.DEFAULT_START_TIMEOUT, PluginManifest.DEFAULT_MIN_PORT, PluginManifest.DEFAULT_MAX_PORT, false,
        false, runner);
  }
}
