package io.jankrunner.sdk.python;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jankrunner.plugin.TestPlugins;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Python plugins for tests, built by the SDK's own {@code build-plugin} (as a plugin author's
 * {@code scripts/build.sh} does), and the check that skips these tests, saying what to install,
 * where no Python has the SDK's modules.
 */
final class PythonPlugins {

  private PythonPlugins() {}

  static Path sdk() {
    return TestPlugins.repo().resolve("proto/sdk-python");
  }

  /** Skips the calling test, with find-python's reason, when no interpreter has the SDK's modules. */
  static void assumePython() {
    Optional<String> reason = TestPlugins.missingPython();
    assumeTrue(reason.isEmpty(), () -> "skipping the Python SDK's tests: " + reason.orElse("")
        + " (CI installs them with scripts/install-python-toolchain)");
  }

  /** The interpreter find-python picks, as the plugins built now are pinned to. */
  static String python() throws IOException, InterruptedException {
    Process process = new ProcessBuilder(sdk().resolve("find-python").toString()).redirectErrorStream(false).start();
    String path = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    process.waitFor(60, TimeUnit.SECONDS);
    return path;
  }

  /**
   * A plugin directory holding the SDK's test plugin (sdk_test_plugin.py: echo, pid, meet, sleep, fail,
   * crash, not-json) and a {@code scripts/build.sh} that builds it with the SDK, as the runner
   * does at registration.
   */
  static Path testPlugin(Path pluginsDir, String dirName, String id, String extraManifest) throws IOException {
    Path dir = Files.createDirectories(pluginsDir.resolve(dirName));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest(id, "./bin/plugin", extraManifest));
    try (InputStream main = PythonPlugins.class.getResourceAsStream("sdk_test_plugin.py")) {
      Files.write(dir.resolve("main.py"), main.readAllBytes());
    }
    TestPlugins.executable(dir.resolve("scripts/build.sh"),
        "#!/usr/bin/env bash\nexec '" + sdk().resolve("build-plugin") + "' main.py bin/plugin\n");
    return dir;
  }
}
