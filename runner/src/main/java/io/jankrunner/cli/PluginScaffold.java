package io.jankrunner.cli;

import io.jankrunner.plugin.manifest.PluginId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a new plugin directory from the templates kept as resources under {@code templates/<lang>/}.
 * A file a language has not got is taken from {@code templates/common/} (plugin.json, the smoke
 * test). Placeholders, in file contents and target paths: {@code {{ID}}} the plugin id,
 * {@code {{NAME}}} its last id segment (binary and directory name), {@code {{LANGUAGE}}} the
 * language's name, {@code {{REPO}}} the jank-runner checkout
 * whose SDK the plugin builds against (the SDKs are not published to a registry), and for Java
 * {@code {{PACKAGE}}}/{@code {{PACKAGE_DIR}}} (the id as a Java package), {@code {{GROUP}}} (a
 * Maven groupId) and {@code {{VERSION}}} (the checkout's version, that of the SDK artifact).
 */
final class PluginScaffold {

  /**
   * One file of a template: its resource (relative to {@code templates/<lang>/}, or absolute,
   * as the proto jar's {@code /plugin.proto}) and where it goes in the plugin directory.
   * Dotfiles are kept under another name: Maven's resource copy leaves out {@code .gitignore}.
   */
  record TemplateFile(String resource, String target) {
    static TemplateFile same(String path) {
      return new TemplateFile(path, path);
    }
  }

  private static final String README = "README.md";
  private static final String BUILD = "scripts/build.sh";
  private static final String SMOKE = "scripts/smoke-test.sh";
  private static final TemplateFile GITIGNORE = new TemplateFile("gitignore", ".gitignore");

  /** The files of each language's template; a resource listing is not portable across jar and classpath dirs. */
  static final Map<String, List<TemplateFile>> TEMPLATES = Map.of(
      // Go builds from Debian's Go packages and a copy of plugin.proto: nothing of the checkout.
      "go", files("main.go", new TemplateFile("/plugin.proto", "proto/plugin.proto")),
      "java", files("pom.xml", new TemplateFile("Plugin.java", "src/main/java/{{PACKAGE_DIR}}/Plugin.java")),
      "node", files("main.js"),
      "python", files("main.py"));

  private static final Map<String, String> LANGUAGE_NAMES =
      Map.of("go", "Go", "java", "Java", "node", "Node.js", "python", "Python");

  /** The smoke test every language has, which the command's output points at. */
  static final String SMOKE_TEST = SMOKE;

  private static final Set<String> JAVA_KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case",
      "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends", "final",
      "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long",
      "native", "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
      "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void", "volatile",
      "while", "true", "false", "null", "var", "record", "yield", "sealed", "permits", "non-sealed", "_");

  private PluginScaffold() {}

  private static List<TemplateFile> files(String source, TemplateFile... more) {
    List<TemplateFile> files = new ArrayList<>(List.of(TemplateFile.same("plugin.json"), TemplateFile.same(source)));
    files.addAll(List.of(more));
    files.addAll(List.of(TemplateFile.same(README), TemplateFile.same(BUILD), TemplateFile.same(SMOKE), GITIGNORE));
    return List.copyOf(files);
  }

  /** The languages, sorted, for help and error messages. */
  static List<String> languages() {
    return TEMPLATES.keySet().stream().sorted().toList();
  }

  /** The default directory: {@code plugins/<last id segment>} under {@code base}. */
  static Path defaultDir(Path base, String id) {
    return base.resolve("plugins").resolve(name(id));
  }

  static String name(String id) {
    return id.substring(id.lastIndexOf('.') + 1);
  }

  /**
   * The id as a Java package: each segment made an identifier ('-' and other non-identifier
   * characters become '_', a leading digit or a keyword gets a '_'), lower case by convention.
   */
  static String javaPackage(String id) {
    List<String> segments = new ArrayList<>();
    for (String segment : id.split("\\.")) {
      if (segment.isEmpty()) {
        continue;
      }
      StringBuilder identifier = new StringBuilder();
      segment.toLowerCase(Locale.ROOT).codePoints()
          .forEach(c -> identifier.appendCodePoint(Character.isJavaIdentifierPart(c) && c < 128 ? c : '_'));
      if (!Character.isJavaIdentifierStart(identifier.charAt(0)) || JAVA_KEYWORDS.contains(identifier.toString())) {
        identifier.insert(0, '_');
      }
      segments.add(identifier.toString());
    }
    return String.join(".", segments);
  }

  /** A Maven groupId: the id without its last segment, or the id itself when it has one segment. */
  static String mavenGroup(String id) {
    int dot = id.lastIndexOf('.');
    return dot > 0 ? id.substring(0, dot) : id;
  }

  /** Writes the plugin; throws IllegalArgumentException with a message a user can act on. */
  static List<Path> write(String lang, String id, Path dir, Path repo) throws IOException {
    List<TemplateFile> files = lang == null ? null : TEMPLATES.get(lang);
    if (files == null) {
      throw new IllegalArgumentException("unknown language '" + lang + "'; choose one of " + languages());
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
    Path checkout = repo.toAbsolutePath().normalize();
    Map<String, String> values = new LinkedHashMap<>();
    values.put("{{ID}}", id);
    values.put("{{NAME}}", name(id));
    values.put("{{REPO}}", checkout.toString());
    values.put("{{LANGUAGE}}", LANGUAGE_NAMES.get(lang));
    if (lang.equals("java")) {
      values.put("{{PACKAGE}}", javaPackage(id));
      values.put("{{PACKAGE_DIR}}", javaPackage(id).replace('.', '/'));
      values.put("{{GROUP}}", mavenGroup(id));
      values.put("{{VERSION}}", checkoutVersion(checkout));
    }
    // Everything is read before anything is written: a missing resource leaves no half plugin.
    Map<Path, String> rendered = new LinkedHashMap<>();
    for (TemplateFile file : files) {
      rendered.put(dir.resolve(render(file.target(), values)), render(read(lang, file.resource()), values));
    }
    List<Path> written = new ArrayList<>();
    for (var entry : rendered.entrySet()) {
      Path target = entry.getKey();
      Files.createDirectories(target.getParent());
      Files.writeString(target, entry.getValue());
      if (target.getFileName().toString().endsWith(".sh")) {
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      written.add(target);
    }
    return written;
  }

  private static final Pattern PROJECT_VERSION =
      Pattern.compile("<artifactId>jank-runner-parent</artifactId>\\s*<version>([^<\\s]+)</version>");

  /**
   * The version in the checkout's root pom.xml: a Java plugin depends on the SDK artifact of that
   * version, which its build installs from the checkout when the Maven repository lacks it.
   */
  static String checkoutVersion(Path checkout) throws IOException {
    Path pom = checkout.resolve("pom.xml");
    if (!Files.isRegularFile(pom)) {
      throw new IllegalArgumentException("no pom.xml in " + checkout
          + ": a Java plugin builds against the Java SDK of a jank-runner checkout (set JANK_RUNNER_HOME)");
    }
    Matcher matcher = PROJECT_VERSION.matcher(Files.readString(pom));
    if (!matcher.find()) {
      throw new IllegalArgumentException(pom + " names no jank-runner-parent version; is " + checkout
          + " a jank-runner checkout?");
    }
    return matcher.group(1);
  }

  private static String render(String template, Map<String, String> values) {
    String text = template;
    for (var entry : values.entrySet()) {
      text = text.replace(entry.getKey(), entry.getValue());
    }
    return text;
  }

  /** A language's own resource, else the one all languages share under {@code templates/common/}. */
  private static String read(String lang, String file) throws IOException {
    List<String> candidates = file.startsWith("/") ? List.of(file)
        : List.of("templates/" + lang + "/" + file, "templates/common/" + file);
    for (String resource : candidates) {
      try (InputStream in = PluginScaffold.class.getResourceAsStream(resource)) {
        if (in != null) {
          return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new IllegalStateException("template resource missing: " + candidates);
  }
}
