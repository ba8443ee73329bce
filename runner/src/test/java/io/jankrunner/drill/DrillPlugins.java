package io.jankrunner.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The drill's own copy of the example plugins (built first if needed), so that every plugin
 * process on the machine running from that directory belongs to this drill (the orphan check
 * relies on it), and with a short {@code runner.timeout_ms} so a SIGSTOPped plugin is past its
 * timeout within seconds.
 */
final class DrillPlugins {

  static final List<String> DIRECTORIES = List.of("hello-go", "hello-java");
  private static final ObjectMapper JSON = new ObjectMapper();

  private DrillPlugins() {}

  static Path prepare(Path repo, Path target, int timeoutMs) throws IOException, InterruptedException {
    for (String name : DIRECTORIES) {
      Path source = repo.resolve("plugins").resolve(name);
      ObjectNode manifest = (ObjectNode) JSON.readTree(source.resolve("plugin.json").toFile());
      if (!Files.isExecutable(source.resolve(manifest.path("binary").asText()))) {
        build(source, target.getParent().resolve("build-" + name + ".log"));
      }
      Path copy = Files.createDirectories(target.resolve(name));
      copyTree(source.resolve("bin"), copy.resolve("bin"));
      if (Files.isDirectory(source.resolve("target"))) {
        try (Stream<Path> jars = Files.list(source.resolve("target"))) {
          for (Path jar : jars.filter(path -> path.toString().endsWith(".jar")).toList()) {
            Files.createDirectories(copy.resolve("target"));
            Files.copy(jar, copy.resolve("target").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      ((ObjectNode) manifest.path("runner")).put("timeout_ms", timeoutMs);
      JSON.writerWithDefaultPrettyPrinter().writeValue(copy.resolve("plugin.json").toFile(), manifest);
    }
    return target.toRealPath();
  }

  private static void build(Path plugin, Path log) throws IOException, InterruptedException {
    Drill.say("building " + plugin + " (output in " + log + ")");
    Files.createDirectories(log.getParent());
    Process build = new ProcessBuilder("bash", "scripts/build.sh").directory(plugin.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!build.waitFor(15, TimeUnit.MINUTES)) {
      build.destroyForcibly();
      throw new IOException("building " + plugin + " took more than 15 minutes");
    }
    if (build.exitValue() != 0) {
      throw new IOException("building " + plugin + " failed (exit " + build.exitValue() + ")");
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.toList()) {
        Path copy = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
