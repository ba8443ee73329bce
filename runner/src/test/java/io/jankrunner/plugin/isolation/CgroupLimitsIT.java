package io.jankrunner.plugin.isolation;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.PluginManagerFixture;
import io.jankrunner.plugin.RecordingListener;
import io.jankrunner.plugin.SandboxedPlugins;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.plugin.api.PluginInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * memory_mb, max_processes and cpu_millis bound real plugin processes through cgroups, and a
 * plugin that runs into one is reported with that limit while the worker goes on serving.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.class) // builds in the checkout's plugins
class CgroupLimitsIT extends PluginManagerFixture {

  private static final ObjectMapper JSON = new ObjectMapper();
  // A heap far above the limit, and no container sizing: only the cgroup can stop the hog.
  private static final String BIG_HEAP = "-Xmx2g -XX:-UseContainerSupport";

  @Override
  protected PluginManager startManager(PluginManagerConfig config) throws java.io.IOException {
    return super.startManager(config.withPluginUser("worker"));
  }

  /** The instances of {@code id} ready now (instance ids are never reused). */
  private java.util.Set<String> readyInstances(String id) {
    return manager.get(id).orElseThrow().instances().stream().filter(instance -> instance.state().equals("ready"))
        .map(PluginInfo.Instance::id).collect(java.util.stream.Collectors.toSet());
  }

  /** The manager has taken the crash in (the crashed instance is no longer ready) before the test calls again. */
  private void awaitCrashSeen(String id, java.util.Set<String> before) {
    await().atMost(Duration.ofSeconds(30)).until(() -> readyInstances(id).stream().noneMatch(before::contains));
  }

  private static void assumeCgroups(String controller) {
    assumeTrue(Cgroups.detect(PluginManagerConfig.DEFAULT_CGROUP_ROOT).enforces(controller),
        "no writable " + controller + " cgroup controller on this machine");
  }

