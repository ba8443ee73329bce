package io.jankrunner.plugin.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.manifest.PluginManifest.RunnerSettings.Network;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code runner.network}: a namespace of the instance's own unless the manifest asks for the host's. */
class ManifestNetworkTest {

  private static PluginManifest parse(String runner) throws ManifestParser.InvalidManifestException {
    return ManifestParser.parse(("{\"id\": \"test.net\", \"binary\": \"./bin/plugin\"" + runner + "}")
        .getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aManifestThatSaysNothingGetsANetworkNamespaceOfItsOwn() throws Exception {
    assertEquals(Network.ISOLATED, parse("").runner().network());
    assertEquals(Network.ISOLATED, parse(", \"runner\": {\"max_instances\": 2}").runner().network());
    assertEquals(Network.ISOLATED, parse(", \"runner\": {\"network\": \"isolated\"}").runner().network());
  }

  @Test
  void aManifestMayAskForTheHostsNetwork() throws Exception {
    assertEquals(Network.HOST, parse(", \"runner\": {\"network\": \"host\"}").runner().network());
  }

  @Test
  void anUnknownNetworkIsAClearManifestError() {
    ManifestParser.InvalidManifestException error = assertThrows(ManifestParser.InvalidManifestException.class,
        () -> parse(", \"runner\": {\"network\": \"bridge\"}"));

    assertTrue(error.getMessage().contains("invalid runner.network 'bridge'"), error.getMessage());
    assertTrue(error.getMessage().contains("isolated") && error.getMessage().contains("host"), error.getMessage());
  }
}
