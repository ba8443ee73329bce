package io.jankrunner.plugin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.api.PluginStateListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crashes restart with backoff or quarantine; hung instances are replaced, slow ones left alone. */
class CrashAndHangIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "test.plugins.victim";

  @TempDir Path plugins;
  @TempDir Path state;
  private final RecordingListener listener = new RecordingListener();
  private final List<Long> stopped = new ArrayList<>();
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(1)).withHealthChecks(Duration.ofSeconds(10), Duration.ofMillis(700)),
        listener);
  }

  @AfterEach
  void stopManager() {
    stopped.forEach(pid -> signal("KILL", pid));
    manager.close();
  }

  @Test
  void aCrashedInstanceIsRestartedAfterABackoffAndServesAgain() throws Exception {
    TestPlugins.javaPlugin(plugins, "victim", ID, MisbehavingPlugin.class, "", "");
    manager.register(ID);
    long first = pid(Duration.ofSeconds(60));

    RunnerException crash = assertThrows(RunnerException.class, () -> call("crash", Duration.ofSeconds(20)));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, crash.code());
    await().atMost(Duration.ofSeconds(20)).until(() -> listener.statesOf(ID).contains(PluginState.BACKOFF)
        && manager.get(ID).orElseThrow().status().equals("ready"));
    PluginStateListener.Change backoff = listener.changes().stream()
        .filter(change -> change.instanceId().isEmpty() && change.state() == PluginState.BACKOFF).findFirst().orElseThrow();
    assertTrue(backoff.reason().orElse("").contains("exited with code 3"), backoff.reason().toString());
    assertTrue(backoff.reason().orElse("").contains("about to crash on purpose"), "the last lines of its stderr");
    long restarted = manager.get(ID).orElseThrow().pid().orElseThrow();
    assertNotEquals(first, restarted, "restarted before any call asked for it");
    assertEquals(restarted, pid(Duration.ofSeconds(60)), "the restarted instance serves");
  }

  @Test
  void aPluginThatKeepsCrashingIsQuarantinedThenProbedAndReady() throws Exception {
    Path dir = TestPlugins.javaPlugin(plugins, "victim", ID, MisbehavingPlugin.class, "",
        "\"runner\": {\"crash_limit\": 2, \"quarantine_ms\": 3000, \"backoff_initial_ms\": 20, \"backoff_max_ms\": 40}");
    String launcher = Files.readString(dir.resolve("bin/plugin")).replace("#!/bin/sh\n",
        "#!/bin/sh\n[ -f \"$(dirname \"$0\")/../healed\" ] || { echo broken >&2; exit 7; }\n");
    TestPlugins.executable(dir.resolve("bin/plugin"), launcher);
    manager.register(ID);

    RunnerException error = null;
    for (int i = 0; i < 10 && (error == null || !error.getMessage().contains("quarantined")); i++) {
      error = assertThrows(RunnerException.class, () -> call("echo", Duration.ofSeconds(20)));
      assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    }
    assertTrue(error.getMessage().contains("quarantined"), error.getMessage());
    assertEquals("quarantined", manager.get(ID).orElseThrow().status());
    long starts = startsOf(ID);
    RunnerException fast = assertThrows(RunnerException.class, () -> call("echo", Duration.ofSeconds(20)));
    assertTrue(fast.getMessage().contains("quarantined"), fast.getMessage());
    assertEquals(starts, startsOf(ID), "a quarantined plugin starts nothing");

    Files.writeString(dir.resolve("healed"), "");
    await().atMost(Duration.ofSeconds(30)).until(() -> manager.get(ID).orElseThrow().status().equals("ready"));

    List<PluginState> states = listener.statesOf(ID);
    int quarantined = states.indexOf(PluginState.QUARANTINED);
    assertTrue(quarantined >= 0, states.toString());
    assertEquals(List.of(PluginState.QUARANTINED, PluginState.STARTING, PluginState.READY),
        states.subList(quarantined, states.size()), "one probe instance after the quarantine");
    assertEquals(starts + 1, startsOf(ID));
    assertEquals(JSON.createObjectNode(), call("echo", Duration.ofSeconds(20)));
  }

  @Test
  void aStoppedPluginIsHungAndReplacedAndTheNextCallIsAnsweredWithinItsDeadline() throws Exception {
    long first = singleInstanceThenStopped();

    RunnerException timeout = assertThrows(RunnerException.class, () -> call("echo", Duration.ofSeconds(1)));
    assertEquals(ErrorCode.TIMEOUT, timeout.code());

    Instant deadline = Instant.now().plusSeconds(20);
    long next;
    try {
      next = manager.execute(ID, "pid", JSON.createObjectNode(), Optional.of(deadline), Optional.empty()).data()
          .get("pid").asLong();
    } catch (RunnerException e) {
      assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
      next = -1;
    }
    assertFalse(Instant.now().isAfter(deadline.plusSeconds(1)), "answered within its deadline");
    assertNotEquals(first, next);
    await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(first).map(p -> !p.isAlive()).orElse(true));
    assertTrue(listener.instanceChangesOf(ID).stream().anyMatch(change -> change.state() == PluginState.HUNG
        && change.pid().orElse(-1) == first && change.reason().orElse("").contains("HealthCheck")));
    assertNotEquals(first, pid(Duration.ofSeconds(60)), "a fresh instance replaced the hung one");
  }

  @Test
  void aSlowCallTimesOutButItsInstanceIsLeftAlone() throws Exception {
    long first = singleInstance();

    RunnerException timeout = assertThrows(RunnerException.class, () -> manager.execute(ID, "slow",
        JSON.createObjectNode().put("ms", 3000), Optional.of(Instant.now().plusMillis(800)), Optional.empty()));

    assertEquals(ErrorCode.TIMEOUT, timeout.code());
    assertEquals(first, pid(Duration.ofSeconds(60)), "the slow instance still serves");
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() ->
        manager.get(ID).orElseThrow().pid().orElse(-1) == first);
    assertTrue(listener.instanceChangesOf(ID).stream().noneMatch(change -> change.state() == PluginState.HUNG));
  }

  @Test
  void shutdownIsBoundedEvenWithAStoppedPluginAndACallWaitingOnIt() throws Exception {
    long first = singleInstanceThenStopped();
    Thread caller = Thread.ofVirtual().start(() -> {
      try {
        call("echo", Duration.ofMinutes(5));
      } catch (RunnerException e) {
        // expected: the manager shuts down under it
      }
    });
    await().atMost(Duration.ofSeconds(60)).until(() -> manager.get(ID).orElseThrow().inFlight() == 1);

    long started = System.nanoTime();
    manager.close();

    // grace 1 s: drain 1 s, channel 1 s, SIGTERM 1 s, then SIGKILL; far below a stuck worker
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 20, "close() was not bounded");
    assertFalse(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false));
    caller.join(Duration.ofSeconds(10));
    assertFalse(caller.isAlive(), "the waiting call was answered");
  }

  /** A plugin of one instance, warm, then SIGSTOPped: alive, but it answers nothing. */
  private long singleInstanceThenStopped() throws Exception {
    long pid = singleInstance();
    signal("STOP", pid);
    return pid;
  }

  private long singleInstance() throws Exception {
    TestPlugins.javaPlugin(plugins, "victim", ID, MisbehavingPlugin.class, "", "\"runner\": {\"max_instances\": 1}");
    manager.register(ID);
    return pid(Duration.ofSeconds(60));
  }

  private long startsOf(String id) {
    return listener.instanceChangesOf(id).stream().filter(change -> change.state() == PluginState.STARTING).count();
  }

  private long pid(Duration within) throws RunnerException {
    return call("pid", within).get("pid").asLong();
  }

  private ObjectNode call(String method, Duration within) throws RunnerException {
    return manager.execute(ID, method, JSON.createObjectNode(), Optional.of(Instant.now().plus(within)),
        Optional.empty()).data();
  }

  private void signal(String signal, long pid) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
      if (signal.equals("STOP")) {
        stopped.add(pid);
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
