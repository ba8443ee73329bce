package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PluginEnvironmentTest {

  @Test
  void aNameIsPassedOnlyWhenTheOperatorListsItOrAPatternMatchesIt() {
    List<String> allowed = PluginEnvironment.allowList(" MY_APP_*, LOG_LEVEL ,,");
    assertEquals(List.of("MY_APP_*", "LOG_LEVEL"), allowed);
    assertTrue(PluginEnvironment.operatorAllows(allowed, "LOG_LEVEL"));
    assertTrue(PluginEnvironment.operatorAllows(allowed, "MY_APP_MODE"));
    assertFalse(PluginEnvironment.operatorAllows(allowed, "OTHER"));
    assertFalse(PluginEnvironment.operatorAllows(List.of(), "LOG_LEVEL"));
  }

  @Test
  void theRunnersOwnKafkasAndCredentialLikeNamesNeedTheOperatorToNameThemExactly() {
    List<String> wildcard = List.of("*");
    for (String name : List.of("JANK_HTTP_TOKENS", "KAFKA_BOOTSTRAP", "AWS_SECRET_ACCESS_KEY", "MY_API_KEY",
        "DB_PASSWORD", "GITHUB_TOKEN", "MY_APP_SECRET", "Session_Cookie")) {
      assertTrue(PluginEnvironment.isProtected(name), name);
      assertFalse(PluginEnvironment.operatorAllows(wildcard, name), name);
      assertTrue(PluginEnvironment.operatorAllows(List.of(name), name), name);
    }
    assertFalse(PluginEnvironment.isProtected("LOG_LEVEL"));
    assertTrue(PluginEnvironment.operatorAllows(wildcard, "LOG_LEVEL"));
  }
}
