package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The operator's plugin uid range, the table that hands plugins a uid each, and which plugin users are refused. */
class UidRangeTest {

  @Test
  void aRangeIsParsedFromFirstDashLast() {
    UidRange range = UidRange.parse(" 61000-61999 ");

    assertEquals(new UidRange(61000, 61999), range);
    assertEquals(1000, range.size());
    assertTrue(range.contains(61000) && range.contains(61999));
    assertFalse(range.contains(60999) || range.contains(62000));
    assertEquals("61000-61999", range.toString());
  }

  @Test
  void aMalformedRangeIsRefusedWithTheExpectedShape() {
    for (String text : List.of("", "61000", "61000-", "-61999", "a-b", "61000-61999-62000", "61000:61999")) {
      IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> UidRange.parse(text), text);
      assertTrue(error.getMessage().contains("FIRST-LAST"), error.getMessage());
    }
  }

  @Test
  void aRangeWithRootOrBackwardsOrPastTheLargestUidIsRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> UidRange.parse("0-100")).getMessage()
        .contains("uid 0 (root)"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> UidRange.parse("62000-61000")).getMessage()
        .contains("ends before it starts"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> UidRange.parse("65000-66000")).getMessage()
        .contains("65535"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> UidRange.parse("1-9999999999")).getMessage()
        .contains("largest uid"));
  }

  @Test
  void everyPluginGetsADifferentUidFromTheRangeAndKeepsIt() {
    PluginUids uids = new PluginUids(new UidRange(70000, 70009), Set.of());
    Set<Integer> handedOut = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      PluginUser user = uids.forPlugin("plugin." + i);
      assertTrue(uids.range().contains(user.uid()), user.toString());
      assertEquals(user.uid(), user.gid());
      assertTrue(handedOut.add(user.uid()), "two plugins share uid " + user.uid());
    }
    assertEquals(uids.forPlugin("plugin.3"), uids.forPlugin("plugin.3"));
  }

  @Test
  void aPluginGetsTheSameUidFromAFreshTableWhenNothingCollides() {
    PluginUser first = new PluginUids(UidRange.DEFAULT, Set.of()).forPlugin("acme.greeter");
    PluginUser again = new PluginUids(UidRange.DEFAULT, Set.of()).forPlugin("acme.greeter");

    assertEquals(first, again);
  }

  @Test
  void uidsTheSystemUsesAreNeverHandedOut() {
    PluginUids uids = new PluginUids(new UidRange(70000, 70002), Set.of(70000, 70002));

    assertEquals(70001, uids.forPlugin("a").uid());
    IllegalStateException full = assertThrows(IllegalStateException.class, () -> uids.forPlugin("b"));
    assertTrue(full.getMessage().contains("no free uid left for plugin b"), full.getMessage());
    assertTrue(full.getMessage().contains("--plugin-uids"), full.getMessage());
    assertEquals(70001, uids.forPlugin("a").uid(), "the plugin that has one keeps it");
  }

  @Test
  void rootAsThePluginUserIsRefused() {
    for (String setting : List.of("root", "0:0", "1000:0", "0:1000")) {
      IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
          () -> PluginUsers.resolve(setting, Optional.empty(), 0), setting);
      assertTrue(error.getMessage().contains("is root or in root's group"), error.getMessage());
    }
  }

  @Test
  void theWorkersOwnUidAsThePluginUserIsRefused() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> PluginUser.shared("4321:4321", 4321));

    assertTrue(error.getMessage().contains("is the worker's own user"), error.getMessage());
  }

  @Test
  void aNamedPluginUserIsOneUserAllPluginsShare() {
    PluginUsers users = PluginUsers.resolve("nobody", Optional.empty(), 0);

    assertEquals(users.forPlugin("a"), users.forPlugin("b"));
    assertEquals(Optional.of(PluginUser.NOBODY), users.forPlugin("a"));
    assertTrue(users.description().contains("all sharing that user"), users.description());
  }

  @Test
  void autoOnARootWorkerGivesEachPluginAUidOfItsOwn() {
    PluginUsers users = PluginUsers.resolve("auto", Optional.of(new UidRange(70100, 70199)), 0);

    int a = users.forPlugin("test.a").orElseThrow().uid();
    int b = users.forPlugin("test.b").orElseThrow().uid();
    assertTrue(a != b && a >= 70100 && b <= 70199, a + " " + b);
  }

  @Test
  void aWorkerThatIsNotRootRefusesToPromiseASwitchItCannotMake() {
    IllegalArgumentException named = assertThrows(IllegalArgumentException.class,
        () -> PluginUsers.resolve("nobody", Optional.empty(), 1000));
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> PluginUsers.resolve("auto", Optional.of(UidRange.DEFAULT), 1000));

    assertTrue(named.getMessage().contains("not root"), named.getMessage());
    assertTrue(range.getMessage().contains("not root"), range.getMessage());
    assertEquals(Optional.empty(), PluginUsers.resolve("auto", Optional.empty(), 1000).forPlugin("a"));
  }

  @Test
  void aUidRangeWithANamedPluginUserIsRefusedAsContradictory() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> PluginUsers.resolve("nobody", Optional.of(UidRange.DEFAULT), 0));

    assertTrue(error.getMessage().contains("plugin user auto only"), error.getMessage());
  }

  @Test
  void theSeparationSettingsComeFromTheEnvironment() {
    PluginSeparation separation = PluginSeparation.fromEnvironment(java.util.Map.of(PluginSeparation.UIDS_ENV,
        "62000-62099", PluginSeparation.NETWORK_HOST_ENV, "true", PluginSeparation.REQUIRE_NETNS_ENV, "true"));

    assertEquals(new PluginSeparation(Optional.of(new UidRange(62000, 62099)), true, true), separation);
    assertEquals(PluginSeparation.DEFAULT, PluginSeparation.fromEnvironment(java.util.Map.of()));
  }
}
