package io.jankrunner.plugin.manifest;

import io.jankrunner.plugin.manifest.ManifestParser.InvalidManifestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps every path a plugin names inside its own directory: no absolute paths, no {@code ..},
 * no symlink that leads out. A plugins directory may hold untrusted plugins; this is the only
 * place that turns their strings into paths.
 */
final class PluginPaths {

  private PluginPaths() {}

  /** Where a plugin's build script is, for discovery ("can it be built?") and for the build. */
  static Path buildScript(Path pluginDirectory) {
    return pluginDirectory.resolve("scripts").resolve("build.sh");
  }

  /** Rejects a {@code binary} that is absolute or climbs out before any file is looked at. */
  static void checkRelative(String binary) throws InvalidManifestException {
    if (binary.indexOf('\0') >= 0) {
      throw new InvalidManifestException("binary path contains a NUL character");
    }
    Path path;
    try {
      path = Path.of(binary);
    } catch (RuntimeException e) {
      throw new InvalidManifestException("binary path '" + binary + "' is not a valid path");
    }
    if (path.isAbsolute()) {
      throw new InvalidManifestException("binary '" + binary + "' must be relative to the plugin directory");
    }
    for (Path part : path) {
      if (part.toString().equals("..")) {
        throw new InvalidManifestException("binary '" + binary + "' must not contain '..'");
      }
    }
    if (path.normalize().toString().isEmpty()) {
      throw new InvalidManifestException("binary '" + binary + "' names the plugin directory itself");
    }
  }

  /**
   * The binary as a real path inside {@code pluginDir}, if it exists as a regular file there.
   *
   * @throws InvalidManifestException if it exists but resolves (through symlinks) outside the directory
   */
  static Optional<Path> existingBinary(Path pluginDir, String binary) throws InvalidManifestException {
    Path candidate = pluginDir.resolve(binary).normalize();
    if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      Path realDir = pluginDir.toRealPath();
      Path real = candidate.toRealPath();
      if (!real.startsWith(realDir)) {
        throw new InvalidManifestException("binary '" + binary + "' resolves to " + real
            + ", outside the plugin directory");
      }
      if (!Files.isRegularFile(real)) {
        throw new InvalidManifestException("binary '" + binary + "' is not a regular file");
      }
      return Optional.of(real);
    } catch (IOException e) {
      // a dangling symlink: there is no binary
      return Optional.empty();
    }
  }

  /** The declared binary ready to run, or why it is not: exactly one of the two is present. */
  record Executable(Optional<Path> path, Optional<String> problem) {}

  /**
   * The binary as an executable real path inside {@code pluginDir}, or why there is none: it
   * does not exist, or it is not executable. Discovery and the builder judge a binary by this.
   *
   * @throws InvalidManifestException if it resolves (through symlinks) outside the directory or is not a regular file
   */
  static Executable executable(Path pluginDir, String binary) throws InvalidManifestException {
    Optional<Path> real = existingBinary(pluginDir, binary);
    if (real.isPresent() && Files.isExecutable(real.get())) {
      return new Executable(real, Optional.empty());
    }
    return new Executable(Optional.empty(),
        Optional.of("binary " + binary + (real.isPresent() ? " is not executable" : " does not exist")));
  }
}
