package io.jankrunner.plugin;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Java test plugins for isolation tests: with JVM flags of their own, and optionally with a copy
 * of the test classpath that an unprivileged plugin user can read (the Maven repository under
 * /root is not).
 */
public final class SandboxedPlugins {

  private SandboxedPlugins() {}

  /** {@link MisbehavingPlugin} started with {@code jvmFlags} from {@code classpath}. */
  public static Path misbehaving(Path pluginsDir, String id, String jvmFlags, String classpath, String extraManifest)
      throws IOException {
    Path dir = Files.createDirectories(pluginsDir.resolve(id));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest(id, "./bin/plugin", extraManifest));
    TestPlugins.executable(dir.resolve("bin/plugin"), "#!/bin/sh\nexec " + TestPlugins.javaLauncher() + " "
        + jvmFlags + " -cp '" + classpath + "' " + MisbehavingPlugin.class.getName() + "\n");
    return dir;
  }

  public static String testClasspath() {
    return System.getProperty("java.class.path");
  }

  /** Copies every entry of the test classpath under {@code dir}, readable by everyone; returns the new classpath. */
  public static String worldReadableClasspath(Path dir) throws IOException {
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : testClasspath().split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.exists(source)) {
        continue;
      }
      Path target = dir.resolve((n++) + "-" + source.getFileName());
      copyTree(source, target);
      entries.add(target.toString());
    }
    openUp(dir);
    return String.join(File.pathSeparator, entries);
  }

  /** Lets everyone enter {@code dir} and read what is in it. */
  public static void openUp(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.toList()) {
        boolean executable = Files.isDirectory(path) || Files.isExecutable(path);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
  }

  public static void copyTree(Path source, Path target) throws IOException {
    try (Stream<Path> paths = Files.walk(source)) {
      for (Path path : paths.toList()) {
        Path to = target.resolve(source.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(to);
        } else {
          Files.createDirectories(to.getParent());
          Files.copy(path, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
