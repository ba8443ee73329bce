package io.jankrunner.plugin.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.plugin.manifest.PluginDiscovery;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings.Lifecycle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crash backoff and quarantine, on a clock the test moves: no processes, no sleeping. */
class RestartPolicyTest {

  private final FakeClock clock = new FakeClock();

  private CrashHistory history(RestartPolicy policy, double jitter) {
    return new CrashHistory(policy, clock, () -> jitter);
  }

  @Test
  void theBackoffDoublesFromItsStartUpToItsCap() {
    CrashHistory crashes = history(new RestartPolicy(10, Duration.ofMinutes(1), Duration.ofSeconds(30),
        Duration.ofMillis(100), Duration.ofSeconds(1)), 1.0);

    List<Long> backoffs = IntStream.range(0, 6).mapToObj(i -> crashes.crashed().backoff().toMillis()).toList();

    assertEquals(List.of(100L, 200L, 400L, 800L, 1000L, 1000L), backoffs);
  }

  @Test
  void jitterTakesAtMostHalfOfTheBackoffAway() {
    RestartPolicy policy = RestartPolicy.DEFAULT;
    assertEquals(50, history(policy, 0.0).crashed().backoff().toMillis());
    assertEquals(75, history(policy, 0.5).crashed().backoff().toMillis());
  }

  @Test
  void moreCrashesThanTheLimitWithinTheWindowQuarantineUntilTheQuarantineHasPassed() {
    CrashHistory crashes = history(new RestartPolicy(3, Duration.ofMinutes(1), Duration.ofSeconds(30),
        Duration.ofMillis(100), Duration.ofSeconds(10)), 1.0);
    for (int i = 0; i < 3; i++) {
      assertFalse(crashes.crashed().quarantined(), "crash " + (i + 1) + " is within the limit");
      clock.advance(Duration.ofSeconds(1));
    }

    CrashHistory.Verdict fourth = crashes.crashed();

    assertTrue(fourth.quarantined());
    assertEquals(clock.instant().plusSeconds(30), fourth.quarantinedUntil().orElseThrow());
    assertTrue(crashes.quarantined());
    clock.advance(Duration.ofSeconds(29));
    assertTrue(crashes.quarantined());
    clock.advance(Duration.ofSeconds(1));
    assertFalse(crashes.quarantined(), "the quarantine has passed: a probe may start");
    assertTrue(crashes.crashed().quarantined(), "the probe crashing too quarantines again");
  }

  @Test
  void crashesOutsideTheWindowAreForgotten() {
    CrashHistory crashes = history(new RestartPolicy(3, Duration.ofMinutes(1), Duration.ofSeconds(30),
        Duration.ofMillis(100), Duration.ofSeconds(10)), 1.0);
    for (int i = 0; i < 3; i++) {
      crashes.crashed();
    }
    clock.advance(Duration.ofSeconds(61));

    CrashHistory.Verdict next = crashes.crashed();

    assertFalse(next.quarantined());
    assertEquals(1, next.crashesInWindow());
    assertEquals(Duration.ofMillis(100), next.backoff(), "the backoff starts over too");
  }

  @Test
  void aManifestOverridesOnlyTheSettingsItGives(@TempDir Path plugins) throws Exception {
    TestPlugins.scriptPlugin(plugins, "crashy", "com.example.crashy", "exit 1",
        "\"runner\": {\"crash_limit\": 2, \"quarantine_ms\": 5000, \"backoff_max_ms\": 400}");
    PluginManifest manifest = new PluginDiscovery(plugins).scan().getFirst().manifest().orElseThrow();

    RestartPolicy policy = RestartPolicy.DEFAULT.overriddenBy(manifest.runner().lifecycle());

    assertEquals(new RestartPolicy(2, Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofMillis(100),
        Duration.ofMillis(400)), policy);
    assertEquals(RestartPolicy.DEFAULT, RestartPolicy.DEFAULT.overriddenBy(Lifecycle.DEFAULT));
    assertEquals(new RestartPolicy(5, Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(20),
            Duration.ofSeconds(20)),
        RestartPolicy.DEFAULT.overriddenBy(new Lifecycle(OptionalInt.empty(), Optional.empty(), Optional.empty(),
            Optional.of(Duration.ofSeconds(20)), Optional.empty())),
        "a backoff start above the worker's cap lifts the cap");
  }
}
