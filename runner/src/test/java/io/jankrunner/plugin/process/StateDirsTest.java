package io.jankrunner.plugin.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state dir's checks: what the worker creates, and every pre-made directory it refuses. */
class StateDirsTest {

  private static final int NOBODY = 65534;

  @TempDir Path base;

  @Test
  void aFreshStateDirIsCreatedPassThroughWithAPrivateJournalAndBuildsDir() throws Exception {
    StateDirs dirs = StateDirs.open(base.resolve("state"));

    assertEquals("rwx--x--x", mode(dirs.root()));
    assertEquals("rwx------", mode(dirs.journal()));
    assertEquals("rwx------", mode(dirs.builds()));
    assertEquals("rwx--x--x", mode(dirs.instances()));
    assertEquals(dirs.root().resolve("tmp"), dirs.instances());
  }

  @Test
  void anExistingStateDirOfTheWorkersIsKeptAndGivenItsMode() throws Exception {
    Path state = Files.createDirectory(base.resolve("state"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.writeString(state.resolve("kept"), "x");

    StateDirs dirs = StateDirs.open(state);

    assertEquals("rwx--x--x", mode(dirs.root()));
    assertTrue(Files.exists(state.resolve("kept")));
  }

  @Test
  void aStateDirThatIsASymbolicLinkIsRefusedNamingThePathAndTheFix() throws Exception {
    Path target = Files.createDirectory(base.resolve("elsewhere"));
    Path state = Files.createSymbolicLink(base.resolve("state"), target);

    UnsafePathException refused = assertThrows(UnsafePathException.class, () -> StateDirs.open(state));

    assertTrue(refused.getMessage().contains(state + ": it is a symbolic link (to " + target + ")"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("--state-dir"), refused.getMessage());
  }

  @Test
  void aStateDirOwnedByAnotherUserIsRefused() throws Exception {
    assumeTrue(StateDirs.workerUid() == 0, "only root can hand a directory to another user");
    Path state = Files.createDirectory(base.resolve("state"));
    Files.setAttribute(state, "unix:uid", NOBODY);

    UnsafePathException refused = assertThrows(UnsafePathException.class, () -> StateDirs.open(state));

    assertTrue(refused.getMessage().contains("is owned by uid " + NOBODY + ", not by the worker's uid 0"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("rm -r " + state), refused.getMessage());
  }

  @Test
  void aStateDirWritableByOthersIsRefused() throws Exception {
    Path state = Files.createDirectory(base.resolve("state"));
    Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));

    UnsafePathException refused = assertThrows(UnsafePathException.class, () -> StateDirs.open(state));

    assertTrue(refused.getMessage().contains("is writable by group or others (mode 0777)"), refused.getMessage());
  }

  @Test
  void aJournalDirThatIsASymbolicLinkIsRefused() throws Exception {
    Path state = Files.createDirectory(base.resolve("state"));
    Path forged = Files.createDirectory(base.resolve("forged"));
    Files.createSymbolicLink(state.resolve("journal"), forged);

    UnsafePathException refused = assertThrows(UnsafePathException.class, () -> StateDirs.open(state));

    assertTrue(refused.getMessage().contains(state.resolve("journal") + ": it is a symbolic link"),
        refused.getMessage());
  }

  @Test
  void aFileWhereTheStateDirShouldBeIsRefused() throws Exception {
    Path state = Files.writeString(base.resolve("state"), "not a directory");

    UnsafePathException refused = assertThrows(UnsafePathException.class, () -> StateDirs.open(state));

    assertTrue(refused.getMessage().contains("it is not a directory"), refused.getMessage());
  }

  @Test
  void aParentOthersMayWriteWithoutTheStickyBitIsRefused() throws Exception {
    Path open = Files.createDirectory(base.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

    UnsafePathException refused = assertThrows(UnsafePathException.class, () -> StateDirs.open(open.resolve("state")));

    assertTrue(refused.getMessage().contains("its parent " + open.toRealPath()
        + " is writable by group or others without the sticky bit"), refused.getMessage());
  }

  @Test
  void aParentOwnedByAnotherUserIsRefused() throws Exception {
    assumeTrue(StateDirs.workerUid() == 0, "only root can hand a directory to another user");
    Path theirs = Files.createDirectory(base.resolve("theirs"));
    Files.setAttribute(theirs, "unix:uid", NOBODY);

    UnsafePathException refused = assertThrows(UnsafePathException.class,
        () -> StateDirs.open(theirs.resolve("state")));

    assertTrue(refused.getMessage().contains("its parent " + theirs.toRealPath() + " is owned by uid " + NOBODY),
        refused.getMessage());
  }

  @Test
  void aStickyParentOthersMayWriteIsAcceptedAsTmpIs() throws Exception {
    Path sticky = Files.createDirectory(base.resolve("sticky"));
    Files.setAttribute(sticky, "unix:mode", 01777);

    StateDirs dirs = StateDirs.open(sticky.resolve("state"));

    assertTrue(Files.isDirectory(dirs.journal(), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aRootWorkersDefaultStateDirIsUnderRun() {
    assumeTrue(StateDirs.workerUid() == 0 && Files.isWritable(Path.of("/run")), "a root worker with /run");

    assertEquals(Path.of("/run/jank-runner"), StateDirs.defaultRoot());
  }

  @Test
  void theLongestSocketPathUnderTheLongestQuietStateDirFitsASocketAddress() {
    assertEquals(42, StateDirs.SOCKET_PATH_MAX - StateDirs.SOCKET_SUFFIX_MAX);
  }

  private static String mode(Path dir) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
  }
}
