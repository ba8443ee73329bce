package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.RunnerException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * auto_mtls as go-plugin does it: the host's certificate goes to the plugin in
 * PLUGIN_CLIENT_CERT, the plugin's comes back in the handshake, and the channel is TLS pinned
 * to it both ways.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.Shared.class) // runs the checkout's plugins
class AutoMtlsIT extends PluginManagerFixture {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MTLS = "\"auto_mtls\": true";

  private PluginManager manager(Path pluginsDir) throws Exception {
    return startManager(PluginManagerConfig.defaults(pluginsDir));
  }

  @Test
  void aJavaPluginAnswersOverMutualTls() throws Exception {
    TestPlugins.javaPlugin(plugins, "java", "test.plugins.mtls", MisbehavingPlugin.class, "", MTLS);
    manager(plugins).register("test.plugins.mtls");

    assertEquals(5, manager.execute("test.plugins.mtls", "echo", JSON.createObjectNode().put("n", 5)).data().path("n").asInt());
  }

  @Test
  void theGoHelloWorldAnswersOverMutualTls() throws Exception {
    assumeTrue(TestPlugins.missingGoToolchain().isEmpty(), () -> TestPlugins.missingGoToolchain().orElse(""));
    PluginManager manager = manager(TestPlugins.repo().resolve("plugins"));
    String id = "com.jank.plugins.hello-world";
    manager.register(id);

    String message = manager.execute(id, "greet", JSON.createObjectNode().put("name", "mTLS")).data().toString();

    assertTrue(message.contains("mTLS"), message);
    assertTrue(manager.manifest(id).orElseThrow().autoMtls());
  }

  @Test
  void aPluginWhoseCertificateIsNotTheOneInItsHandshakeIsRefused() throws Exception {
    TestPlugins.javaPlugin(plugins, "wrong", "test.plugins.wrong-cert", MisbehavingPlugin.class, "--wrong-cert", MTLS);
    manager(plugins).register("test.plugins.wrong-cert");

    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute("test.plugins.wrong-cert", "echo", JSON.createObjectNode()));

    assertTrue(error.getMessage().contains("auto_mtls: TLS with the plugin failed"), error.getMessage());
  }

  @Test
  void aPluginThatDoesNotDoMutualTlsIsRefusedWhenItsManifestAsksForIt() throws Exception {
    TestPlugins.scriptPlugin(plugins, "plain", "test.plugins.plain", "echo '1|1|unix|/tmp/none.sock|grpc|'; sleep 30",
        MTLS);
    manager(plugins).register("test.plugins.plain");

    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute("test.plugins.plain", "echo", JSON.createObjectNode()));

    assertTrue(error.getMessage().contains("the handshake has no server certificate"), error.getMessage());
  }
}
