package io.jankrunner.plugin.pool;

import static io.jankrunner.plugin.pool.FakePool.awaitUntil;
import static io.jankrunner.plugin.pool.FakePool.runner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.jankrunner.plugin.api.PluginNotFoundException;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ending a registration: a hot swap hands new calls to the new version while the old one's calls
 * in flight finish; a shutdown gives calls in flight until its drain limit, never longer.
 */
@Timeout(120)
class PoolStopTest {

  private static final Duration LONG = Duration.ofMinutes(10);

  @Test
  void aHotSwapSendsNewAndWaitingCallsToTheNewVersionWhileTheOldOneFinishesItsCallsInFlight() throws Exception {
    FakePool fake = new FakePool(runner(1, 0, 1, Duration.ZERO));
    CompletableFuture<?> inFlight = fake.callInFlight(LONG);
    FakeInstance old = fake.launcher.last();
    CompletableFuture<?> waiting = fake.call(LONG); // the old version's one slot is taken

    Thread swap = fake.swapTo(runner(4, 0, 1, Duration.ZERO));

    FakeInstance fresh = fake.launcher.last();
    awaitUntil(() -> fresh.callsWaiting() == 1);
    CompletableFuture<?> next = fake.call(LONG);
    awaitUntil(() -> fresh.callsWaiting() == 2);
    assertEquals(FakeInstance.End.NONE, old.end(), "the old instance still has a call in flight");
    assertEquals(1, old.callsWaiting());
    assertEquals(FakePool.ID + "#2", fake.info().instances().getFirst().id(), "ids go on from the old version's");

    old.answerAll();
    inFlight.join();
    swap.join();
    assertEquals(FakeInstance.End.STOPPED, old.end());
    fresh.answerAll();
    waiting.join();
    next.join();
  }

  @Test
  void aReplacedInstanceDrainsNoLongerThanTheDeadlineOfItsLastCall() throws Exception {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    CompletableFuture<?> inFlight = fake.callInFlight(Duration.ofMinutes(1));
    FakeInstance old = fake.launcher.last();

    Thread swap = fake.swapTo(runner(4, 0, 1, Duration.ZERO));
    fake.clock.advance(Duration.ofSeconds(59));
    assertEquals(FakeInstance.End.NONE, old.end());
    fake.clock.advance(Duration.ofSeconds(2));

    swap.join();
    assertEquals(FakeInstance.End.STOPPED, old.end());
    fake.failureOf(inFlight);
  }

  @Test
  void aShutdownGivesCallsInFlightUntilItsDrainLimitThenStopsTheInstance() throws Exception {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    CompletableFuture<?> inFlight = fake.callInFlight(LONG);
    FakeInstance instance = fake.launcher.last();

    Thread shutdown = fake.shutDown(Optional.of(fake.clock.instant().plusSeconds(5)));
    awaitUntil(() -> fake.instancesIn(PluginState.STOPPING) == 1);
    fake.clock.advance(Duration.ofSeconds(4));
    assertEquals(FakeInstance.End.NONE, instance.end(), "within the drain limit");
    fake.clock.advance(Duration.ofSeconds(2));

    shutdown.join();
    assertEquals(FakeInstance.End.STOPPED, instance.end());
    fake.failureOf(inFlight);
    assertEquals(PluginState.STOPPED.jsonName(), fake.state());
  }

  @Test
  void aShutdownStopsAnInstanceAsSoonAsItsLastCallIsAnswered() throws Exception {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    CompletableFuture<?> inFlight = fake.callInFlight(LONG);
    FakeInstance instance = fake.launcher.last();
    Thread shutdown = fake.shutDown(Optional.of(fake.clock.instant().plus(LONG)));
    awaitUntil(() -> fake.instancesIn(PluginState.STOPPING) == 1);

    instance.answerAll();

    shutdown.join(); // the clock has not moved: no drain limit was waited for
    inFlight.join();
    assertEquals(FakeInstance.End.STOPPED, instance.end());
  }

  @Test
  void aShutdownInterruptsAStartUnderWayAndDoesNotCountItAsACrash() throws Exception {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    fake.launcher.holdStarts();
    CompletableFuture<?> waiting = fake.call(LONG);
    awaitUntil(() -> fake.launcher.attempts() == 1);

    fake.shutDown(Optional.of(fake.clock.instant())).join();

    assertInstanceOf(PluginNotFoundException.class, fake.failureOf(waiting));
    assertEquals(PluginState.STOPPED.jsonName(), fake.state());
    assertFalse(fake.published().contains(PluginState.BACKOFF));
    assertFalse(fake.published().contains(PluginState.ERROR));
  }
}
