package io.jankrunner.plugin.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Settings the call guards (resilience4j) are built from are refused by the parser, with the
 * field and what to write, rather than accepted and then failing every call with INTERNAL.
 */
class ManifestGuardSettingsTest {

  private static PluginManifest parse(String runner) throws ManifestParser.InvalidManifestException {
    return ManifestParser.parse(("{\"id\": \"test.guards\", \"binary\": \"./bin/plugin\", \"runner\": " + runner + "}")
        .getBytes(StandardCharsets.UTF_8));
  }

  private static String refusal(String runner) {
    return assertThrows(ManifestParser.InvalidManifestException.class, () -> parse(runner)).getMessage();
  }

  @Test
  void aZeroBackoffIsRefusedWithTheFieldAndTheFix() {
    String reason = refusal("{\"retry\": {\"max_attempts\": 1, \"backoff_ms\": 0}}");

    assertTrue(reason.startsWith("field 'runner.retry.backoff_ms' is 0, expected 1..60000"), reason);
    assertTrue(reason.contains("for no retry set max_attempts 1"), reason);
  }

  @Test
  void zeroAttemptsAreRefusedWithTheFieldAndWhatOneMeans() {
    String reason = refusal("{\"retry\": {\"max_attempts\": 0}}");

    assertTrue(reason.startsWith("field 'runner.retry.max_attempts' is 0, expected 1..20"), reason);
    assertTrue(reason.contains("1 for no retry"), reason);
  }

  @Test
  void moreAttemptsThanTheLimitAreRefused() {
    assertTrue(refusal("{\"retry\": {\"max_attempts\": 21}}").startsWith("field 'runner.retry.max_attempts' is 21"));
  }

  @Test
  void aBackoffAboveAMinuteIsRefused() {
    assertTrue(refusal("{\"retry\": {\"backoff_ms\": 60001}}").startsWith("field 'runner.retry.backoff_ms' is 60001"));
  }

  @Test
  void aBulkheadOfNoCallsIsRefused() {
    // resilience4j would take 0 and then answer every call OVERLOADED.
    assertTrue(refusal("{\"max_concurrency\": 0}").startsWith("field 'runner.max_concurrency' is 0, expected 1..10000"));
    assertTrue(refusal("{\"max_instances\": 0}").startsWith("field 'runner.max_instances' is 0, expected 1..64"));
  }

  @Test
  void aZeroTimeoutIsRefused() {
    assertTrue(refusal("{\"timeout_ms\": 0}").startsWith("field 'runner.timeout_ms' is 0"));
  }

  @Test
  void theSmallestAcceptedRetryIsOneAttemptAfterOneMillisecond() throws Exception {
    PluginManifest manifest = parse("{\"retry\": {\"max_attempts\": 1, \"backoff_ms\": 1}}");

    assertEquals(1, manifest.runner().retry().maxAttempts());
    assertEquals(Duration.ofMillis(1), manifest.runner().retry().backoff());
  }
}
