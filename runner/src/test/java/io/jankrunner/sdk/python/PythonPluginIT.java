package io.jankrunner.sdk.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.TestPlugins;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A plugin on the Python SDK, built by the SDK's build-plugin at registration and started by the
 * real plugin manager: calls answered concurrently, errors with their messages, over auto-mTLS
 * and plaintext, and a SIGTERM that lets calls in flight finish and leaves no process.
 */
class PythonPluginIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "test.plugins.python-sdk";

  @TempDir Path plugins;
  @TempDir Path state;
  @TempDir Path scratch;
  private PluginManager manager;

  @BeforeEach
  void requirePython() {
    PythonPlugins.assumePython();
  }

  @AfterEach
  void stopManager() {
    if (manager != null) {
      manager.close();
    }
  }

  /** One instance, so calls that must meet reach the same process. */
  private PluginManager register(boolean mtls, Duration stopGrace) throws Exception {
    PythonPlugins.testPlugin(plugins, "python-sdk", ID,
        "\"auto_mtls\": " + mtls + ", \"runner\": {\"max_concurrency\": 64, \"max_instances\": 1}");
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state).withStopGrace(stopGrace),
        PluginStateListener.NONE);
    manager.register(ID);
    assertEquals(mtls, manager.manifest(ID).orElseThrow().autoMtls());
    return manager;
  }

  private ObjectNode call(String method, String args) throws Exception {
    return manager.execute(ID, method, (ObjectNode) JSON.readTree(args)).data();
  }

  private RunnerException failure(String method, String args) {
    RunnerException error = assertThrows(RunnerException.class, () -> call(method, args));
    assertEquals(ErrorCode.PLUGIN_ERROR, error.code(), error.getMessage());
    return error;
  }

  @ParameterizedTest(name = "auto_mtls {0}")
  @ValueSource(booleans = {false, true})
  void answersConcurrentCalls(boolean mtls) throws Exception {
    register(mtls, Duration.ofSeconds(2));
    List<Future<ObjectNode>> answers = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        String args = "{\"n\": " + i + ", \"text\": \"caller-" + i + "\", \"list\": [" + i + ", null]}";
        answers.add(callers.submit(() -> call("echo", args)));
      }
      // 16 calls that each return only when all 16 are inside the handler at once.
      List<Future<ObjectNode>> meetings = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        meetings.add(callers.submit(() -> call("meet", "{\"parties\": 16}")));
      }
      for (Future<ObjectNode> meeting : meetings) {
        assertEquals(16, meeting.get(90, TimeUnit.SECONDS).get("met").asInt());
      }
    }
    for (int i = 0; i < 200; i++) {
      assertEquals(JSON.readTree("{\"n\": " + i + ", \"text\": \"caller-" + i + "\", \"list\": [" + i + ", null]}"),
          answers.get(i).get());
    }
    assertTrue(manager.healthy(ID, Duration.ofSeconds(5)));
  }

  @ParameterizedTest(name = "auto_mtls {0}")
  @ValueSource(booleans = {false, true})
  void answersErrorsWithTheirMessages(boolean mtls) throws Exception {
    register(mtls, Duration.ofSeconds(2));

    assertTrue(failure("fail", "{\"message\": \"the caller's fault: ✓ 世界\"}").getMessage()
        .contains("the caller's fault: ✓ 世界"));
    assertTrue(failure("fail", "{\"message\": \"no such thing\", \"code\": \"NOT_FOUND\"}").getMessage()
        .contains("no such thing"));
    assertTrue(failure("crash", "{\"message\": \"oops\"}").getMessage()
        .contains("RuntimeError: a bug in the handler: oops"));
    assertTrue(failure("not-json", "{}").getMessage().contains("returned what is not JSON: set is a set"));
    assertTrue(failure("no-such-method", "{}").getMessage().contains("unknown method 'no-such-method'"));
    // The errors left the plugin serving.
    assertEquals(JSON.readTree("{\"still\": \"here\"}"), call("echo", "{\"still\": \"here\"}"));
  }

  @Test
  void sigtermLetsACallInFlightFinishThenExits() throws Exception {
    register(false, Duration.ofSeconds(2));
    long pid = call("pid", "{}").get("pid").asLong();
    Path started = scratch.resolve("started");
    CompletableFuture<ObjectNode> slow = CompletableFuture.supplyAsync(() -> {
      try {
        return call("sleep", "{\"ms\": 2000, \"started_file\": " + JSON.writeValueAsString(started.toString()) + "}");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, Executors.newVirtualThreadPerTaskExecutor());
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(started) && System.nanoTime() < waitUntil) {
      Thread.sleep(20);
    }
    assertTrue(Files.exists(started), "the slow call never reached the plugin");

    ProcessHandle plugin = ProcessHandle.of(pid).orElseThrow();
    assertTrue(plugin.destroy(), "SIGTERM could not be sent"); // destroy() is SIGTERM

    assertEquals(2000, slow.get(30, TimeUnit.SECONDS).get("slept").asInt());
    plugin.onExit().get(30, TimeUnit.SECONDS);
    assertFalse(plugin.isAlive());
  }

  @Test
  void closingTheManagerStopsThePluginBySigtermLeavingNoProcess() throws Exception {
    // A grace far longer than a Python plugin needs: closing well within it means the plugin
    // exited on SIGTERM itself, not by the SIGKILL at the grace's end.
    Duration grace = Duration.ofSeconds(40);
    register(true, grace);
    long pid = call("pid", "{}").get("pid").asLong();
    ProcessHandle plugin = ProcessHandle.of(pid).orElseThrow();

    long started = System.nanoTime();
    manager.close();
    Duration closing = Duration.ofNanos(System.nanoTime() - started);

    assertTrue(closing.compareTo(grace.dividedBy(2)) < 0, "closing took " + closing + ": the plugin ignored SIGTERM");
    assertFalse(plugin.isAlive());
    assertEquals(0, TestPlugins.livingChildProcesses());
  }
}
