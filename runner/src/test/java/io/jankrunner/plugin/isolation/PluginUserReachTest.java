package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whether a plugin user may reach a plugin, computed from the files' modes and owners: real
 * directories with real modes, and a uid from the plugin range (the tests run as root, whom no
 * mode stops, and who is never the plugin user).
 */
class PluginUserReachTest {

  private static final PluginUser USER = new PluginUser("dynamic-61234", 61_234, 61_234);

  private Path base;

  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(PluginUser.workerUid() == 0, "chown needs root");
    // mktemp -d's mode: the classic plugins dir nobody else may enter.
    base = Files.createTempDirectory("reach");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(base)));
  }

  @AfterEach
  void tearDown() throws IOException {
    if (base != null) {
      io.jankrunner.plugin.process.FileTrees.delete(base);
    }
  }

  @Test
  void aPluginsDirUnderAMktempDirIsRefusedWithTheChmodThatFixesIt() throws IOException {
    Path plugins = mode(Files.createDirectories(base.resolve("plugins")), "rwxr-xr-x");

    Optional<String> refused = USER.cannotEnter(plugins);

    assertTrue(refused.isPresent());
    assertTrue(refused.get().startsWith(base + " (not reachable by plugin user dynamic-61234, uid 61234) may not be "
        + "entered"), refused.get());
    assertTrue(refused.get().contains("mode 0700, owner 0:0"), refused.get());
    assertTrue(refused.get().contains("fix: chmod o+x " + base), refused.get());
    assertTrue(refused.get().contains("chown 61234:61234 " + base), refused.get());
  }

  @Test
  void searchPermissionForOthersIsEnoughToPass() throws IOException {
    mode(base, "rwx--x--x");
    Path plugins = mode(Files.createDirectories(base.resolve("plugins")), "rwx--x--x");

    assertEquals(Optional.empty(), USER.cannotEnter(plugins));
  }

  @Test
  void theOwnersBitsApplyToTheOwnerNotTheOthers() throws IOException {
    assertOnlyTheClassesBitsCount(USER.uid(), 0, "rwx------", "rw----rwx", "u");
  }

  @Test
  void theGroupsBitsApplyToTheGroupNotTheOthers() throws IOException {
    assertOnlyTheClassesBitsCount(0, USER.gid(), "rwx--x---", "rwx-----x", "g");
  }

  /** With {@code base} owned by uid:gid, {@code passing} lets the user in, {@code failing} does not and says {@code who}+x. */
  private void assertOnlyTheClassesBitsCount(int uid, int gid, String passing, String failing, String who)
      throws IOException {
    chown(base, uid, gid);
    mode(base, passing);
    assertEquals(Optional.empty(), USER.cannotEnter(base));

    mode(base, failing);
    Optional<String> refused = USER.cannotEnter(base);
    assertTrue(refused.orElseThrow().contains("fix: chmod " + who + "+x " + base), refused.orElseThrow());
  }

  @Test
  void aBinaryNeedsReadAndExecuteForAScriptIsReadByItsInterpreter() throws IOException {
    mode(base, "rwx--x--x");
    Path binary = Files.writeString(base.resolve("plugin.sh"), "#!/bin/sh\nexit 0\n");

    mode(binary, "rwx-----x");
    Optional<String> executeOnly = USER.cannotRun(binary);
    assertTrue(executeOnly.orElseThrow().startsWith(binary + " (not reachable by plugin user dynamic-61234, uid 61234) "
        + "may not be read and run"), executeOnly.orElseThrow());
    assertTrue(executeOnly.get().contains("fix: chmod o+rx " + binary), executeOnly.get());

    mode(binary, "rwx---r--");
    assertTrue(USER.cannotRun(binary).isPresent(), "read without execute");

    mode(binary, "rwxr-xr-x");
    assertEquals(Optional.empty(), USER.cannotRun(binary));
  }

  @Test
  void aBinaryInADirectoryTheUserCannotEnterNamesTheDirectory() throws IOException {
    mode(base, "rwx--x--x");
    Path bin = mode(Files.createDirectories(base.resolve("bin")), "rwx------");
    Path binary = mode(Files.writeString(bin.resolve("plugin"), "#!/bin/sh\n"), "rwxr-xr-x");

    Optional<String> refused = USER.cannotRun(binary);

    assertTrue(refused.orElseThrow().startsWith(bin + " (not reachable"), refused.orElseThrow());
    assertTrue(refused.get().contains("fix: chmod o+x " + bin), refused.get());
  }

  private static Path mode(Path path, String permissions) throws IOException {
    return Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
  }

  private static void chown(Path path, int uid, int gid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid);
    Files.setAttribute(path, "unix:gid", gid);
  }
}
