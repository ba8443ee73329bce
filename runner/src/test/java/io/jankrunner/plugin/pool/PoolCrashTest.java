package io.jankrunner.plugin.pool;

import static io.jankrunner.plugin.pool.FakePool.awaitUntil;
import static io.jankrunner.plugin.pool.FakePool.runner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.ErrorCode;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Crashes and failed starts on a fake clock: the backoff before a restart, the quarantine after
 * too many crashes and its one probe instance. The policy is {@link FakePool#POLICY}: backoff from
 * 100 ms (with jitter: 50..100 ms for the first crash), the third crash in a minute quarantines
 * for 30 s.
 */
@Timeout(120)
class PoolCrashTest {

  private static final Duration LONG = Duration.ofMinutes(10);

  @Test
  void aCrashedInstanceIsRestartedOnlyOnceItsBackoffHasPassed() {
    FakePool fake = new FakePool(runner(4, 1, 1, Duration.ZERO));
    fake.pool().warmUp(1, "min_instances 1");
    fake.awaitState(PluginState.READY);

    fake.launcher.last().crash(1);
    fake.awaitState(PluginState.BACKOFF);
    fake.tick(Duration.ofMillis(40)); // less than half the first backoff: jitter takes at most half

    assertEquals(List.of(), fake.info().instances(), "no restart within the backoff"); // a start adds its instance at once
    assertEquals(PluginState.BACKOFF.jsonName(), fake.state());
    fake.clock.advance(Duration.ofMillis(61)); // the scheduled end of the backoff has come
    fake.awaitState(PluginState.READY);
    assertEquals(2, fake.launcher.started().size());
    assertTrue(fake.published().containsAll(List.of(PluginState.BACKOFF, PluginState.READY)));
  }

  @Test
  void aCallThatComesDuringABackoffWaitsForItAndIsServedByTheRestart() {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    fake.callInFlight(LONG);
    fake.launcher.last().crash(1);
    fake.awaitState(PluginState.BACKOFF);

    CompletableFuture<?> call = fake.call(LONG);
    fake.tick(Duration.ofMillis(40)); // within the backoff
    assertFalse(call.isDone());
    assertEquals(List.of(), fake.info().instances(), "the waiting call starts nothing before the backoff ends");
    fake.clock.advance(Duration.ofMillis(61));

    awaitUntil(() -> fake.launcher.started().size() == 2 && fake.launcher.last().callsWaiting() == 1);
    fake.launcher.last().answerAll();
    call.join();
  }

  @Test
  void aPluginThatKeepsCrashingIsQuarantinedAndCallsFailAtOnceUntilItIsOver() {
    FakePool fake = new FakePool(runner(4, 1, 1, Duration.ZERO));
    fake.pool().warmUp(1, "min_instances 1");
    crashUntilQuarantined(fake);

    Throwable refused = fake.failureOf(fake.call(LONG));
    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, assertInstanceOf(PluginCallException.class, refused).code());
    assertTrue(refused.getMessage().contains("quarantined until") && refused.getMessage().contains("3 crashes"),
        refused.getMessage());
    assertTrue(fake.info().reason().orElseThrow().startsWith("3 crashes in 60 s; last: fake process"),
        fake.info().reason().orElseThrow());
    int tried = fake.launcher.attempts();
    fake.tick(Duration.ofSeconds(29));
    assertEquals(List.of(), fake.info().instances(), "nothing starts while quarantined");
    assertEquals(PluginState.QUARANTINED.jsonName(), fake.state());

    fake.clock.advance(Duration.ofSeconds(2)); // the quarantine's scheduled end: one probe instance

    fake.awaitState(PluginState.READY);
    assertEquals(tried + 1, fake.launcher.attempts());
    assertEquals(1, fake.instancesIn(PluginState.READY));
  }

  @Test
  void aProbeThatCrashesTooIsQuarantinedAgainAtOnce() {
    FakePool fake = new FakePool(runner(4, 1, 1, Duration.ZERO));
    fake.pool().warmUp(1, "min_instances 1");
    crashUntilQuarantined(fake);
    fake.clock.advance(Duration.ofSeconds(31));
    fake.awaitState(PluginState.READY);

    fake.launcher.last().crash(1);

    fake.awaitState(PluginState.QUARANTINED);
    assertTrue(fake.info().reason().orElseThrow().startsWith("4 crashes in 60 s"), fake.info().reason().orElseThrow());
  }

  @Test
  void aFailedStartFailsTheCallThatWaitedForItAndTheNextStartWaitsForTheBackoff() {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    fake.launcher.failNextStart("exec format error");

    Throwable failed = fake.failureOf(fake.call(LONG));

    assertInstanceOf(PluginStartException.class, failed);
    assertTrue(failed.getMessage().contains("exec format error"), failed.getMessage());
    assertEquals(PluginState.ERROR.jsonName(), fake.state());
    assertEquals("exec format error", fake.info().reason().orElseThrow());

    CompletableFuture<?> next = fake.call(LONG);
    fake.tick(Duration.ofMillis(40)); // within the backoff
    assertEquals(List.of(), fake.info().instances(), "the next start waits for the backoff");
    fake.clock.advance(Duration.ofMillis(61));
    awaitUntil(() -> fake.callsOnInstances() == 1);
    fake.launcher.last().answerAll();
    next.join();
    fake.awaitState(PluginState.READY);
  }

  /** Three crashes, each restart after its backoff: the third quarantines. */
  private static void crashUntilQuarantined(FakePool fake) {
    for (int crash = 1; crash <= 3; crash++) {
      int started = crash;
      awaitUntil(() -> fake.launcher.started().size() == started && fake.state().equals("ready"));
      fake.launcher.last().crash(1);
      if (crash < 3) {
        fake.awaitState(PluginState.BACKOFF);
        fake.clock.advance(Duration.ofSeconds(1)); // the longest backoff this policy has
      }
    }
    fake.awaitState(PluginState.QUARANTINED);
  }
}
