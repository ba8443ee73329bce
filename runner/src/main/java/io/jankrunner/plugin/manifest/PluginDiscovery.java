package io.jankrunner.plugin.manifest;

import io.jankrunner.plugin.manifest.DiscoveredPlugin.Availability;
import io.jankrunner.plugin.manifest.ManifestParser.InvalidManifestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Scans a plugins directory: every direct subdirectory holding a {@code plugin.json} is a plugin.
 * Two directories declaring one id are both reported {@code incomplete}, never a silent pick.
 */
public final class PluginDiscovery {

  private final Path pluginsDir;

  public PluginDiscovery(Path pluginsDir) {
    this.pluginsDir = pluginsDir.toAbsolutePath().normalize();
  }

  public Path pluginsDir() {
    return pluginsDir;
  }

  /** Every plugin directory, sorted by directory name. */
  public List<DiscoveredPlugin> scan() {
    if (!Files.isDirectory(pluginsDir)) {
      return List.of();
    }
    List<DiscoveredPlugin> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(pluginsDir)) {
      for (Path dir : dirs) {
        // Symlinked directories are skipped: a plugin must live inside the plugins directory.
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && !dir.getFileName().toString().startsWith(".")
            && Files.exists(dir.resolve("plugin.json"), LinkOption.NOFOLLOW_LINKS)) {
          found.add(inspect(dir));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list plugins directory " + pluginsDir, e);
    }
    found.sort(Comparator.comparing(plugin -> plugin.directory().getFileName().toString()));
    return markDuplicates(found);
  }

  private static DiscoveredPlugin inspect(Path dir) {
    Path manifestFile = dir.resolve("plugin.json");
    PluginManifest manifest;
    byte[] bytes = null;
    try {
      if (Files.isSymbolicLink(manifestFile)) {
        throw new InvalidManifestException("plugin.json must not be a symbolic link");
      }
      bytes = Files.readAllBytes(manifestFile);
      manifest = ManifestParser.parse(bytes);
    } catch (InvalidManifestException e) {
      return new DiscoveredPlugin(dir, Optional.empty(), Availability.INCOMPLETE, Optional.empty(),
          Optional.of(e.getMessage()), bytes == null ? Optional.empty() : ManifestParser.declaredId(bytes));
    } catch (IOException e) {
      return new DiscoveredPlugin(dir, Optional.empty(), Availability.INCOMPLETE, Optional.empty(),
          Optional.of("plugin.json could not be read: " + e.getMessage()));
    }
    PluginPaths.Executable binary;
    try {
      binary = PluginPaths.executable(dir, manifest.binary());
    } catch (InvalidManifestException e) {
      return new DiscoveredPlugin(dir, Optional.of(manifest), Availability.INCOMPLETE, Optional.empty(),
          Optional.of(e.getMessage()));
    }
    boolean buildable = Files.isRegularFile(PluginPaths.buildScript(dir));
    if (binary.path().isPresent()) {
      return new DiscoveredPlugin(dir, Optional.of(manifest), Availability.AVAILABLE, binary.path(), Optional.empty());
    }
    String missing = binary.problem().orElseThrow();
    if (buildable) {
      return new DiscoveredPlugin(dir, Optional.of(manifest), Availability.SOURCE_ONLY, Optional.empty(),
          Optional.of(missing + "; scripts/build.sh can build it"));
    }
    return new DiscoveredPlugin(dir, Optional.of(manifest), Availability.INCOMPLETE, Optional.empty(),
        Optional.of(missing + " and there is no scripts/build.sh"));
  }

  /**
   * Why the binary {@code plugin} declares cannot be run now (after a build, say): it does not
   * exist, is not executable, or leads out of the plugin directory. Empty when it can be run.
   */
  public static Optional<String> binaryProblem(DiscoveredPlugin plugin) {
    try {
      return PluginPaths.executable(plugin.directory(), plugin.manifest().orElseThrow().binary()).problem();
    } catch (InvalidManifestException e) {
      return Optional.of(e.getMessage());
    }
  }

  private static List<DiscoveredPlugin> markDuplicates(List<DiscoveredPlugin> found) {
    Map<String, List<DiscoveredPlugin>> byId = found.stream().filter(plugin -> plugin.id().isPresent())
        .collect(Collectors.groupingBy(plugin -> plugin.id().get(), LinkedHashMap::new, Collectors.toList()));
    List<DiscoveredPlugin> result = new ArrayList<>(found.size());
    for (DiscoveredPlugin plugin : found) {
      List<DiscoveredPlugin> sameId = plugin.id().map(byId::get).orElse(List.of());
      if (sameId.size() > 1) {
        String others = sameId.stream().filter(other -> other != plugin)
            .map(other -> other.directory().getFileName().toString()).collect(Collectors.joining(", "));
        result.add(plugin.incomplete("duplicate id " + plugin.id().get() + ": also declared by " + others));
      } else {
        result.add(plugin);
      }
    }
    return result;
  }
}