  @Test
  void aJavaMemoryHogIsKilledWithTheMemoryReasonAndTheNextCallGetsAFreshInstance() throws Exception {
    assumeCgroups(Cgroups.MEMORY);
    SandboxedPlugins.misbehaving(plugins, "test.plugins.hog", BIG_HEAP, SandboxedPlugins.testClasspath(),
        "\"runner\": {\"memory_mb\": 192}");
    startManager(PluginManagerConfig.defaults(plugins));
    manager.register("test.plugins.hog");
    long firstPid = manager.execute("test.plugins.hog", "pid", JSON.createObjectNode()).data().path("pid").asLong();

    var before = readyInstances("test.plugins.hog");
    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute("test.plugins.hog", "hog", JSON.createObjectNode().put("mb", 1536)));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    assertTrue(error.getMessage().contains("killed: memory limit 192 MiB exceeded"), error.getMessage());
    awaitCrashSeen("test.plugins.hog", before);
    long nextPid = manager.execute("test.plugins.hog", "pid", JSON.createObjectNode()).data().path("pid").asLong();
    assertTrue(nextPid != firstPid, "a fresh instance answers");
  }

  @Test
  void aGoMemoryHogIsKilledWithTheMemoryReasonAndTheNextCallGetsAFreshInstance() throws Exception {
    assumeCgroups(Cgroups.MEMORY);
    assumeTrue(TestPlugins.missingGoToolchain().isEmpty(), () -> TestPlugins.missingGoToolchain().orElse(""));
    // The Go example plus a "hog" method, laid out as in the repo so its build script finds the proto.
    Path repo = TestPlugins.repo();
    Path fakeRepo = state.resolve("repo");
    Path hog = Files.createDirectories(fakeRepo.resolve("plugins/hog-go"));
    Files.createDirectories(fakeRepo.resolve("proto/src/main/proto"));
    Files.copy(repo.resolve("proto/src/main/proto/plugin.proto"), fakeRepo.resolve("proto/src/main/proto/plugin.proto"));
    TestPlugins.executable(hog.resolve("scripts/build.sh"), Files.readString(repo.resolve("plugins/hello-go/scripts/build.sh")));
    Files.writeString(hog.resolve("main.go"), Files.readString(repo.resolve("plugins/hello-go/main.go")).replace(
        "\tdefault:\n", GO_HOG_METHOD + "\tdefault:\n"));
    Path cache = repo.resolve("plugins/hello-go/.build/cache");
    if (Files.isDirectory(cache)) { // the example's compiled packages: a cold Go build takes minutes here
      SandboxedPlugins.copyTree(cache, hog.resolve(".build/cache"));
    }
    Files.writeString(hog.resolve("plugin.json"), TestPlugins.manifest("test.plugins.go-hog", "./bin/hello-world",
        "\"runner\": {\"memory_mb\": 64}"));
    startManager(PluginManagerConfig.defaults(fakeRepo.resolve("plugins")).withBuildTimeout(Duration.ofMinutes(10)));
    manager.register("test.plugins.go-hog");
    String firstPid = manager.execute("test.plugins.go-hog", "info", JSON.createObjectNode()).data().path("pid").asText();

    var before = readyInstances("test.plugins.go-hog");
    RunnerException error = assertThrows(RunnerException.class,
        () -> manager.execute("test.plugins.go-hog", "hog", JSON.createObjectNode()));

    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code());
    assertTrue(error.getMessage().contains("killed: memory limit 64 MiB exceeded"), error.getMessage());
    awaitCrashSeen("test.plugins.go-hog", before);
    String nextPid = manager.execute("test.plugins.go-hog", "info", JSON.createObjectNode()).data().path("pid").asText();
    assertTrue(!nextPid.equals(firstPid), "a fresh instance answers");
  }

  private static final String GO_HOG_METHOD = """
      	case "hog":
      		kept := make([][]byte, 0, 1024)
      		for i := 0; i < 1024; i++ {
      			chunk := make([]byte, 1<<20)
      			for j := range chunk {
      				chunk[j] = byte(i)
      			}
      			kept = append(kept, chunk)
      		}
      		return pack(map[string]interface{}{"allocated_mb": len(kept)})
      """;

  @Test
  void aGoPluginStartsAndAnswersUnderAMemoryLimitThatAnAddressSpaceLimitWouldNotLetItStartWith() throws Exception {
    assumeCgroups(Cgroups.MEMORY);
    assumeTrue(TestPlugins.missingGoToolchain().isEmpty(), () -> TestPlugins.missingGoToolchain().orElse(""));
    Path examples = TestPlugins.repo().resolve("plugins");
    try (PluginManager builder = new PluginManager(PluginManagerConfig.defaults(examples)
        .withStateDir(state.resolve("build")), new RecordingListener())) {
      builder.build("com.jank.plugins.hello-world", line -> { });
    }
    Path binary = Files.createDirectories(plugins.resolve("go-limited/bin")).resolve("hello-world");
    Files.copy(examples.resolve("hello-go/bin/hello-world"), binary);
    Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
    // Go reserves hundreds of MiB of address space at start: RLIMIT_AS 64 MiB kills it before main.
    Files.writeString(plugins.resolve("go-limited/plugin.json"), TestPlugins.manifest("test.plugins.go-limited",
        "./bin/hello-world", "\"runner\": {\"memory_mb\": 64}"));
    startManager(PluginManagerConfig.defaults(plugins));
    manager.register("test.plugins.go-limited");

    String answer = manager.execute("test.plugins.go-limited", "greet", JSON.createObjectNode().put("name", "cgroup"))
        .data().toString();

    assertTrue(answer.contains("cgroup"), answer);
  }

  @Test
  void aForkBombIsCappedByThePidsLimitAndReportedWhenItDiesOfIt() throws Exception {
    assumeCgroups(Cgroups.PIDS);
    // A JVM's own threads count against pids.max too: 64 leaves it room for a few dozen children.
    for (String id : new String[] {"test.plugins.forks", "test.plugins.forks-and-dies"}) {
      SandboxedPlugins.misbehaving(plugins, id, "", SandboxedPlugins.testClasspath(),
          "\"runner\": {\"max_processes\": 64, \"timeout_ms\": 120000}"); // 300 spawns are slow on a busy machine
    }
    startManager(PluginManagerConfig.defaults(plugins));
    manager.register("test.plugins.forks");
    manager.register("test.plugins.forks-and-dies");

    ObjectNode answer = manager.execute("test.plugins.forks", "spawn", JSON.createObjectNode().put("count", 300)).data();

    assertTrue(answer.path("started").asInt() < 64, answer.toString());
    assertFalse(answer.path("refused").asText().isEmpty(), answer.toString());
    manager.execute("test.plugins.forks-and-dies", "echo", JSON.createObjectNode()); // an instance is up
    var before = readyInstances("test.plugins.forks-and-dies");
    RunnerException error = assertThrows(RunnerException.class, () -> manager.execute("test.plugins.forks-and-dies",
        "spawn", JSON.createObjectNode().put("count", 300).put("exit", true)));
    assertTrue(error.getMessage().contains("process limit 64 reached"), error.getMessage());
    awaitCrashSeen("test.plugins.forks-and-dies", before);
    assertEquals(42, manager.execute("test.plugins.forks-and-dies", "echo", JSON.createObjectNode().put("n", 42))
        .data().path("n").asInt());
  }

  @Test
  void whenCgroupsAreNotWritableTheWorkerSaysWhichLimitsAreNotEnforcedAndStillRunsPlugins() throws Exception {
    Path readOnly = Files.createDirectories(state.resolve("not-a-cgroup-root"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    TestPlugins.javaPlugin(plugins, "limited", "test.plugins.limited", MisbehavingPlugin.class, "",
        "\"runner\": {\"max_processes\": 4096, \"cpu_millis\": 500}");
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    ((Logger) LoggerFactory.getLogger(Isolation.class)).addAppender(logged);
    try {
      startManager(PluginManagerConfig.defaults(plugins).withCgroupRoot(readOnly));
      manager.register("test.plugins.limited");

      assertEquals(7, manager.execute("test.plugins.limited", "echo", JSON.createObjectNode().put("n", 7))
          .data().path("n").asInt());
    } finally {
      ((Logger) LoggerFactory.getLogger(Isolation.class)).detachAppender(logged);
    }
    String warning = logged.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(line -> line.contains(readOnly.toString())).findFirst().orElseThrow();
    assertTrue(warning.contains("memory_mb only as RLIMIT_AS"), warning);
    assertTrue(warning.contains("max_processes only as RLIMIT_NPROC"), warning);
    assertTrue(warning.contains("cpu_millis not enforced"), warning);
  }
}
