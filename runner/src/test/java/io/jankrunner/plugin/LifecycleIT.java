package io.jankrunner.plugin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.api.PluginStateListener;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, stopping, concurrency and the promise that no plugin process outlives its worker. */
class LifecycleIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "test.plugins.echo";

  @TempDir Path plugins;
  @TempDir Path state;
  private final RecordingListener listener = new RecordingListener();
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", ID, MisbehavingPlugin.class, "", "");
    manager = new PluginManager(config(), listener);
  }

  private PluginManagerConfig config() {
    return PluginManagerConfig.defaults(plugins).withStateDir(state).withStopGrace(Duration.ofSeconds(2));
  }

  @AfterEach
  void stopManager() {
    manager.close();
  }

  @Test
  void aRegisteredPluginStartsColdOnItsFirstCallAndStaysWarm() throws Exception {
    manager.register(ID);
    assertEquals("stopped", manager.get(ID).orElseThrow().status());
    assertTrue(manager.get(ID).orElseThrow().pid().isEmpty());

    long first = pid();
    long second = pid();

    assertEquals(first, second, "the warm process is reused");
    // busy and idle are in_flight counts, not published states: no status event per call
    assertEquals(List.of(PluginState.STOPPED, PluginState.STARTING, PluginState.READY), listener.statesOf(ID));
    assertEquals(List.of(PluginState.STARTING, PluginState.READY),
        listener.instanceChangesOf(ID).stream().map(PluginStateListener.Change::state).toList());
    assertEquals(ID + "#1", listener.instanceChangesOf(ID).getFirst().instanceId().orElseThrow());
    assertEquals(first, listener.instanceChangesOf(ID).getLast().pid().orElseThrow());
    assertTrue(manager.healthy(ID, Duration.ofSeconds(30)));
  }

  @Test
  void anIdlePluginIsStoppedAfterItsIdleTtlAndTheNextCallStartsItCold() throws Exception {
    TestPlugins.javaPlugin(plugins, "brief", "test.plugins.brief", MisbehavingPlugin.class, "",
        "\"runner\": {\"idle_ttl_ms\": 500}");
    manager.register("test.plugins.brief");
    long first = manager.execute("test.plugins.brief", "pid", JSON.createObjectNode()).data().get("pid").asLong();

    await().atMost(Duration.ofSeconds(30)).until(() -> manager.get("test.plugins.brief").orElseThrow().status()
        .equals("stopped"));

    assertFalse(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false), "scaled to zero");
    assertTrue(manager.get("test.plugins.brief").orElseThrow().reason().orElse("").contains("idle"));
    long second = manager.execute("test.plugins.brief", "pid", JSON.createObjectNode()).data().get("pid").asLong();
    assertTrue(second != first, "a fresh process served the next call");
  }

  @Test
  void aPluginWithMinInstancesIsWarmFromRegistrationAndNeverReaped() throws Exception {
    TestPlugins.javaPlugin(plugins, "warm", "test.plugins.warm", MisbehavingPlugin.class, "",
        "\"runner\": {\"min_instances\": 1, \"idle_ttl_ms\": 200}");

    PluginInfo info = manager.register("test.plugins.warm");

    assertEquals("ready", info.status());
    long pid = info.pid().orElseThrow();
    // for five idle TTLs and more, the same warm process
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30)).until(() ->
        manager.get("test.plugins.warm").orElseThrow().pid().orElse(-1) == pid);
  }

  @Test
  void twoHundredConcurrentCallsAllGetTheirOwnAnswer() throws Exception {
    manager.register(ID);
    List<Future<ObjectNode>> answers = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        ObjectNode args = JSON.createObjectNode().put("call", i);
        answers.add(callers.submit(() -> manager.execute(ID, "echo", args).data()));
      }
    }
    for (int i = 0; i < 200; i++) {
      assertEquals(i, answers.get(i).get().get("call").asInt());
    }
    assertEquals(0, manager.get(ID).orElseThrow().inFlight());
    assertEquals("ready", manager.get(ID).orElseThrow().status());
  }

  @Test
  void startingOnePluginNeverBlocksCallsToAnother() throws Exception {
    // a plugin that takes 3 s before it even starts its JVM
    Path slow = TestPlugins.javaPlugin(plugins, "slow", "test.plugins.slow", MisbehavingPlugin.class, "", "");
    String launcher = Files.readString(slow.resolve("bin/plugin")).replace("#!/bin/sh\n", "#!/bin/sh\nsleep 3\n");
    TestPlugins.executable(slow.resolve("bin/plugin"), launcher);
    manager.register(ID);
    manager.register("test.plugins.slow");
    pid();

    try (ExecutorService background = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<ObjectNode> slowCall = background.submit(() -> manager.execute("test.plugins.slow", "echo",
          JSON.createObjectNode()).data());
      await().until(() -> manager.get("test.plugins.slow").orElseThrow().status().equals("starting"));

      for (int i = 0; i < 20; i++) {
        manager.execute(ID, "echo", JSON.createObjectNode()).data();
      }
      assertEquals("starting", manager.get("test.plugins.slow").orElseThrow().status(),
          "calls to the other plugin finished while this one was still starting");
      slowCall.get();
    }
  }

  @Test
  void unregisterStopsTheProcess() throws Exception {
    manager.register(ID);
    long pid = pid();

    manager.unregister(ID);

    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    assertTrue(listener.statesOf(ID).containsAll(List.of(PluginState.STOPPING, PluginState.STOPPED)));
    assertTrue(manager.get(ID).map(info -> !info.registered()).orElse(true));
  }

  @Test
  void shutdownLeavesNoProcessBehind() throws Exception {
    TestPlugins.javaPlugin(plugins, "second", "test.plugins.second", MisbehavingPlugin.class, "", "");
    manager.register(ID);
    manager.register("test.plugins.second");
    long first = pid();
    long second = manager.execute("test.plugins.second", "pid", JSON.createObjectNode()).data().get("pid").asLong();

    manager.close();

    for (long pid : new long[] {first, second}) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " survived");
    }
    assertEquals(0, TestPlugins.livingChildProcesses());
  }

  @Test
  void aPluginDiesWhenItsWorkerIsKilled() throws Exception {
    List<String> command = new ArrayList<>(List.of(TestPlugins.javaLauncher().split(" ")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), ManagerChild.class.getName(),
        plugins.toString(), state.resolve("child").toString(), ID));
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      long pluginPid = readPluginPid(child);
      assertTrue(ProcessHandle.of(pluginPid).isPresent());

      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      child.waitFor();

      // The parent-death signal kills it at once; the bound is only a liveness bound (a loaded
      // machine is slow to reap, and a 2 s bound here failed the suite on a fresh clone).
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> ProcessHandle.of(pluginPid).map(p -> !p.isAlive()).orElse(true));
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void aNewManagerSweepsProcessesRecordedByAWorkerThatDied() throws Exception {
    // A worker that died before its plugins did: its journal names a live process.
    Process orphan = new ProcessBuilder("sleep", "600").start();
    Path deadOwner = Files.createDirectories(state.resolve("journal/999999999-1"));
    long start = orphan.toHandle().info().startInstant().orElseThrow().toEpochMilli();
    Files.writeString(deadOwner.resolve(Long.toString(orphan.pid())), start + "\nsleep 600\n");

    try (PluginManager next = new PluginManager(config(), PluginStateListener.NONE)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !orphan.isAlive());
      assertFalse(Files.exists(deadOwner));
    } finally {
      orphan.destroyForcibly();
    }
  }

  @Test
  void theSweepLeavesARecycledPidAlone() throws Exception {
    Process stranger = new ProcessBuilder("sleep", "600").start();
    Path deadOwner = Files.createDirectories(state.resolve("journal/999999998-1"));
    // recorded with another start time: the pid now belongs to someone else
    Files.writeString(deadOwner.resolve(Long.toString(stranger.pid())), "12345\nsomething else\n");

    try (PluginManager next = new PluginManager(config(), PluginStateListener.NONE)) {
      assertTrue(stranger.isAlive());
    } finally {
      stranger.destroyForcibly();
    }
  }

  private long pid() throws Exception {
    return manager.execute(ID, "pid", JSON.createObjectNode()).data().get("pid").asLong();
  }

  private static long readPluginPid(Process child) throws Exception {
    BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.startsWith("PLUGIN_PID ")) {
        return Long.parseLong(line.substring("PLUGIN_PID ".length()).strip());
      }
    }
    throw new AssertionError("the child worker exited without starting its plugin");
  }
}
