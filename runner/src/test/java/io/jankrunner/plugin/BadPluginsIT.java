package io.jankrunner.plugin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins that crash, hang, flood or never handshake: each gives its error code, and the manager
 * keeps serving a healthy plugin next to them. Every plugin here is a real child process.
 */
class BadPluginsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HEALTHY = "test.plugins.healthy";

  @TempDir Path plugins;
  @TempDir Path state;
  private final RecordingListener listener = new RecordingListener();
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    TestPlugins.javaPlugin(plugins, "healthy", HEALTHY, MisbehavingPlugin.class, "", "");
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(2)), listener);
    manager.register(HEALTHY);
  }

  @AfterEach
  void stopManager() {
    manager.close();
  }

  @Test
  void aPluginThatExitsAtOnceFailsToStartWithItsOutputInTheReason() throws Exception {
    TestPlugins.scriptPlugin(plugins, "exits", "test.plugins.exits", "echo 'config missing: /etc/x' >&2; exit 3", "");
    manager.register("test.plugins.exits");

    RunnerException error = assertThrows(RunnerException.class, () -> call("test.plugins.exits", "echo"));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    assertTrue(error.getMessage().contains("exit code 3"), error.getMessage());
    assertTrue(error.getMessage().contains("config missing: /etc/x"), error.getMessage());
    assertEquals("error", manager.get("test.plugins.exits").orElseThrow().status());
    assertManagerStillServes();
  }

  @Test
  void aGarbageHandshakeIsAStartFailure() throws Exception {
    TestPlugins.scriptPlugin(plugins, "garbage", "test.plugins.garbage", "echo 'hello, I am a plugin'; sleep 60", "");
    manager.register("test.plugins.garbage");

    RunnerException error = assertThrows(RunnerException.class, () -> call("test.plugins.garbage", "echo"));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    assertTrue(error.getMessage().contains("invalid handshake"), error.getMessage());
    assertTrue(error.getMessage().contains("hello, I am a plugin"), error.getMessage());
    assertNoProcessLeftFor("test.plugins.garbage");
    assertManagerStillServes();
  }

  @Test
  void aWrongProtocolVersionIsAStartFailure() throws Exception {
    TestPlugins.scriptPlugin(plugins, "v2", "test.plugins.v2", "echo '1|2|unix|/tmp/none.sock|grpc|'; sleep 60", "");
    manager.register("test.plugins.v2");

    RunnerException error = assertThrows(RunnerException.class, () -> call("test.plugins.v2", "echo"));

    assertTrue(error.getMessage().contains("unsupported plugin protocol version 2"), error.getMessage());
  }

  @Test
  void aPluginThatNeverHandshakesTimesOutAndIsKilled() throws Exception {
    TestPlugins.scriptPlugin(plugins, "silent", "test.plugins.silent", "echo starting >&2; exec sleep 600",
        "\"start_timeout\": 700");
    manager.register("test.plugins.silent");

    long started = System.nanoTime();
    RunnerException error = assertThrows(RunnerException.class, () -> call("test.plugins.silent", "echo"));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    assertTrue(error.getMessage().contains("no handshake within start_timeout 700 ms"), error.getMessage());
    assertTrue(error.getMessage().contains("starting"), error.getMessage());
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 10, "the start timeout was not applied");
    assertNoProcessLeftFor("test.plugins.silent");
    assertManagerStillServes();
  }

  @Test
  void aCallThatHangsTimesOutWhileOtherCallsGoOn() throws Exception {
    CompletableFuture<ErrorCode> hung = CompletableFuture.supplyAsync(() -> {
      try {
        manager.execute(HEALTHY, "sleep", JSON.createObjectNode(), Optional.of(Instant.now().plusMillis(1500)),
            Optional.empty()).data();
        return null;
      } catch (RunnerException e) {
        return e.code();
      }
    });

    assertManagerStillServes();
    assertEquals(ErrorCode.TIMEOUT, hung.get());
    assertManagerStillServes();
  }

  @Test
  void aCrashMidCallFailsTheCallAtOnceAndTheNextCallStartsAFreshProcess() throws Exception {
    assertManagerStillServes();
    long firstPid = manager.get(HEALTHY).orElseThrow().pid().orElseThrow();
    CompletableFuture<RunnerException> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        manager.execute(HEALTHY, "sleep", JSON.createObjectNode(), Optional.of(Instant.now().plusSeconds(60)),
            Optional.empty()).data();
        return null;
      } catch (RunnerException e) {
        return e;
      }
    });
    await().until(() -> manager.get(HEALTHY).orElseThrow().inFlight() == 1);

    RunnerException crash = assertThrows(RunnerException.class, () -> call(HEALTHY, "crash"));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, crash.code());
    // the other call in flight is failed too, long before its 60 s deadline
    RunnerException other = inFlight.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, other.code());
    // the crashed instance: error, with its exit; the plugin: backoff, then restarted
    await().until(() -> listener.instanceChangesOf(HEALTHY).stream().anyMatch(change ->
        change.state() == PluginState.ERROR && change.reason().orElse("").contains("exited with code 3")));
    assertTrue(listener.statesOf(HEALTHY).contains(PluginState.BACKOFF));

    assertManagerStillServes();
    assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));
    assertTrue(manager.get(HEALTHY).orElseThrow().pid().orElseThrow() != firstPid);
  }

  @Test
  void aPluginFloodingStderrKeepsAnsweringAndTheWorkerKeepsUp() throws Exception {
    TestPlugins.javaPlugin(plugins, "flood", "test.plugins.flood", MisbehavingPlugin.class, "--flood-stderr", "");
    manager.register("test.plugins.flood");

    for (int i = 0; i < 50; i++) {
      ObjectNode args = JSON.createObjectNode().put("i", i);
      assertEquals(args, call("test.plugins.flood", "echo", args));
    }
    assertManagerStillServes();
  }

  @Test
  void aPluginErrorKeepsItsMessage() {
    RunnerException error = assertThrows(RunnerException.class, () -> call(HEALTHY, "fail"));
    assertEquals(ErrorCode.PLUGIN_ERROR, error.code());
    assertEquals("failing on purpose", error.getMessage());
    RunnerException unknown = assertThrows(RunnerException.class, () -> call(HEALTHY, "nope"));
    assertEquals(ErrorCode.PLUGIN_ERROR, unknown.code());
    assertTrue(unknown.getMessage().contains("unknown method 'nope'"));
  }

  @Test
  void anUnregisteredPluginIsNotFound() {
    RunnerException error = assertThrows(RunnerException.class, () -> call("test.plugins.nobody", "echo"));
    assertEquals(ErrorCode.PLUGIN_NOT_FOUND, error.code());
  }

  @Test
  void idsWithPathCharactersAreRejectedBeforeAnyFileIsTouched() {
    for (String id : new String[] {"../../etc/passwd", "a/b.c", "com.x/../y", "..", ""}) {
      RunnerException error = assertThrows(RunnerException.class, () -> manager.register(id));
      assertEquals(ErrorCode.PLUGIN_NOT_FOUND, error.code(), id);
      assertTrue(error.getMessage().contains("invalid plugin id"), error.getMessage());
    }
  }

  @Test
  void aBinaryThatEscapesThePluginDirectoryCannotBeRegistered() throws Exception {
    Path dir = TestPlugins.scriptPlugin(plugins, "escape", "test.plugins.escape", "exit 0", "");
    java.nio.file.Files.delete(dir.resolve("bin/plugin"));
    java.nio.file.Files.createSymbolicLink(dir.resolve("bin/plugin"), Path.of("/bin/sh"));

    RunnerException error = assertThrows(RunnerException.class, () -> manager.register("test.plugins.escape"));

    assertEquals(ErrorCode.PLUGIN_NOT_FOUND, error.code());
    assertTrue(error.getMessage().contains("outside the plugin directory"), error.getMessage());
  }

  @Test
  void aManifestAskingForTheWorkersTokensAndCloudKeysDoesNotGetThemEvenUnderAWildcardAllowList() throws Exception {
    Path dir = TestPlugins.scriptPlugin(plugins, "env", "test.plugins.env",
        "env > \"$(dirname \"$0\")/../env.txt\"; exit 1", "\"runner\": {\"env\": [\"JANK_TEST_PASSED\", "
            + "\"JANK_HTTP_TOKENS\", \"AWS_SECRET_ACCESS_KEY\", \"MY_APP_MODE\", \"NOT_ALLOWED\"]}");
    manager.close();
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state).withHostEnvironment(
        java.util.Map.of("PATH", "/usr/bin:/bin", "HOME", "/root", "AWS_SECRET_ACCESS_KEY", "s3cr3t",
            "JANK_TEST_PASSED", "yes", "JANK_PLUGIN", "forged", "JANK_HTTP_TOKENS", "tok3n", "MY_APP_MODE", "fast",
            "NOT_ALLOWED", "n0", "JANK_PLUGIN_ENV", "MY_APP_*, JANK_TEST_PASSED, *_SECRET_*")), listener);
    manager.register("test.plugins.env");

    assertThrows(RunnerException.class, () -> call("test.plugins.env", "echo"));

    String env = java.nio.file.Files.readString(dir.resolve("env.txt"));
    assertTrue(env.contains("JANK_PLUGIN=jank-plugin"), env);
    assertTrue(env.contains("PLUGIN_PROTOCOL_VERSIONS=1"), env);
    assertTrue(env.contains("PLUGIN_MIN_PORT=10000"), env);
    assertTrue(env.contains("JANK_TEST_PASSED=yes"), env); // named exactly by the operator
    assertTrue(env.contains("MY_APP_MODE=fast"), env); // matched by the operator's pattern
    assertFalse(env.contains("s3cr3t"), env); // a pattern never passes a credential-like name
    assertFalse(env.contains("tok3n"), env);
    assertFalse(env.contains("n0"), env);
    assertFalse(env.contains("forged"), env);
  }

  private void assertManagerStillServes() throws RunnerException {
    ObjectNode args = JSON.createObjectNode().put("still", "here");
    assertEquals(args, call(HEALTHY, "echo", args));
  }

  private void assertNoProcessLeftFor(String id) {
    OptionalLong pid = manager.get(id).orElseThrow().pid();
    assertTrue(pid.isEmpty(), "a process is still recorded for " + id);
    await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.current().descendants()
        .noneMatch(p -> p.info().commandLine().orElse("").contains(id.substring(id.lastIndexOf('.') + 1) + "/bin")));
  }

  private ObjectNode call(String id, String method) throws RunnerException {
    return call(id, method, JSON.createObjectNode());
  }

  private ObjectNode call(String id, String method, ObjectNode args) throws RunnerException {
    return manager.execute(id, method, args, Optional.of(Instant.now().plusSeconds(60)), Optional.empty()).data();
  }
}
