package io.jankrunner.plugin.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.plugin.manifest.DiscoveredPlugin.Availability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery of a plugins directory: Jank's unregistered states, each with its reason. */
class PluginDiscoveryTest {

  @TempDir Path plugins;

  private Map<String, DiscoveredPlugin> scan() {
    return new PluginDiscovery(plugins).scan().stream()
        .collect(Collectors.toMap(p -> p.directory().getFileName().toString(), Function.identity()));
  }

  private Path plugin(String dir, String id) throws Exception {
    Path path = Files.createDirectories(plugins.resolve(dir));
    Files.writeString(path.resolve("plugin.json"), TestPlugins.manifest(id, "./bin/plugin", ""));
    return path;
  }

  @Test
  void aPluginWithAnExecutableBinaryIsAvailable() throws Exception {
    Path dir = plugin("ready", "com.example.ready");
    TestPlugins.executable(dir.resolve("bin/plugin"), "#!/bin/sh\n");

    DiscoveredPlugin found = scan().get("ready");

    assertEquals(Availability.AVAILABLE, found.availability());
    assertEquals(dir.resolve("bin/plugin").toRealPath(), found.binary().orElseThrow());
    assertTrue(found.reason().isEmpty());
  }

  @Test
  void anIncompletePluginKeepsTheIdItsManifestDeclares() throws Exception {
    Path dir = Files.createDirectories(plugins.resolve("broken"));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest("com.example.broken", "./bin/plugin",
        "\"runner\": {\"max_instances\": \"many\"}"));

    DiscoveredPlugin found = scan().get("broken");

    assertEquals(Availability.INCOMPLETE, found.availability());
    assertEquals("com.example.broken", found.id().orElseThrow());
    assertTrue(found.reason().orElseThrow().contains("max_instances"), found.reason().orElseThrow());
  }

  @Test
  void aPluginWithOnlyABuildScriptIsSourceOnly() throws Exception {
    Path dir = plugin("src", "com.example.src");
    TestPlugins.executable(dir.resolve("scripts/build.sh"), "exit 0\n");

    DiscoveredPlugin found = scan().get("src");

    assertEquals(Availability.SOURCE_ONLY, found.availability());
    assertTrue(found.reason().orElseThrow().contains("scripts/build.sh can build it"));
  }

  @Test
  void aPluginWithNeitherBinaryNorBuildScriptIsIncomplete() throws Exception {
    plugin("bare", "com.example.bare");

    DiscoveredPlugin found = scan().get("bare");

    assertEquals(Availability.INCOMPLETE, found.availability());
    assertTrue(found.reason().orElseThrow().contains("does not exist and there is no scripts/build.sh"));
  }

  @Test
  void aNonExecutableBinaryIsReported() throws Exception {
    Path dir = plugin("noexec", "com.example.noexec");
    Files.createDirectories(dir.resolve("bin"));
    Files.writeString(dir.resolve("bin/plugin"), "#!/bin/sh\n");

    assertTrue(scan().get("noexec").reason().orElseThrow().contains("is not executable"));
  }

  @Test
  void anInvalidManifestIsIncompleteWithTheParsersReason() throws Exception {
    Path dir = Files.createDirectories(plugins.resolve("broken"));
    Files.writeString(dir.resolve("plugin.json"), "{\"id\": \"com.example.broken\", \"binary\": 42}");

    DiscoveredPlugin found = scan().get("broken");

    assertEquals(Availability.INCOMPLETE, found.availability());
    assertTrue(found.reason().orElseThrow().contains("'binary' must be a non-empty string"), found.reason().get());
  }

  @Test
  void twoDirectoriesDeclaringOneIdAreBothReportedNeverASilentPick() throws Exception {
    TestPlugins.executable(plugin("first", "com.example.same").resolve("bin/plugin"), "#!/bin/sh\n");
    TestPlugins.executable(plugin("second", "com.example.same").resolve("bin/plugin"), "#!/bin/sh\n");

    Map<String, DiscoveredPlugin> found = scan();

    assertEquals(Availability.INCOMPLETE, found.get("first").availability());
    assertEquals(Availability.INCOMPLETE, found.get("second").availability());
    assertTrue(found.get("first").reason().orElseThrow().contains("also declared by second"));
    assertTrue(found.get("second").reason().orElseThrow().contains("also declared by first"));
  }

  @Test
  void aBinarySymlinkedOutOfThePluginDirectoryIsIncomplete() throws Exception {
    Path dir = plugin("escape", "com.example.escape");
    Files.createDirectories(dir.resolve("bin"));
    Files.createSymbolicLink(dir.resolve("bin/plugin"), Path.of("/bin/sh"));

    DiscoveredPlugin found = scan().get("escape");

    assertEquals(Availability.INCOMPLETE, found.availability());
    assertTrue(found.reason().orElseThrow().contains("outside the plugin directory"));
  }

  @Test
  void hiddenSymlinkedAndManifestlessDirectoriesAreNotPlugins() throws Exception {
    plugin(".hidden", "com.example.hidden");
    Files.createDirectories(plugins.resolve("empty"));
    Path outside = Files.createTempDirectory("outside");
    Files.writeString(outside.resolve("plugin.json"), TestPlugins.manifest("com.example.outside", "./x", ""));
    Files.createSymbolicLink(plugins.resolve("linked"), outside);

    assertEquals(List.of(), List.copyOf(scan().keySet()));
  }

  @Test
  void aMissingPluginsDirectoryHasNoPlugins() {
    assertTrue(new PluginDiscovery(plugins.resolve("nope")).scan().isEmpty());
  }
}
