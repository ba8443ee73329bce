package io.jankrunner.plugin.manifest;

/**
 * The one rule for plugin ids, wherever one arrives (plugin.json, a Kafka command, a registry
 * record's key, an HTTP body or query): upstream Jank's length, 1 to {@value #MAX_LENGTH}
 * characters (its {@code RegisterPluginRequest} validates {@code min=1,max=100}), so plain ids
 * such as {@code hello-world} and reverse-domain ones such as {@code com.jank.plugins.hello-world}
 * both pass. The characters are confined to ASCII letters, digits, {@code .}, {@code _} and
 * {@code -} because an id is also a file name (the state directory, build outputs), a metric tag
 * value and a Kafka record key: no {@code /} or NUL, no whitespace or quotes to escape, no
 * look-alike Unicode. It may not start with {@code .} (a hidden file, or {@code .}/{@code ..}
 * themselves) or {@code -} (read as an option by tools given it as an argument), nor contain
 * {@code ..}.
 */
public final class PluginId {

  public static final int MAX_LENGTH = 100;

  private PluginId() {}

  /**
   * Whether {@code id} is a well-formed plugin id; false for null. Checked character by
   * character (every command's plugin id is checked), to the rule of the regular expression
   * {@code [A-Za-z0-9_][A-Za-z0-9._-]{0,99}} without {@code ..}.
   */
  public static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    char previous = 0;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean letterOrDigit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      boolean allowed = letterOrDigit || c == '_' || (i > 0 && (c == '-' || (c == '.' && previous != '.')));
      if (!allowed) {
        return false;
      }
      previous = c;
    }
    return true;
  }

  /** What a well-formed id looks like, for error messages. */
  public static String expected() {
    return "1 to " + MAX_LENGTH + " of the letters A-Z and a-z, digits, '.', '_' and '-', not starting with '.' or '-'"
        + " and without '..' (such as hello-world or com.example.plugins.hello)";
  }
}
