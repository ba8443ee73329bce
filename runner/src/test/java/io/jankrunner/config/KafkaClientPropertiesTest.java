package io.jankrunner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientPropertiesTest {

  @TempDir Path dir;

  @Test
  void userValuesOverrideTheRunnersDefaultsAndAddTheirOwn() throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_SSL\nlinger.ms=5\n# a comment\n");
    Map<String, Object> merged = KafkaClientProperties.load(file)
        .applyTo(Map.of("bootstrap.servers", "b:9092", "linger.ms", 1, "acks", "all"));
    assertEquals("SASL_SSL", merged.get("security.protocol"));
    assertEquals("5", merged.get("linger.ms"));
    assertEquals("all", merged.get("acks"));
    assertEquals("b:9092", merged.get("bootstrap.servers"));
  }

  @Test
  void aConflictingAcksIsRefusedNamingTheProperty() {
    var error = assertThrows(IllegalArgumentException.class,
        () -> KafkaClientProperties.of(Map.of("acks", "1")).applyTo(Map.of("acks", "all")));
    assertTrue(error.getMessage().contains("acks=1"), error.getMessage());
    assertTrue(error.getMessage().contains("acks=all"), error.getMessage());
  }

  @Test
  void theSameValueForAPinnedPropertyIsAccepted() {
    Map<String, Object> merged = KafkaClientProperties.of(Map.of("acks", "-1", "enable.idempotence", "TRUE"))
        .applyTo(Map.of("acks", "all", "enable.idempotence", true));
    assertEquals("-1", merged.get("acks"));
  }

  @Test
  void everySettingCorrectnessRestsOnIsPinned() {
    Map<String, Object> defaults = Map.of("enable.idempotence", true, "enable.auto.commit", false,
        "transactional.id", "runner.worker.w1.0", "share.acknowledgement.mode", "explicit",
        "isolation.level", "read_committed");
    Map<String, String> overrides = Map.of("enable.idempotence", "false", "enable.auto.commit", "true",
        "transactional.id", "mine", "share.acknowledgement.mode", "implicit", "isolation.level", "read_uncommitted");
    overrides.forEach((name, value) -> assertThrows(IllegalArgumentException.class,
        () -> KafkaClientProperties.of(Map.of(name, value)).applyTo(defaults), name));
  }

  @Test
  void readUncommittedMayBeRaisedToReadCommittedOutsideExactlyOnce() {
    Map<String, Object> merged = KafkaClientProperties.of(Map.of("isolation.level", "read_committed"))
        .applyTo(Map.of("isolation.level", "read_uncommitted"));
    assertEquals("read_committed", merged.get("isolation.level"));
  }

  @Test
  void secretsNeverAppearInItsDescription() {
    String description = KafkaClientProperties.of(Map.of(
        "sasl.jaas.config", "ScramLoginModule required username=\"u\" password=\"hunter2\";",
        "ssl.truststore.password", "hunter3", "ssl.key.password", "hunter4", "security.protocol", "SASL_SSL"))
        .toString();
    assertFalse(description.contains("hunter"), description);
    assertTrue(description.contains("security.protocol=SASL_SSL"), description);
    assertTrue(description.contains("sasl.jaas.config=[hidden]"), description);
  }
}
