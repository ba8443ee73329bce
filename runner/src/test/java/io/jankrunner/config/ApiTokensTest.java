package io.jankrunner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
  void noVariablesMeansNoTokensNoJwtAndNoOrigins() throws Exception {
    ApiTokens none = ApiTokens.fromEnvironment(Map.of());
    assertTrue(none.isEmpty());
    assertTrue(none.jwtSecret().isEmpty());
    assertTrue(none.corsOrigins().isEmpty());
  }

  @Test
  void aJwtSecretAloneMeansCallersAreChecked() throws Exception {
    Path file = dir.resolve("jwt-secret");
    Files.writeString(file, "jank-jwt-secret-key\n");
    ApiTokens fromFile = ApiTokens.fromEnvironment(Map.of("JANK_HTTP_JWT_SECRET_FILE", file.toString()));
    assertFalse(fromFile.isEmpty());
    assertEquals("jank-jwt-secret-key", new String(fromFile.jwtSecret().orElseThrow(), StandardCharsets.UTF_8));
    ApiTokens fromVariable = ApiTokens.fromEnvironment(Map.of("JANK_HTTP_JWT_SECRET", "s3cret",
        "JANK_HTTP_CORS_ORIGINS", "https://console.example, http://localhost:5173 ,"));
    assertEquals(List.of("https://console.example", "http://localhost:5173"), fromVariable.corsOrigins());
    assertFalse(fromVariable.toString().contains("s3cret"), fromVariable.toString());
  }
}
