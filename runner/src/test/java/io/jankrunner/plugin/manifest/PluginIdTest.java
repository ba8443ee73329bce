package io.jankrunner.plugin.manifest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PluginIdTest {

  @ParameterizedTest
  @ValueSource(strings = {"hello-world", "com.jank.plugins.hello-world", "a", "7", "_x", "hello_world", "Hello.World-2",
      "a.b", "x-", "trailing."})
  void upstreamJanksIdsAndReverseDomainOnesAreValid(String id) {
    assertTrue(PluginId.isValid(id), id);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", ".hidden", "-rf", "a..b", "../etc", "a/b", "a\\b", "a b", "a\tb", "a:b",
      "a\"b", "a\u0000b", "h\u00e9llo", "hello\u2011world", "a\nb", "a*"})
  void emptyPathLikeHiddenOptionLikeAndNonAsciiIdsAreInvalid(String id) {
    assertFalse(PluginId.isValid(id), id);
  }

  @Test
  void nullIsInvalid() {
    assertFalse(PluginId.isValid(null));
  }

  @Test
  void aHundredCharactersAreValidAndAHundredAndOneAreNot() {
    assertTrue(PluginId.isValid("p".repeat(100)));
    assertFalse(PluginId.isValid("p".repeat(101)));
    assertTrue(PluginId.isValid("com." + "x".repeat(96)));
    assertFalse(PluginId.isValid("com." + "x".repeat(97)));
  }
}
