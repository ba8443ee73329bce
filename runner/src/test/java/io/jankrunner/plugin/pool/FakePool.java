package io.jankrunner.plugin.pool;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.RecordingListener;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.manifest.MethodSchemas;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;

/**
 * A {@link PluginPool} on a {@link FakeClock} with {@link FakeInstance}s, and what the manager does
 * around it: calls routed as the manager routes them (a replaced registration sends its waiting
 * callers to the new one), the periodic upkeep as {@link #tick}, a swap as a re-register does it.
 */
final class FakePool {

  static final String ID = "com.example.fake";
  /** Two crashes in a minute are tolerated, the third quarantines for 30 s; backoff 100 ms → 1 s. */
  static final RestartPolicy POLICY = new RestartPolicy(2, Duration.ofMinutes(1), Duration.ofSeconds(30),
      Duration.ofMillis(100), Duration.ofSeconds(1));
  static final Duration STOP_GRACE = Duration.ofSeconds(5);
  static final Duration HEALTH_CHECK_INTERVAL = Duration.ofHours(1);
  /** How long a test waits for what the pool's own threads do: a liveness bound, never a measure. */
  private static final Duration LIVENESS = Duration.ofSeconds(60);

  final FakeClock clock = new FakeClock();
  final FakeLauncher launcher = new FakeLauncher();
  final RecordingListener listener = new RecordingListener();
  private final StateEvents events = new StateEvents(listener);
  private final AtomicReference<PluginPool> current = new AtomicReference<>();

  FakePool(RunnerSettings runner) {
    current.set(newPool(runner));
    current.get().announce();
  }

  /** {@code max_concurrency}, {@code min_instances}, {@code max_instances}, {@code idle_ttl_ms}; the rest default. */
  static RunnerSettings runner(int maxConcurrency, int minInstances, int maxInstances, Duration idleTtl) {
    return new RunnerSettings(Optional.empty(), maxConcurrency, minInstances, maxInstances, idleTtl,
        OptionalLong.empty(), OptionalInt.empty(), List.of(), Optional.empty(), RunnerSettings.Retry.DEFAULT, List.of(),
        OptionalInt.empty(), RunnerSettings.Lifecycle.DEFAULT, MethodSchemas.NONE);
  }

  private PluginPool newPool(RunnerSettings runner) {
    PluginManifest manifest = new PluginManifest(ID, ID, "1.0.0", "", "", "", PluginManifest.PluginType.HANDLER,
        "./bin/plugin", false, PluginManifest.DEFAULT_START_TIMEOUT, PluginManifest.DEFAULT_MIN_PORT,
        PluginManifest.DEFAULT_MAX_PORT, false, false, runner);
    PoolSettings settings = new PoolSettings(POLICY, STOP_GRACE, HEALTH_CHECK_INTERVAL, Duration.ofSeconds(1));
    return new PluginPool(manifest, Path.of("/plugins/fake"), Path.of("/plugins/fake/bin/plugin"), settings, events,
        launcher, clock, clock.scheduler());
  }

  /** The registration calls go to. */
  PluginPool pool() {
    return current.get();
  }

  /**
   * A re-register: the new version's instance is started and ready first, then calls go to it,
   * and the old registration is shut down (its calls in flight drain) on a thread of its own.
   */
  Thread swapTo(RunnerSettings runner) throws RunnerException {
    PluginPool old = current.get();
    PluginPool fresh = newPool(runner);
    fresh.numberAfter(old);
    fresh.warmUp(1, "new version, before the swap");
    fresh.awaitReady(clock.instant().plus(LIVENESS));
    current.set(fresh);
    return Thread.ofVirtual().start(() -> old.shutDown(true, Optional.empty(), "replaced by re-register"));
  }

  /** Shuts the registration down on a thread of its own, as unregister or the worker's close. */
  Thread shutDown(Optional<Instant> drainLimit) {
    PluginPool pool = current.get();
    return Thread.ofVirtual().start(() -> pool.shutDown(false, drainLimit, "worker shutdown"));
  }

  /**
   * One call with a deadline {@code timeout} from now, routed as the manager routes it: a slot,
   * the fake's answer, the slot given back, a call past its deadline reported to the pool.
   */
  CompletableFuture<ObjectNode> call(Duration timeout) {
    Instant deadline = clock.instant().plus(timeout);
    ObjectNode args = JsonNodeFactory.instance.objectNode();
    CompletableFuture<ObjectNode> reply = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try {
        PluginPool.Lease lease = PluginPool.acquire(current.get(), current::get, deadline);
        PluginPool pool = lease.pool();
        lease.process().executeAsync("echo", args, deadline, Optional.empty()).whenComplete((data, error) -> {
          pool.release(lease);
          if (error instanceof PluginCallException call && call.code() == ErrorCode.TIMEOUT) {
            pool.callTimedOut(lease);
          }
          if (error != null) {
            reply.completeExceptionally(error);
          } else {
            reply.complete(data);
          }
        });
      } catch (RunnerException | RuntimeException e) {
        reply.completeExceptionally(e);
      }
    });
    return reply;
  }

  /** {@link #call}, returned once an instance has taken it (the first call of a pool only). */
  CompletableFuture<ObjectNode> callInFlight(Duration timeout) {
    CompletableFuture<ObjectNode> call = call(timeout);
    awaitUntil(() -> callsOnInstances() == 1);
    return call;
  }

  /** What went wrong with {@code call}, once it has failed. */
  Throwable failureOf(CompletableFuture<?> call) {
    awaitUntil(call::isDone);
    try {
      call.join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("the call succeeded");
  }

  /** Moves the clock on, then runs the upkeep the manager runs every 250 ms. */
  void tick(Duration by) {
    clock.advance(by);
    pool().maintain();
  }

  PluginInfo info() {
    return pool().info();
  }

  /** The plugin's state as {@code get} shows it. */
  String state() {
    return info().status();
  }

  void awaitState(PluginState state) {
    awaitUntil(() -> state().equals(state.jsonName()));
  }

  long instancesIn(PluginState state) {
    return info().instances().stream().filter(i -> i.state().equals(state.jsonName())).count();
  }

  /** Calls waiting on the fakes for an answer: taken by an instance, not yet answered. */
  int callsOnInstances() {
    return launcher.started().stream().mapToInt(FakeInstance::callsWaiting).sum();
  }

  /** The plugin-level states published so far. */
  List<PluginState> published() {
    return listener.statesOf(ID);
  }

  static void awaitUntil(Callable<Boolean> condition) {
    Awaitility.await().atMost(LIVENESS).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
        .until(condition);
  }
}
