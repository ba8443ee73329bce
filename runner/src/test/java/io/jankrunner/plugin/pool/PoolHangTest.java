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
import io.jankrunner.plugin.api.PluginStateListener.Change;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A call that passes its deadline gets its instance asked {@code HealthCheck}: an instance that
 * answers is only slow and keeps serving, one that does not is hung, killed and replaced.
 */
@Timeout(120)
class PoolHangTest {

  private static final Duration CALL = Duration.ofSeconds(1);

  @Test
  void anInstanceWhoseCallTimedOutTakesNoNewCallUntilItAnswersAHealthCheckThenServesAgain() {
    FakePool fake = new FakePool(runner(1, 0, 2, Duration.ZERO));
    CompletableFuture<?> slow = fake.callInFlight(CALL);
    FakeInstance first = fake.launcher.last();
    first.holdHealthChecks();

    first.timeOutAll();
    assertEquals(ErrorCode.TIMEOUT, assertInstanceOf(PluginCallException.class, fake.failureOf(slow)).code());
    awaitUntil(() -> first.healthChecks() == 1);
    CompletableFuture<?> meanwhile = fake.call(CALL);

    awaitUntil(() -> fake.launcher.started().size() == 2 && fake.launcher.last().callsWaiting() == 1);
    assertEquals(0, first.callsWaiting(), "the suspect instance took no new call");
    first.answerHealthChecks();
    CompletableFuture<?> after = fake.call(CALL);
    awaitUntil(() -> first.callsWaiting() == 1);
    assertEquals(FakeInstance.End.NONE, first.end(), "slow, not hung: left alone");
    first.answerAll();
    fake.launcher.last().answerAll();
    after.join();
    meanwhile.join();
  }

  @Test
  void anInstanceThatDoesNotAnswerAHealthCheckAfterATimedOutCallIsKilledAndReplaced() {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    CompletableFuture<?> stuck = fake.callInFlight(CALL);
    FakeInstance hung = fake.launcher.last();
    hung.hang();

    hung.timeOutAll();
    fake.failureOf(stuck);

    awaitUntil(() -> hung.end() == FakeInstance.End.KILLED);
    awaitUntil(() -> fake.launcher.started().size() == 2);
    fake.awaitState(PluginState.READY);
    assertTrue(fake.listener.instanceChangesOf(FakePool.ID).stream()
        .anyMatch(change -> isFirst(change) && change.state() == PluginState.HUNG), "#1 was hung");
    awaitUntil(() -> fake.listener.instanceChangesOf(FakePool.ID).stream().anyMatch(change -> isFirst(change)
        && change.state() == PluginState.STOPPED
        && change.reason().orElse("").equals("killed: it did not answer a HealthCheck")));
    assertFalse(fake.published().contains(PluginState.BACKOFF), "a hung instance is not a crash: no backoff");

    CompletableFuture<?> next = fake.call(CALL);
    FakeInstance replacement = fake.launcher.last();
    awaitUntil(() -> replacement.callsWaiting() == 1);
    replacement.answerAll();
    next.join();
  }

  private static boolean isFirst(Change change) {
    return change.instanceId().orElseThrow().equals(FakePool.ID + "#1");
  }
}
