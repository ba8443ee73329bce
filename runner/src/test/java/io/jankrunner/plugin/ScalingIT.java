package io.jankrunner.plugin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.PluginReply;
import io.jankrunner.plugin.api.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin as a pool of serverless instances: scale out and in, and hot swap without failing a call. */
class ScalingIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "test.plugins.pool";

  @TempDir Path plugins;
  @TempDir Path state;
  private final RecordingListener listener = new RecordingListener();
  private PluginManager manager;

  @BeforeEach
  void startManager() throws Exception {
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(2)), listener);
  }

  @AfterEach
  void stopManager() {
    manager.close();
  }

  @Test
  void aPoolScalesOutToMaxInstancesUnderLoadAndBackToMinInstancesAfterItsTtl() throws Exception {
    TestPlugins.javaPlugin(plugins, "pool", ID, MisbehavingPlugin.class, "",
        "\"runner\": {\"max_concurrency\": 1, \"max_instances\": 3, \"min_instances\": 1, \"idle_ttl_ms\": 1000}");
    manager.register(ID);
    assertEquals(1, manager.get(ID).orElseThrow().instances().size());

    List<Future<PluginReply>> replies = new ArrayList<>();
    int peak;
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 6; i++) {
        replies.add(callers.submit(() -> manager.execute(ID, "slow", JSON.createObjectNode().put("ms", 2500),
            Optional.of(Instant.now().plusSeconds(60)), Optional.empty())));
      }
      await().atMost(Duration.ofSeconds(40)).until(() -> manager.get(ID).orElseThrow().instances().size() == 3);
      peak = manager.get(ID).orElseThrow().instances().size();
    }
    int cold = 0;
    for (Future<PluginReply> reply : replies) {
      cold += reply.get().coldStart().isPresent() ? 1 : 0;
    }

    assertEquals(3, peak, "scaled out to max_instances, not beyond");
    assertTrue(cold >= 2, "the calls that waited for a new instance say so: " + cold);
    assertTrue(manager.execute(ID, "echo", JSON.createObjectNode()).coldStart().isEmpty(), "a warm call paid none");
    await().atMost(Duration.ofSeconds(15)).until(() -> manager.get(ID).orElseThrow().instances().size() == 1);
    await().during(Duration.ofSeconds(2)).until(() -> manager.get(ID).orElseThrow().instances().size() == 1);
    assertEquals("ready", manager.get(ID).orElseThrow().status());
    assertTrue(listener.instanceChangesOf(ID).stream().map(change -> change.instanceId().orElseThrow())
        .distinct().count() >= 3);
  }

  @Test
  void aHotSwapByRebuildUnderASteadyStreamOfCallsFailsNoCall() throws Exception {
    Path dir = TestPlugins.javaPlugin(plugins, "pool", ID, MisbehavingPlugin.class, "",
        "\"runner\": {\"min_instances\": 1}");
    // the "build" writes a new binary next to the running one and renames it into place
    Files.copy(dir.resolve("bin/plugin"), dir.resolve("launcher"));
    TestPlugins.executable(dir.resolve("scripts/build.sh"),
        "#!/bin/sh\ncp launcher bin/plugin.new && mv bin/plugin.new bin/plugin\n");
    long oldPid = manager.register(ID).pid().orElseThrow();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Set<Long> pids = ConcurrentHashMap.newKeySet();
    AtomicInteger answered = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < 4; c++) {
        callers.submit(() -> {
          while (running.get()) {
            try {
              pids.add(manager.execute(ID, "pid", JSON.createObjectNode(), Optional.of(Instant.now().plusSeconds(30)),
                  Optional.empty()).data().get("pid").asLong());
              answered.incrementAndGet();
            } catch (RuntimeException | RunnerException e) {
              failures.add(e);
            }
          }
        });
      }
      await().until(() -> answered.get() > 50);

      long newPid = manager.register(ID, true, null).pid().orElseThrow();
      int atSwap = answered.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> answered.get() > atSwap + 200 && pids.contains(newPid));
      running.set(false);

      assertTrue(failures.isEmpty(), "failed calls during the swap: " + failures);
      assertTrue(pids.contains(oldPid) && pids.contains(newPid), pids.toString());
      await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(oldPid).map(p -> !p.isAlive()).orElse(true));
    }
  }

  @Test
  void aFailedRebuildKeepsTheOldVersionServing() throws Exception {
    Path dir = TestPlugins.javaPlugin(plugins, "pool", ID, MisbehavingPlugin.class, "",
        "\"runner\": {\"min_instances\": 1}");
    TestPlugins.executable(dir.resolve("scripts/build.sh"), "#!/bin/sh\necho cannot compile >&2\nexit 2\n");
    long pid = manager.register(ID).pid().orElseThrow();

    RunnerException failed = assertThrows(RunnerException.class, () -> manager.register(ID, true, null));

    assertEquals(ErrorCode.BUILD_FAILED, failed.code());
    assertEquals(pid, manager.execute(ID, "pid", JSON.createObjectNode()).data().get("pid").asLong());
    assertFalse(listener.statesOf(ID).contains(PluginState.STOPPING));
  }
}
