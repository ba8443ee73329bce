package io.jankrunner.plugin.manifest;

import java.util.regex.Pattern;

/**
 * The one rule for plugin ids, wherever one arrives (plugin.json, a command, a registry record):
 * a reverse-domain name of dot-separated labels, at least two, each of letters, digits, '-' and
 * '_', the first starting with a letter; at most {@value #MAX_LENGTH} characters. No path
 * characters, so an id is also safe as a file name.
 */
public final class PluginId {

  public static final int MAX_LENGTH = 128;
  private static final Pattern PATTERN = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*(\\.[A-Za-z0-9][A-Za-z0-9_-]*)+");

  private PluginId() {}

  /** Whether {@code id} is a well-formed plugin id; false for null. */
  public static boolean isValid(String id) {
    return id != null && id.length() <= MAX_LENGTH && PATTERN.matcher(id).matches();
  }

  /** What a well-formed id looks like, for error messages. */
  public static String expected() {
    return "a reverse-domain name such as com.example.plugins.hello (letters, digits, '-', '_', dots; at most "
        + MAX_LENGTH + " characters)";
  }
}
