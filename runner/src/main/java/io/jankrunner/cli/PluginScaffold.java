package io.jankrunner.cli;

import io.jankrunner.plugin.manifest.PluginId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a new plugin directory from the templates kept as resources under {@code templates/<lang>/}.
 * Placeholders: {@code {{ID}}} the plugin id, {@code {{NAME}}} its last id segment (binary and
 * directory name), {@code {{REPO}}} the jank-runner checkout whose SDK the plugin builds against
 * (the SDKs are not published to a registry).
 */
final class PluginScaffold {

  /** The files of each language's template; a resource listing is not portable across jar and classpath dirs. */
  static final Map<String, List<String>> TEMPLATES = Map.of(
      "node", List.of("plugin.json", "main.js", "README.md", "scripts/build.sh", "scripts/smoke-test.sh"));

  private PluginScaffold() {}

  /** The default directory: {@code plugins/<last id segment>} under {@code base}. */
  static Path defaultDir(Path base, String id) {
    return base.resolve("plugins").resolve(name(id));
  }

  static String name(String id) {
    return id.substring(id.lastIndexOf('.') + 1);
  }

  /** Writes the plugin; throws IllegalArgumentException with a message a user can act on. */
  static List<Path> write(String lang, String id, Path dir, Path repo) throws IOException {
    List<String> files = TEMPLATES.get(lang);
    if (files == null) {
      throw new IllegalArgumentException("unknown language '" + lang + "'; choose one of "
          + TEMPLATES.keySet().stream().sorted().toList());
    }
    if (!PluginId.isValid(id)) {
      throw new IllegalArgumentException("invalid plugin id '" + id + "': expected " + PluginId.expected());
    }
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException(dir + " exists and is not a directory");
      }
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalArgumentException(dir + " exists and is not empty; choose another DIR");
        }
      }
    }
    Map<String, String> values = Map.of("{{ID}}", id, "{{NAME}}", name(id),
        "{{REPO}}", repo.toAbsolutePath().normalize().toString());
    List<Path> written = new java.util.ArrayList<>();
    for (String file : files) {
      String text = render(read(lang, file), values);
      Path target = dir.resolve(file);
      Files.createDirectories(target.getParent());
      Files.writeString(target, text);
      if (file.endsWith(".sh")) {
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      written.add(target);
    }
    return written;
  }

  private static String render(String template, Map<String, String> values) {
    String text = template;
    for (var entry : values.entrySet()) {
      text = text.replace(entry.getKey(), entry.getValue());
    }
    return text;
  }

  private static String read(String lang, String file) throws IOException {
    String resource = "templates/" + lang + "/" + file;
    try (InputStream in = PluginScaffold.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("template resource missing: " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
