package io.jankrunner.plugin.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Removing the directories a child process leaves behind: a journal's, a sandbox's temp dir. */
public final class FileTrees {

  private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

  private FileTrees() {}

  /** Deletes {@code dir} and everything in it, as far as it can; a tree already gone is no error. */
  public static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      log.debug("could not delete {}: {}", dir, e.toString());
    }
  }
}
