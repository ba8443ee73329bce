package io.jankrunner.plugin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.isolation.Isolation;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.Sandbox;
import io.jankrunner.plugin.process.FileTrees;
import io.jankrunner.plugin.process.StateDirs;
import io.jankrunner.plugin.process.UnsafePathException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's paths hold against the users it runs plugins as: a plugin racing the removal of
 * its temp dir deletes nothing outside it, a journal the worker did not write kills nothing, a
 * state dir someone else made stops the worker, and cgroups a SIGKILLed worker left are swept.
 */
class SafePathsIT {

  private static final String ID = "test.plugins.echo";
  private static final Path CGROUP_ROOT = PluginManagerConfig.DEFAULT_CGROUP_ROOT;
  private static final int NOBODY = 65534;
  private static final int ROUNDS = 12;
  private static final int SWAPPED_DIRS = 20;
  private static final int FILES_PER_DIR = 50;
  private static final Path PYTHON = Path.of("/usr/bin/python3");

  /**
   * Run as the plugin user in its temp dir: fills it, says "ready", then forever swaps each
   * directory for a link to {@code outside} and back. The link is up half the time, so a
   * deletion that lists or deletes through it would hit the files of the same names outside.
   */
  private static final String SWAPPER = """
      import os, sys
      tmp, outside, dirs, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
      os.chdir(tmp)
      for i in range(dirs):
          os.mkdir("d%d" % i)
          for j in range(files):
              open("d%d/f%d" % (i, j), "w").close()
      print("ready", flush=True)
      def attempt(step, *args):
          try:
              step(*args)
          except OSError:
              pass
      while True:
          for i in range(dirs):
              attempt(os.rename, "d%d" % i, "s%d" % i)
              attempt(os.symlink, outside, "d%d" % i)
              for _ in range(300):
                  pass
              attempt(os.unlink, "d%d" % i)
              attempt(os.rename, "s%d" % i, "d%d" % i)
      """;

  @TempDir Path base;

