package io.jankrunner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokensTest {

  @TempDir Path dir;

  @Test
  void aReadOnlyTokenIsMarkedAndUnknownTokensMatchNothing() {
    ApiTokens tokens = ApiTokens.parse("writer-token, ro:reader-token");
    assertEquals(Optional.of(ApiTokens.Access.READ_WRITE), tokens.check("writer-token"));
    assertEquals(Optional.of(ApiTokens.Access.READ_ONLY), tokens.check("reader-token"));
    assertEquals(Optional.empty(), tokens.check("ro:reader-token"));
    assertEquals(Optional.empty(), tokens.check("writer"));
  }

  @Test
  void tokensComeFromTheFileAndTheVariableTogether() throws Exception {
    Path file = dir.resolve("tokens");
    Files.writeString(file, "# operators\nfrom-file\nro:also-from-file\n");
    ApiTokens tokens = ApiTokens.fromEnvironment(Map.of("JANK_HTTP_TOKENS_FILE", file.toString(),
        "JANK_HTTP_TOKENS", "from-env"));
    assertTrue(tokens.check("from-file").isPresent());
    assertTrue(tokens.check("also-from-file").isPresent());
    assertTrue(tokens.check("from-env").isPresent());
    assertFalse(tokens.toString().contains("from"), tokens.toString());
  }

  @Test
  void noVariablesMeansNoTokens() throws Exception {
    assertTrue(ApiTokens.fromEnvironment(Map.of()).isEmpty());
  }
}
