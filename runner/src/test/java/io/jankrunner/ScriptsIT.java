package io.jankrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repo's scripts as a new user runs them: on a tree that has never been built. Only what the
 * runner's build needs is copied (no target/ directories), and Maven runs offline, its
 * dependencies being cached by the build that runs this test.
 */
class ScriptsIT {

  private static final Path REPO = Path.of(System.getProperty("jankrunner.repo", "..")).toAbsolutePath().normalize();
  /** The parent pom lists every module, so each module's pom must exist even when not built. */
  private static final List<String> NEEDED = List.of("pom.xml", "mvnw", ".mvn", "scripts", "proto/pom.xml",
      "proto/src/main", "proto/client-java/pom.xml", "proto/client-java/src/main", "runner/pom.xml", "runner/src/main", "plugins/hello-java/pom.xml");

  @TempDir Path fresh;

  @Test
  void twoFirstRunsStartedTogetherBothSucceedAfterOneBuild() throws Exception {
    copyUnbuiltTree();
    List<Process> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ProcessBuilder builder = new ProcessBuilder("bash", "scripts/runner", "--help")
          .directory(fresh.toFile())
          .redirectErrorStream(true)
          .redirectOutput(fresh.resolve("run-" + i + ".log").toFile());
      builder.environment().put("MAVEN_ARGS", "-o");
      builder.environment().remove("JANK_BUILD_LOCK_HELD");
      runs.add(builder.start());
    }
    List<String> outputs = new ArrayList<>();
    try {
      for (int i = 0; i < runs.size(); i++) {
        assertTrue(runs.get(i).waitFor(10, TimeUnit.MINUTES), "run " + i + " did not finish");
        String output = Files.readString(fresh.resolve("run-" + i + ".log"));
        outputs.add(output);
        assertEquals(0, runs.get(i).exitValue(), "run " + i + " failed:\n" + output);
        assertTrue(output.contains("Usage: runner"), output);
      }
    } finally {
      runs.forEach(run -> {
        run.descendants().forEach(ProcessHandle::destroyForcibly);
        run.destroyForcibly();
      });
    }
    long builds = outputs.stream().filter(output -> output.contains("building jank-runner")).count();
    assertEquals(1, builds, "one run builds, the other finds its jar fresh:\n" + String.join("\n----\n", outputs));
  }

  private void copyUnbuiltTree() throws IOException {
    for (String name : NEEDED) {
      Path source = REPO.resolve(name);
      try (Stream<Path> files = Files.walk(source)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          Path target = fresh.resolve(REPO.relativize(file).toString());
          Files.createDirectories(target.getParent());
          Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
