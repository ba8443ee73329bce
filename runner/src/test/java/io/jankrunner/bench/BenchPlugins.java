package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Plugin directories the benches give a worker or a manager: copies of the built Go example with
 * {@code auto_mtls} set as the figure needs (the floors speak plaintext gRPC to the same binary),
 * readable by the plugin user.
 */
final class BenchPlugins implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  BenchPlugins() throws IOException {
    dir = Files.createTempDirectory("bench-plugins");
    readable(dir);
  }

  /** The plugins directory. */
  Path dir() {
    return dir;
  }

  /**
   * A copy of the built Go example ({@code plugins/hello-go} under {@code examples}) as {@code dirName}, under
   * {@code id}, with {@code auto_mtls} as given; the rest of its manifest as it ships.
   */
  Path goExample(Path examples, String dirName, String id, boolean autoMtls) throws IOException {
    Path plugin = dir.resolve(dirName);
    Path bin = Files.createDirectories(plugin.resolve("bin"));
    Files.copy(examples.resolve("hello-go/bin/hello-world"), bin.resolve("hello-world"),
        StandardCopyOption.COPY_ATTRIBUTES);
    ObjectNode manifest = (ObjectNode) JSON.readTree(examples.resolve("hello-go/plugin.json").toFile());
    manifest.put("id", id).put("auto_mtls", autoMtls);
    JSON.writeValue(plugin.resolve("plugin.json").toFile(), manifest);
    readable(plugin);
    readable(bin);
    return plugin;
  }

  /** Whether the shipped Go example asks for auto-mTLS. */
  static boolean shippedAutoMtls(Path examples) throws IOException {
    return JSON.readTree(examples.resolve("hello-go/plugin.json").toFile()).path("auto_mtls").asBoolean();
  }

  static void readable(Path path) throws IOException {
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x")); // the plugin user reads it
  }

  @Override
  public void close() throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}