  private PluginManagerConfig config(Path state) {
    return PluginManagerConfig.defaults(base.resolve("plugins")).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(2));
  }

  @Test
  void aPluginSwappingADirectoryInItsTempDirForALinkDuringRemovalDeletesNothingOutside() throws Exception {
    assumeTrue(StateDirs.workerUid() == 0, "the worker is not root: there is no plugin user to race it");
    assumeTrue(Files.isExecutable(PYTHON), "the swapper needs " + PYTHON);
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    // Root's files, which the plugin user may name in a link but not delete itself.
    Path outside = Files.createDirectories(base.resolve("outside"));
    for (int j = 0; j < FILES_PER_DIR; j++) {
      Files.writeString(outside.resolve("f" + j), "root's");
    }
    Path swapper = base.resolve("swapper.py");
    Files.writeString(swapper, SWAPPER);
    Files.setPosixFilePermissions(swapper, PosixFilePermissions.fromString("rw-r--r--"));
    Path pluginDir = Files.createDirectories(base.resolve("plugin"));
    TestPlugins.executable(pluginDir.resolve("scripts/build.sh"), "#!/bin/sh\n");
    try (Stream<Path> paths = Files.walk(pluginDir)) {
      for (Path path : paths.toList()) {
        Files.setAttribute(path, "unix:uid", NOBODY);
      }
    }
    StateDirs dirs = StateDirs.open(base.resolve("state"));
    Isolation isolation = Isolation.of(CGROUP_ROOT, "nobody", io.jankrunner.plugin.isolation.PluginSeparation.DEFAULT,
        dirs.instances());

    for (int round = 0; round < ROUNDS; round++) {
      Sandbox sandbox = isolation.buildSandbox("test.swapper", pluginDir, PluginLimits.DEFAULT);
      Path temp = Path.of(sandbox.buildEnvironment(Map.of()).get("TMPDIR"));
      Process racer = new ProcessBuilder(sandbox.command(List.of(PYTHON.toString(), swapper.toString(), temp.toString(),
          outside.toString(), Integer.toString(SWAPPED_DIRS), Integer.toString(FILES_PER_DIR))))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try {
        String ready = new BufferedReader(new InputStreamReader(racer.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
        assertEquals("ready", ready, "the swapper runs as the plugin user in its temp dir");

        FileTrees.delete(temp); // while it swaps: the race itself
        sandbox.release(); // then as the worker does it: kill the cgroup, delete what is left

        for (int j = 0; j < FILES_PER_DIR; j++) {
          assertTrue(Files.exists(outside.resolve("f" + j)), "round " + round + ": outside/f" + j + " was deleted");
        }
        assertFalse(Files.exists(temp, LinkOption.NOFOLLOW_LINKS), "round " + round + ": the temp dir is gone");
      } finally {
        racer.destroyForcibly();
        sandbox.release();
      }
    }
  }

  @Test
  void aForgedJournalTheWorkerDidNotWriteIsIgnoredAndKillsNothing() throws Exception {
    assumeTrue(StateDirs.workerUid() == 0, "only root can make files of another user");
    Path state = base.resolve("state");
    Path journal = StateDirs.open(state).journal(); // as a previous worker left it
    Process victim = new ProcessBuilder("sleep", "600").start();
    Process orphan = new ProcessBuilder("sleep", "600").start();
    try {
      String victimEntry = startMillis(victim) + "\nsleep 600\n";
      // another user's owner dir and entry
      Path theirs = Files.createDirectory(journal.resolve("999999997-1"));
      Files.writeString(theirs.resolve(Long.toString(victim.pid())), victimEntry);
      Files.setAttribute(theirs.resolve(Long.toString(victim.pid())), "unix:uid", NOBODY);
      Files.setAttribute(theirs, "unix:uid", NOBODY);
      // an owner dir that is a link to a directory someone else wrote
      Path elsewhere = Files.createDirectories(base.resolve("elsewhere"));
      Files.writeString(elsewhere.resolve(Long.toString(victim.pid())), victimEntry);
      Files.createSymbolicLink(journal.resolve("999999996-1"), elsewhere);
      // the worker's owner dir, but the entry is a link to a forged file
      Path linked = Files.createDirectory(journal.resolve("999999995-1"));
      Files.createSymbolicLink(linked.resolve(Long.toString(victim.pid())), elsewhere.resolve(Long.toString(victim.pid())));
      // an owner dir anyone may write into
      Path open = Files.createDirectory(journal.resolve("999999994-1"));
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.writeString(open.resolve(Long.toString(victim.pid())), victimEntry);
      // and one real entry of a dead worker, so the sweep is seen to run
      Path dead = Files.createDirectory(journal.resolve("999999993-1"));
      Files.writeString(dead.resolve(Long.toString(orphan.pid())), startMillis(orphan) + "\nsleep 600\n");

      try (PluginManager next = new PluginManager(config(state), PluginStateListener.NONE)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !orphan.isAlive());
        assertTrue(victim.isAlive(), "a process named only by forged entries survives");
        assertTrue(Files.exists(theirs) && Files.exists(open), "directories the worker did not make are left as found");
        assertTrue(Files.exists(elsewhere.resolve(Long.toString(victim.pid()))), "a link's target is not deleted");
        assertFalse(Files.exists(dead) || Files.exists(linked), "the dead worker's own directories are swept");
      }
    } finally {
      victim.destroyForcibly();
      orphan.destroyForcibly();
    }
  }

  @Test
  void aStateDirPreCreatedByAnotherUserWithAForgedJournalStopsTheWorkerAndKillsNothing() throws Exception {
    assumeTrue(StateDirs.workerUid() == 0, "only root can make directories of another user");
    Process victim = new ProcessBuilder("sleep", "600").start();
    try {
      Path state = Files.createDirectories(base.resolve("state/journal/999999992-1"));
      Files.writeString(state.resolve(Long.toString(victim.pid())), startMillis(victim) + "\nsleep 600\n");
      try (Stream<Path> paths = Files.walk(base.resolve("state"))) {
        for (Path path : paths.toList()) {
          Files.setAttribute(path, "unix:uid", NOBODY);
        }
      }

      UnsafePathException refused = assertThrows(UnsafePathException.class,
          () -> new PluginManager(config(base.resolve("state")), PluginStateListener.NONE));

      assertTrue(refused.getMessage().contains("unsafe state dir " + base.toRealPath().resolve("state")
          + ": it is owned by uid " + NOBODY), refused.getMessage());
      assertTrue(refused.getMessage().contains("or choose another state dir (--state-dir)"), refused.getMessage());
      assertTrue(victim.isAlive());
    } finally {
      victim.destroyForcibly();
    }
  }

  @Test
  void aStateDirThatIsALinkStopsTheWorkerWithTheMessage() throws Exception {
    Path target = Files.createDirectories(base.resolve("attacker/state"));
    Path state = Files.createSymbolicLink(base.resolve("state"), target);

    UnsafePathException refused = assertThrows(UnsafePathException.class,
        () -> new PluginManager(config(state), PluginStateListener.NONE));

    assertTrue(refused.getMessage().contains(": it is a symbolic link (to " + target + ")"), refused.getMessage());
    assertFalse(Files.exists(target.resolve("journal")), "nothing was made through the link");
  }

  @Test
  void aStateDirThePluginUserCannotPassThroughIsRefusedAtRegister() throws Exception {
    assumeTrue(StateDirs.workerUid() == 0, "the worker is not root: there is no plugin user");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path plugins = Files.createDirectories(base.resolve("plugins"));
    TestPlugins.scriptPlugin(plugins, "script", "test.plugins.script", "exit 0", "");
    Path closed = Files.createDirectory(base.resolve("closed"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try (PluginManager manager = new PluginManager(config(closed.resolve("state")).withPluginUser("nobody"),
        PluginStateListener.NONE)) {
      io.jankrunner.RunnerException refused = assertThrows(io.jankrunner.RunnerException.class,
          () -> manager.register("test.plugins.script"));

      assertTrue(refused.getMessage().contains(closed.toRealPath() + " (not reachable by plugin user nobody"),
          refused.getMessage());
      assertTrue(refused.getMessage().contains("every parent of it must let that user pass"), refused.getMessage());
    }
  }

  @Test
  void cgroupsLeftByAWorkerKilledWithSigkillAreSweptWhenTheNextWorkerStarts() throws Exception {
    Path plugins = Files.createDirectories(base.resolve("plugins"));
    TestPlugins.javaPlugin(plugins, "echo", ID, MisbehavingPlugin.class, "", "");
    Process worker = startWorkerJvm(plugins, base.resolve("dead"));
    long escaped;
    try {
      // A grandchild that left the plugin's session: only its cgroup holds it once the worker is gone.
      escaped = readPid(worker);
    } finally {
      worker.destroyForcibly(); // SIGKILL: the worker removes nothing
      worker.waitFor();
    }
    ProcessHandle leftover = ProcessHandle.of(escaped).orElseThrow();
    try {
      Optional<Path> cgroup = instanceCgroup(escaped);
      assumeTrue(cgroup.isPresent(), "no usable cgroup controller here: instances get no cgroup to leave behind");
      assertTrue(leftover.isAlive() && Files.isDirectory(cgroup.get()), "the SIGKILLed worker left its cgroup");

      try (PluginManager next = new PluginManager(config(base.resolve("next")), PluginStateListener.NONE)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !leftover.isAlive());
        assertFalse(Files.exists(cgroup.get()), "the leftover cgroup is removed");
      }
    } finally {
      leftover.destroyForcibly();
    }
  }

  @Test
  void aWorkerStartingBesideALiveOneLeavesTheLiveOnesCgroupsAlone() throws Exception {
    Path plugins = Files.createDirectories(base.resolve("plugins"));
    TestPlugins.javaPlugin(plugins, "echo", ID, MisbehavingPlugin.class, "", "");
    try (PluginManager live = new PluginManager(config(base.resolve("live")), PluginStateListener.NONE)) {
      live.register(ID);
      long escaped = live.execute(ID, "escape", new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode())
          .data().path("pid").asLong();
      ProcessHandle member = ProcessHandle.of(escaped).orElseThrow();
      try {
        Optional<Path> cgroup = instanceCgroup(escaped);
        assumeTrue(cgroup.isPresent(), "no usable cgroup controller here");

        Process other = startWorkerJvm(plugins, base.resolve("other"));
        try {
          readPid(other); // it has swept at its start, and started a plugin of its own since
        } finally {
          other.destroyForcibly();
          other.waitFor();
        }

        assertTrue(member.isAlive(), "the live worker's instance keeps its process");
        assertTrue(Files.isDirectory(cgroup.get()), "and its cgroup");
      } finally {
        member.destroyForcibly();
      }
    }
  }

  /** A worker in a JVM of its own ({@link ManagerChild}) that starts {@link #ID} and has it double-fork. */
  private static Process startWorkerJvm(Path plugins, Path state) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestPlugins.javaLauncher().split(" ")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), ManagerChild.class.getName(),
        plugins.toString(), state.toString(), ID, "escape"));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  private static long readPid(Process worker) throws Exception {
    BufferedReader reader = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      if (line.startsWith("PLUGIN_PID ")) {
        return Long.parseLong(line.substring("PLUGIN_PID ".length()).strip());
      }
    }
    throw new AssertionError("the worker JVM exited without starting its plugin");
  }

  /** The instance cgroup {@code pid} is in (its pids cgroup on v1), from /proc; empty if it is in none of ours. */
  private static Optional<Path> instanceCgroup(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      String[] parts = line.split(":", 3);
      if (parts.length < 3 || !parts[2].contains("/jank-runner/")) {
        continue;
      }
      if (parts[0].equals("0") && parts[1].isEmpty()) {
        return Optional.of(CGROUP_ROOT.resolve(parts[2].substring(1)));
      }
      if (List.of(parts[1].split(",")).contains("pids")) {
        return Optional.of(CGROUP_ROOT.resolve(parts[1]).resolve(parts[2].substring(1)));
      }
    }
    return Optional.empty();
  }

  private static long startMillis(Process process) {
    return process.toHandle().info().startInstant().orElseThrow().toEpochMilli();
  }
}
