package io.jankrunner.plugin.pool;

import static io.jankrunner.plugin.pool.FakePool.runner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.ErrorCode;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A start that will fail the same way every time (the binary cannot be executed) is reported at
 * once: the pool is quarantined with its reason at the first failure, no backoff and no second
 * start first, and calls get that reason at once. On a fake clock and fake instances.
 */
@Timeout(60)
class PoolCannotStartTest {

  private static final Duration LONG = Duration.ofMinutes(10);
  private static final String EXEC_FORMAT = "could not launch /plugins/fake/bin/plugin: error=8, Exec format error";

  @Test
  void theFirstStartThatCannotExecuteQuarantinesAtOnceWithItsReason() {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    fake.launcher.failNextStartPermanently(EXEC_FORMAT);

    Throwable failed = fake.failureOf(fake.call(LONG));

    PluginStartException start = assertInstanceOf(PluginStartException.class, failed);
    assertTrue(start.permanent(), "the caller learns it will not get better by retrying");
    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, start.code());
    assertTrue(failed.getMessage().contains("Exec format error"), failed.getMessage());
    fake.awaitState(PluginState.QUARANTINED);
    assertEquals(EXEC_FORMAT, fake.info().reason().orElseThrow());
    assertTrue(fake.published().contains(PluginState.QUARANTINED));
    assertTrue(!fake.published().contains(PluginState.BACKOFF), "no backoff: " + fake.published());
    assertEquals(1, fake.launcher.attempts());
  }

  @Test
  void callsWhileQuarantinedGetTheReasonAtOnceAndStartNothing() {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    fake.launcher.failNextStartPermanently(EXEC_FORMAT);
    fake.failureOf(fake.call(LONG));
    fake.awaitState(PluginState.QUARANTINED);

    Throwable refused = fake.failureOf(fake.call(LONG));
    fake.tick(Duration.ofSeconds(29));

    PluginStartException start = assertInstanceOf(PluginStartException.class, refused);
    assertTrue(start.permanent());
    assertTrue(refused.getMessage().contains("cannot be started (not retried; quarantined until"), refused.getMessage());
    assertTrue(refused.getMessage().contains("Exec format error; its binary cannot be executed"), refused.getMessage());
    assertTrue(refused.getMessage().endsWith("then register the plugin again"), refused.getMessage());
    assertEquals(1, fake.launcher.attempts(), "nothing starts while quarantined");
    assertEquals(List.of(), fake.info().instances());
  }

  @Test
  void theQuarantinesEndProbesOnceSoAFixedBinaryIsFoundWithoutAReRegister() {
    FakePool fake = new FakePool(runner(4, 1, 1, Duration.ZERO));
    fake.launcher.failNextStartPermanently(EXEC_FORMAT);
    fake.pool().warmUp(1, "min_instances 1");
    fake.awaitState(PluginState.QUARANTINED);

    fake.clock.advance(Duration.ofSeconds(31)); // the policy's 30 s quarantine is over: one probe

    fake.awaitState(PluginState.READY);
    assertEquals(2, fake.launcher.attempts());
  }

  @Test
  void aStartThatMayGoBetterStillBacksOffFirst() {
    FakePool fake = new FakePool(runner(4, 0, 1, Duration.ZERO));
    fake.launcher.failNextStart("no handshake within start_timeout 10000 ms");

    fake.failureOf(fake.call(LONG));

    assertEquals(PluginState.ERROR.jsonName(), fake.state());
    assertTrue(!fake.published().contains(PluginState.QUARANTINED));
  }
}
