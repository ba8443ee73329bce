package io.jankrunner.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.manifest.PluginId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-written checks of command ids, methods, reply topics and plugin ids accept exactly
 * what the regular expressions they replaced accepted, on a corpus of valid and invalid names:
 * every string of one and two characters over ASCII and some look-alike Unicode, the length
 * bounds, and random strings.
 */
class NameChecksTest {

  private static final Pattern OLD_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern OLD_METHOD = Pattern.compile("[A-Za-z0-9._/:-]{1,128}");
  private static final Pattern OLD_TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final Pattern OLD_PLUGIN_ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,99}");

  /** Every ASCII character, and Unicode that a careless check would take for a letter, digit or dot. */
  private static final String ALPHABET = ascii() + "éßİıſKＡａ０٣\u00a0\u2024\u2010\u0000\uffff\ud83d\ude00";

  private static String ascii() {
    StringBuilder chars = new StringBuilder();
    for (char c = 0; c < 128; c++) {
      chars.append(c);
    }
    return chars.toString();
  }

  private static List<String> corpus() {
    List<String> corpus = new ArrayList<>(List.of("", ".", "..", "...", "a..b", "a.b", ".a", "-a", "_a", "a-", "a.",
        "cmd-1", "com.jank.plugins.hello-world", "my-app.replies", "runner.results", "__consumer_offsets",
        "greet", "ns/greet", "a:b", "a b", "a\nb", "a/b", "Ａ", "٣"));
    for (int i = 0; i < ALPHABET.length(); i++) {
      corpus.add(String.valueOf(ALPHABET.charAt(i)));
      for (int j = 0; j < ALPHABET.length(); j++) {
        corpus.add("" + ALPHABET.charAt(i) + ALPHABET.charAt(j));
      }
    }
    for (int length : new int[] {98, 99, 100, 101, 127, 128, 129, 248, 249, 250, 1000}) {
      corpus.add("a".repeat(length));
      corpus.add("a".repeat(length - 1) + "é");
      corpus.add("_" + "a.".repeat(length / 2));
    }
    Random random = new Random(18);
    String likely = "aZ09._:-/";
    for (int n = 0; n < 20_000; n++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(6) == 0 ? random.nextInt(260) : random.nextInt(12);
      for (int k = 0; k < length; k++) {
        text.append(random.nextInt(20) == 0 ? ALPHABET.charAt(random.nextInt(ALPHABET.length()))
            : likely.charAt(random.nextInt(likely.length())));
      }
      corpus.add(text.toString());
    }
    return corpus;
  }

  private static void assertSameAs(Predicate<String> old, Predicate<String> check, String what) {
    int accepted = 0;
    for (String text : corpus()) {
      assertEquals(old.test(text), check.test(text), () -> what + " of '" + text.replace("\n", "\\n") + "' ("
          + text.length() + " chars)");
      accepted += old.test(text) ? 1 : 0;
    }
    assertTrue(accepted > 1000, what + ": the corpus has valid names as well as invalid ones");
  }

  @Test
  void commandIdsAreCheckedAsTheirRegexDid() {
    assertSameAs(text -> OLD_ID.matcher(text).matches(), CommandParser::isCommandId, "command id");
  }

  @Test
  void methodsAreCheckedAsTheirRegexDid() {
    assertSameAs(text -> OLD_METHOD.matcher(text).matches(), CommandParser::isMethod, "method");
  }

  @Test
  void replyTopicsAreCheckedAsTheirRegexDid() {
    assertSameAs(text -> OLD_TOPIC.matcher(text).matches() && !text.equals(".") && !text.equals(".."),
        CommandParser::isTopicName, "reply topic");
  }

  @Test
  void pluginIdsAreCheckedAsTheirRegexDid() {
    assertSameAs(text -> OLD_PLUGIN_ID.matcher(text).matches() && !text.contains(".."), PluginId::isValid,
        "plugin id");
    assertFalse(PluginId.isValid(null));
  }
}
