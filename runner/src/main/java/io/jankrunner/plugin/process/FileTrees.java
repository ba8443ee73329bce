package io.jankrunner.plugin.process;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removing the directories a child process leaves behind: a journal's, a sandbox's temp dir.
 *
 * <p>A temp dir is the plugin user's to write, and the worker (root) removes it. Deleting by
 * path, a walk that lists {@code a/} and then deletes {@code a/x}, follows a symbolic link that
 * the plugin put in place of {@code a} meanwhile, and root deletes files anywhere. So every
 * step here is relative to an open directory handle ({@link SecureDirectoryStream}: openat,
 * unlinkat), and a directory is opened with {@code O_NOFOLLOW}: a link swapped in mid-walk is
 * unlinked as the link it is, never followed.
 */
public final class FileTrees {

  private static final Logger log = LoggerFactory.getLogger(FileTrees.class);
  /** A tree nested deeper is left (with a WARN) rather than recursed into without bound. */
  private static final int MAX_DEPTH = 512;
  /** A directory that changes under the deletion is looked at again, this often. */
  private static final int ATTEMPTS = 20;

  private FileTrees() {}

  /**
   * Deletes {@code dir} and everything in it, as far as it can, without following a link
   * anywhere below {@code dir}'s parent (which must be a directory nobody else may change); a
   * tree already gone is no error.
   */
  public static void delete(Path dir) {
    Path absolute = dir.toAbsolutePath();
    try (DirectoryStream<Path> parent = Files.newDirectoryStream(absolute.getParent())) {
      if (!(parent instanceof SecureDirectoryStream<Path> at)) {
        log.warn("left {}: this platform cannot delete relative to a directory handle, and deleting by path could"
            + " follow a link", dir);
        return;
      }
      deleteEntry(at, absolute.getFileName(), 0);
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException | DirectoryIteratorException e) {
      log.warn("could not delete all of {}: {}", dir, e.toString());
    }
  }

  /** Deletes {@code name} in the directory {@code at}: a file or link by unlinking it, a directory with what is in it. */
  private static void deleteEntry(SecureDirectoryStream<Path> at, Path name, int depth) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        BasicFileAttributes attributes = at.getFileAttributeView(name, BasicFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS).readAttributes();
        if (!attributes.isDirectory()) {
          at.deleteFile(name);
          return;
        }
        if (depth >= MAX_DEPTH) {
          throw new IOException(name + " is nested more than " + MAX_DEPTH + " directories deep");
        }
        // O_NOFOLLOW: if it became a link since the look above, this fails and the next attempt unlinks it.
        try (SecureDirectoryStream<Path> inside = at.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
          for (Path entry : inside) {
            deleteEntry(inside, entry.getFileName(), depth + 1);
          }
        }
        at.deleteDirectory(name);
        return;
      } catch (NoSuchFileException e) {
        return;
      } catch (FileSystemException e) {
        last = e; // swapped between the look and the act (a directory became a link, or back), or refilled
      } catch (DirectoryIteratorException e) {
        last = e.getCause();
      }
    }
    throw last;
  }
}
