package io.jankrunner.plugin.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deleting a tree someone else may have written: everything in it goes, nothing a link points to. */
class FileTreesTest {

  @TempDir Path base;

  @Test
  void aNestedTreeIsDeletedWhole() throws Exception {
    Path tree = Files.createDirectories(base.resolve("tree/a/b/c"));
    Files.writeString(tree.resolve("file"), "x");
    Files.writeString(base.resolve("tree/a/other"), "y");

    FileTrees.delete(base.resolve("tree"));

    assertFalse(Files.exists(base.resolve("tree"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aLinkInsideToADirectoryOutsideIsUnlinkedAndWhatItPointsToIsKept() throws Exception {
    Path outside = Files.createDirectories(base.resolve("outside/inner"));
    Files.writeString(outside.resolve("precious"), "keep me");
    Path tree = Files.createDirectories(base.resolve("tree"));
    Files.createSymbolicLink(tree.resolve("link"), base.resolve("outside"));
    Files.createSymbolicLink(tree.resolve("file-link"), outside.resolve("precious"));

    FileTrees.delete(tree);

    assertFalse(Files.exists(tree, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.exists(outside.resolve("precious")));
  }

  @Test
  void aTreeThatIsItselfALinkIsUnlinkedNotFollowed() throws Exception {
    Path outside = Files.createDirectories(base.resolve("outside"));
    Files.writeString(outside.resolve("precious"), "keep me");
    Path link = Files.createSymbolicLink(base.resolve("tree"), outside);

    FileTrees.delete(link);

    assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.exists(outside.resolve("precious")));
  }

  @Test
  void aTreeAlreadyGoneIsNoError() {
    FileTrees.delete(base.resolve("never-made"));

    assertFalse(Files.exists(base.resolve("never-made")));
  }
}
