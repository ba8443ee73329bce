package io.jankrunner.plugin.pool;

import static io.jankrunner.plugin.pool.FakePool.awaitUntil;
import static io.jankrunner.plugin.pool.FakePool.runner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.ErrorCode;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Scale-out when every instance is full, never past max_instances, and the idle TTL down to min_instances. */
@Timeout(120)
class PoolScalingTest {

  private static final Duration LONG = Duration.ofMinutes(10);

  @Test
  void aPoolScalesOutWhenEveryInstanceIsFullButNeverPastMaxInstances() {
    FakePool fake = new FakePool(runner(2, 0, 2, Duration.ZERO));
    List<CompletableFuture<?>> calls = IntStream.range(0, 4).<CompletableFuture<?>>mapToObj(i -> fake.call(LONG))
        .toList();
    awaitUntil(() -> fake.callsOnInstances() == 4);
    assertEquals(2, fake.launcher.started().size());

    CompletableFuture<?> fifth = fake.call(LONG);
    assertFalse(fifth.isDone());
    FakeInstance first = fake.launcher.started().getFirst();
    first.answerAll(); // two slots free on #1: the fifth call takes one, nothing new starts

    awaitUntil(() -> first.callsWaiting() == 1);
    assertEquals(2, fake.launcher.attempts());
    fake.launcher.started().forEach(FakeInstance::answerAll);
    calls.forEach(CompletableFuture::join);
    fifth.join();
  }

  @Test
  void coldStartsAreSizedToTheCallsWaitingForThem() {
    FakePool fake = new FakePool(runner(2, 0, 4, Duration.ZERO));
    fake.launcher.holdStarts();

    List<CompletableFuture<?>> calls = IntStream.range(0, 3).<CompletableFuture<?>>mapToObj(i -> fake.call(LONG))
        .toList();

    awaitUntil(() -> fake.launcher.attempts() == 2); // one starting instance takes two calls, the third needs another
    assertEquals(2, fake.instancesIn(PluginState.STARTING));
    fake.launcher.releaseStarts();
    awaitUntil(() -> fake.callsOnInstances() == 3);
    assertEquals(2, fake.launcher.attempts());
    fake.launcher.started().forEach(FakeInstance::answerAll);
    calls.forEach(CompletableFuture::join);
  }

  @Test
  void aCallThatFindsNoFreeSlotBeforeItsDeadlineTimesOut() {
    FakePool fake = new FakePool(runner(1, 0, 1, Duration.ZERO));
    fake.callInFlight(LONG);

    CompletableFuture<?> late = fake.call(Duration.ofSeconds(1));
    fake.clock.advance(Duration.ofSeconds(2));

    PluginCallException timedOut = assertInstanceOf(PluginCallException.class, fake.failureOf(late));
    assertEquals(ErrorCode.TIMEOUT, timedOut.code());
    assertTrue(timedOut.getMessage().contains("could take the call before its deadline"), timedOut.getMessage());
    assertEquals(1, fake.launcher.attempts());
  }

  @Test
  void instancesIdleForTheirTtlAreStoppedDownToMinInstances() {
    FakePool fake = new FakePool(runner(1, 1, 3, Duration.ofSeconds(60)));
    fake.pool().warmUp(1, "min_instances 1");
    fake.awaitState(PluginState.READY);
    List<CompletableFuture<?>> calls = IntStream.range(0, 3).<CompletableFuture<?>>mapToObj(i -> fake.call(LONG))
        .toList();
    awaitUntil(() -> fake.callsOnInstances() == 3);
    fake.launcher.started().forEach(FakeInstance::answerAll);
    calls.forEach(CompletableFuture::join);
    awaitUntil(() -> fake.info().inFlight() == 0);

    fake.tick(Duration.ofSeconds(59));
    assertEquals(3, fake.instancesIn(PluginState.READY), "not idle for the TTL yet");
    fake.tick(Duration.ofSeconds(1));

    awaitUntil(() -> fake.launcher.started().stream().filter(i -> i.end() == FakeInstance.End.STOPPED).count() == 2);
    awaitUntil(() -> fake.info().instances().size() == 1);
    assertEquals(1, fake.instancesIn(PluginState.READY));
    fake.tick(Duration.ofHours(1));
    assertEquals(1, fake.instancesIn(PluginState.READY), "min_instances stays warm however long it idles");
    assertEquals(PluginState.READY.jsonName(), fake.state());
  }

  @Test
  void aPoolWithoutMinInstancesScalesToZeroAndTheNextCallStartsItCold() {
    FakePool fake = new FakePool(runner(4, 0, 2, Duration.ofSeconds(60)));
    CompletableFuture<?> call = fake.callInFlight(LONG);
    fake.launcher.last().answerAll();
    call.join();

    fake.tick(Duration.ofSeconds(60));

    fake.awaitState(PluginState.STOPPED);
    assertEquals(FakeInstance.End.STOPPED, fake.launcher.last().end());
    CompletableFuture<?> cold = fake.call(LONG);
    awaitUntil(() -> fake.launcher.started().size() == 2 && fake.launcher.last().callsWaiting() == 1);
    fake.launcher.last().answerAll();
    cold.join();
  }
}
