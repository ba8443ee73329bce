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
 * The bearer tokens the HTTP API accepts, from {@code JANK_HTTP_TOKENS} (comma-separated) or the
 * file named by {@code JANK_HTTP_TOKENS_FILE} (one per line or comma-separated; {@code #}
 * comments), never from the command line where {@code ps} shows them. A token written
 * {@code ro:<token>} may only read. Only digests are kept, and {@link #toString()} shows a count.
 */
public final class ApiTokens {

  public static final ApiTokens NONE = new ApiTokens(List.of());

  /** What a presented token may do. */
  public enum Access { READ_ONLY, READ_WRITE }

  private record Token(byte[] digest, Access access) {}

  private final List<Token> tokens;

  private ApiTokens(List<Token> tokens) {
    this.tokens = List.copyOf(tokens);
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
    return new ApiTokens(tokens);
  }

  /** {@code JANK_HTTP_TOKENS_FILE} and {@code JANK_HTTP_TOKENS} from {@code environment}, both if both are set. */
  public static ApiTokens fromEnvironment(Map<String, String> environment) throws IOException {
    StringBuilder text = new StringBuilder();
    String file = environment.get("JANK_HTTP_TOKENS_FILE");
    if (file != null && !file.isBlank()) {
      text.append(Files.readString(Path.of(file), StandardCharsets.UTF_8)).append('\n');
    }
    text.append(environment.getOrDefault("JANK_HTTP_TOKENS", ""));
    return parse(text.toString());
  }

  public boolean isEmpty() {
    return tokens.isEmpty();
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
    return tokens.size() + " token(s)";
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
