package io.jankrunner.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may call the HTTP API. Static bearer tokens from {@code JANK_HTTP_TOKENS} (comma-separated)
 * or the file named by {@code JANK_HTTP_TOKENS_FILE} (one per line or comma-separated; {@code #}
 * comments), never from the command line where {@code ps} shows them; a token written
 * {@code ro:<token>} may only read. Jank's own login JWTs when {@code JANK_HTTP_JWT_SECRET} (or
 * the file named by {@code JANK_HTTP_JWT_SECRET_FILE}) holds the HS256 secret of Jank's
 * {@code JWT.SECRET}. The browser origins allowed to call cross-origin from
 * {@code JANK_HTTP_CORS_ORIGINS} (comma-separated, {@code *} for any; none by default). Only
 * digests of static tokens are kept, and {@link #toString()} shows counts, never a secret.
 */
public final class ApiTokens {

  public static final ApiTokens NONE = new ApiTokens(List.of(), Optional.empty(), List.of());

  /** What a presented token may do. */
  public enum Access { READ_ONLY, READ_WRITE }

  private record Token(byte[] digest, Access access) {}

  private final List<Token> tokens;
  private final Optional<byte[]> jwtSecret;
  private final List<String> corsOrigins;

  private ApiTokens(List<Token> tokens, Optional<byte[]> jwtSecret, List<String> corsOrigins) {
    this.tokens = List.copyOf(tokens);
    this.jwtSecret = jwtSecret.map(byte[]::clone);
    this.corsOrigins = List.copyOf(corsOrigins);
  }

  /** Parses {@code token,ro:token,…}; blanks are skipped. */
  public static ApiTokens parse(String text) {
    List<Token> tokens = new ArrayList<>();
    for (String line : text.split("[,\\n]")) {
      String token = line.strip();
      if (token.isEmpty() || token.startsWith("#")) {
        continue;
      }
      boolean readOnly = token.startsWith("ro:");
      String secret = readOnly ? token.substring(3) : token;
      if (!secret.isEmpty()) {
        tokens.add(new Token(digest(secret), readOnly ? Access.READ_ONLY : Access.READ_WRITE));
      }
    }
    return new ApiTokens(tokens, Optional.empty(), List.of());
  }

  /** These tokens, and Jank's JWTs signed (HS256) with {@code secret}. */
  public ApiTokens withJwtSecret(String secret) {
    if (secret.isEmpty()) {
      throw new IllegalArgumentException("the JWT secret is empty");
    }
    return new ApiTokens(tokens, Optional.of(secret.getBytes(StandardCharsets.UTF_8)), corsOrigins);
  }

  /** These tokens, with browser calls allowed from {@code origins} ({@code *}: any origin). */
  public ApiTokens withCorsOrigins(List<String> origins) {
    List<String> cleaned = origins.stream().map(String::strip).filter(origin -> !origin.isEmpty()).toList();
    return new ApiTokens(tokens, jwtSecret, cleaned);
  }

  /** {@code JANK_HTTP_TOKENS_FILE} and {@code JANK_HTTP_TOKENS} from {@code environment}, both if both are set. */
  public static ApiTokens fromEnvironment(Map<String, String> environment) throws IOException {
    StringBuilder text = new StringBuilder();
    String file = environment.get("JANK_HTTP_TOKENS_FILE");
    if (file != null && !file.isBlank()) {
      text.append(Files.readString(Path.of(file), StandardCharsets.UTF_8)).append('\n');
    }
    text.append(environment.getOrDefault("JANK_HTTP_TOKENS", ""));
    ApiTokens parsed = parse(text.toString());
    String secretFile = environment.get("JANK_HTTP_JWT_SECRET_FILE");
    String secret = secretFile != null && !secretFile.isBlank()
        ? Files.readString(Path.of(secretFile), StandardCharsets.UTF_8).strip()
        : environment.getOrDefault("JANK_HTTP_JWT_SECRET", "");
    if (!secret.isEmpty()) {
      parsed = parsed.withJwtSecret(secret);
    }
    return parsed.withCorsOrigins(List.of(environment.getOrDefault("JANK_HTTP_CORS_ORIGINS", "").split(",")));
  }

  /** No static token and no JWT secret: nothing to check a caller against. */
  public boolean isEmpty() {
    return tokens.isEmpty() && jwtSecret.isEmpty();
  }

  /** The HS256 secret Jank signs its JWTs with, when the operator gave it (a copy). */
  public Optional<byte[]> jwtSecret() {
    return jwtSecret.map(byte[]::clone);
  }

  /** The origins browsers may call from; empty: no cross-origin calls. */
  public List<String> corsOrigins() {
    return corsOrigins;
  }

  /**
   * What {@code presented} may do, if it is one of ours. Every token is compared, in constant
   * time on equal-length digests, so timing tells nothing about which tokens exist.
   */
  public Optional<Access> check(String presented) {
    byte[] candidate = digest(presented);
    Access match = null;
    for (Token token : tokens) {
      if (MessageDigest.isEqual(token.digest(), candidate) && match == null) {
        match = token.access();
      }
    }
    return Optional.ofNullable(match);
  }

  @Override
  public String toString() {
    return tokens.size() + " token(s)" + (jwtSecret.isPresent() ? ", Jank JWTs" : "")
        + (corsOrigins.isEmpty() ? "" : ", CORS origins " + corsOrigins);
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
