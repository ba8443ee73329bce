package io.jankrunner.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/** Writes real plugin directories for tests: shell scripts and SDK plugins run from the test classpath. */
public final class TestPlugins {

  private TestPlugins() {}

  /** The repo's root, where the example plugins live. */
  public static Path repo() {
    String repo = System.getProperty("jankrunner.repo");
    Path path = repo != null ? Path.of(repo) : Path.of("..").toAbsolutePath().normalize();
    return path.toAbsolutePath().normalize();
  }

  public static String manifest(String id, String binary, String extra) {
    return """
        {"id": "%s", "name": "%s", "version": "1.0.0", "type": "handler", "binary": "%s",
         "start_timeout": 60000%s}
        """.formatted(id, id, binary, extra.isEmpty() ? "" : ", " + extra);
  }

  /** A plugin whose binary is the given shell script. */
  public static Path scriptPlugin(Path pluginsDir, String dirName, String id, String script, String extraManifest)
      throws IOException {
    Path dir = Files.createDirectories(pluginsDir.resolve(dirName));
    Files.writeString(dir.resolve("plugin.json"), manifest(id, "./bin/plugin", extraManifest));
    executable(dir.resolve("bin/plugin"), "#!/bin/sh\n" + script + "\n");
    return dir;
  }

  /** A plugin served by {@code mainClass} from this test JVM's classpath, through the Java SDK. */
  public static Path javaPlugin(Path pluginsDir, String dirName, String id, Class<?> mainClass, String args,
                         String extraManifest) throws IOException {
    Path dir = Files.createDirectories(pluginsDir.resolve(dirName));
    Files.writeString(dir.resolve("plugin.json"), manifest(id, "./bin/plugin", extraManifest));
    executable(dir.resolve("bin/plugin"), "#!/bin/sh\nexec " + javaLauncher() + " -cp '"
        + System.getProperty("java.class.path") + "' " + mainClass.getName() + " " + args + "\n");
    return dir;
  }

  /** The java command of this JVM with the flags our processes run with. */
  public static String javaLauncher() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String flags = "--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto";
    if (Runtime.version().feature() >= 23) {
      flags += " --sun-misc-unsafe-memory-access=allow";
    }
    return java + " " + flags;
  }

  public static void executable(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * Processes this JVM started that are still alive, not counting the run's Kafka brokers (which
   * integration tests run earlier in the same JVM may have started as children).
   */
  public static long livingChildProcesses() {
    java.util.Set<Long> brokers = new java.util.HashSet<>(io.jankrunner.kafka.TestBroker.processes());
    brokers.addAll(brokers.stream().flatMap(pid -> ProcessHandle.of(pid).stream()).flatMap(ProcessHandle::descendants)
        .map(ProcessHandle::pid).toList());
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(process -> !brokers.contains(process.pid())).count();
  }

  /** Whether the Go toolchain the Go example needs is installed; tests that need it skip otherwise. */
  public static Optional<String> missingGoToolchain() {
    for (String tool : new String[] {"go", "protoc", "protoc-gen-go", "protoc-gen-go-grpc"}) {
      if (onPath(tool).isEmpty()) {
        return Optional.of(tool + " is not installed: apt-get install golang-go golang-github-hashicorp-go-plugin-dev"
            + " golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev golang-google-protobuf-dev"
            + " protobuf-compiler protoc-gen-go protoc-gen-go-grpc");
      }
    }
    return Optional.empty();
  }

  /** Why Node plugins cannot be built here, if they cannot: node or npm missing. */
  public static Optional<String> missingNode() {
    for (String tool : new String[] {"node", "npm"}) {
      if (onPath(tool).isEmpty()) {
        return Optional.of(tool + " is not installed: apt-get install nodejs npm");
      }
    }
    return Optional.empty();
  }

  private static volatile Optional<String> missingPython;

  /**
   * Why Python plugins cannot be built here, if they cannot: proto/sdk-python/find-python's
   * reason (no interpreter with grpcio, protobuf, grpcio-tools and cryptography) and what to install.
   */
  public static Optional<String> missingPython() {
    if (missingPython == null) {
      Path findPython = repo().resolve("proto/sdk-python/find-python");
      try {
        Process process = new ProcessBuilder(findPython.toString(), "--why")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String why = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
            .strip();
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly();
          why = "find-python did not finish within 60 s";
        } else if (process.exitValue() == 0) {
          why = "";
        }
        missingPython = why.isEmpty() ? Optional.empty() : Optional.of(why);
      } catch (IOException | InterruptedException e) {
        missingPython = Optional.of("cannot run " + findPython + ": " + e);
      }
    }
    return missingPython;
  }

  /** The executable {@code tool} on this JVM's PATH. */
  public static Optional<Path> onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return Optional.of(Path.of(dir, tool));
      }
    }
    return Optional.empty();
  }
}
