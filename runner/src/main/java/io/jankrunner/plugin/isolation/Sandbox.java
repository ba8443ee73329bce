package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.process.FileTrees;
import io.jankrunner.plugin.process.ProcessSpawner;
import io.jankrunner.protocol.Handshake;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one plugin instance runs inside: its cgroups, its user, its private temp dir, its network
 * namespace, and the rlimits that stand in for the cgroup controllers this machine lacks.
 * Released (cgroups emptied and removed, temp dir deleted) once the instance has exited.
 */
public final class Sandbox {

  private static final Logger log = LoggerFactory.getLogger(Sandbox.class);

  /** Joins every cgroup file given before "--", then execs the rest: so the plugin is inside before it runs. */
  private static final String JOIN_CGROUPS =
      "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"";

  private final Optional<Cgroups.Instance> cgroup;
  private final Optional<PluginUser> user;
  private final Path tempDir;
  private final ProcessSpawner.Limits rlimits;
  private final Optional<NetworkNamespaces> ownNetwork;
  private volatile Optional<String> limitHitAtRelease;
  private boolean released;

  Sandbox(Optional<Cgroups.Instance> cgroup, Optional<PluginUser> user, Path tempDir, ProcessSpawner.Limits rlimits,
          Optional<NetworkNamespaces> ownNetwork) {
    this.cgroup = cgroup;
    this.user = user;
    this.tempDir = tempDir;
    this.rlimits = rlimits;
    this.ownNetwork = ownNetwork;
  }

  /**
   * The command that runs {@code binary} in this sandbox. The network namespace is entered
   * first, and the cgroups joined and loopback brought up while still root (cgroup files and
   * the link are root's), then the user is switched, then the binary is exec'd: every step an
   * exec, so the pid the worker started is the plugin's.
   */
  public List<String> command(Path binary) {
    return command(List.of(binary.toString()));
  }

  /** {@code command} (a program and its arguments) in this sandbox, as {@link #command(Path)}. */
  public List<String> command(List<String> program) {
    List<String> command = new ArrayList<>();
    ownNetwork.ifPresent(netns -> command.addAll(netns.enter()));
    String loopbackUp = ownNetwork.map(NetworkNamespaces::loopbackUpLine).orElse("");
    if (cgroup.isPresent() || !loopbackUp.isEmpty()) {
      command.addAll(List.of("/bin/sh", "-c", loopbackUp + JOIN_CGROUPS, "jank-sandbox"));
      cgroup.ifPresent(instance -> instance.procsFiles().forEach(file -> command.add(file.toString())));
      command.add("--");
    }
    if (user.isPresent()) {
      command.add(ProcessSpawner.SETPRIV);
      command.addAll(user.get().setprivArguments());
      command.add("--");
    }
    command.addAll(program);
    return command;
  }

  /** {@code environment} with the private temp dir as TMPDIR and as the dir for the plugin's socket. */
  public Map<String, String> environment(Map<String, String> environment) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put("TMPDIR", tempDir.toString());
    env.put(Handshake.UNIX_SOCKET_DIR_ENV, tempDir.toString());
    return env;
  }

  /** {@code environment} for a build: the private dir as HOME and TMPDIR too, nothing shared with the worker's. */
  public Map<String, String> buildEnvironment(Map<String, String> environment) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put("HOME", tempDir.toString());
    env.put("TMPDIR", tempDir.toString());
    return env;
  }

  /** The process runs as another user than the worker. */
  public boolean switchesUser() {
    return user.isPresent();
  }

  /** The uid the process runs as when it {@linkplain #switchesUser switches}: what its socket's peer must be. */
  public OptionalInt uid() {
    return user.isPresent() ? OptionalInt.of(user.get().uid()) : OptionalInt.empty();
  }

  /** The instance's own directory (its TMPDIR and PLUGIN_UNIX_SOCKET_DIR): where its socket must be. */
  public Path directory() {
    return tempDir;
  }

  /** The process has a network namespace of its own: its loopback is not the worker's. */
  public boolean ownNetwork() {
    return ownNetwork.isPresent();
  }

  public ProcessSpawner.Limits rlimits() {
    return rlimits;
  }

  /** The limit the instance ran into, e.g. "killed: memory limit 256 MiB exceeded"; empty if none. Never blocks. */
  public Optional<String> limitHit() {
    Optional<String> atRelease = limitHitAtRelease;
    return atRelease != null ? atRelease : cgroup.flatMap(Cgroups.Instance::limitHit);
  }

  /**
   * After the instance exited: kills what it left in its cgroups, removes them and then the temp
   * dir. Idempotent. The temp dir goes only once the cgroups are empty (no process of the
   * instance can still change it), and without following links ({@link FileTrees#delete}).
   */
  public void release() {
    // Whole, under the lock: a second caller (the exit notification and a stop both release)
    // returns only once the first has emptied the cgroups.
    synchronized (this) {
      if (released) {
        return;
      }
      // Read the kernel's counters before the cgroups (and the counters with them) are gone.
      limitHitAtRelease = cgroup.flatMap(Cgroups.Instance::limitHit);
      boolean emptied = cgroup.map(Cgroups.Instance::remove).orElse(true);
      if (emptied) {
        FileTrees.delete(tempDir);
      } else {
        log.warn("left the temp dir {}: the instance's cgroups still hold processes", tempDir);
      }
      released = true;
    }
  }
}
