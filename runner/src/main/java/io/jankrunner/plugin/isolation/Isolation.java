package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.process.ProcessSpawner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How plugin instances are contained on this machine: which manifest limits cgroups enforce and
 * which fall back to rlimits, which user each plugin runs as, and whether each instance gets a
 * network namespace of its own. Detected once per cgroup root, user setting and separation
 * settings, and logged then (a WARN naming every limit that is weaker than asked for).
 */
public final class Isolation {

  /** The plugin user setting that gives every plugin a uid of its own from the operator's range. */
  public static final String AUTO_PLUGIN_USER = "auto";
  /** The plugin user setting that keeps the worker's own user for plugins. */
  public static final String WORKER_PLUGIN_USER = "worker";

  private static final Logger log = LoggerFactory.getLogger(Isolation.class);
  private static final Map<List<Object>, Isolation> DETECTED = new ConcurrentHashMap<>();

  private final Cgroups cgroups;
  private final PluginUsers users;
  private final Optional<String> userError;
  private final PluginSeparation separation;
  private final NetworkNamespaces netns;
  private final Path tempParent;

  private Isolation(Cgroups cgroups, PluginUsers users, Optional<String> userError, PluginSeparation separation,
                    NetworkNamespaces netns, Path tempParent) {
    this.cgroups = cgroups;
    this.users = users;
    this.userError = userError;
    this.separation = separation;
    this.netns = netns;
    this.tempParent = tempParent;
  }

  /**
   * The isolation for a cgroup root, a plugin user setting ({@code auto}, {@code worker}, a user
   * name or {@code uid:gid}), the separation settings, with instance temp dirs in
   * {@code tempParent} (the worker's {@code StateDirs.instances()}: a directory only it may
   * change); the first call per set detects and logs it. One table of uids per uid range, so
   * every manager of this JVM with the same range gives a plugin the same uid.
   */
  public static Isolation of(Path cgroupRoot, String pluginUser, PluginSeparation separation, Path tempParent) {
    return DETECTED.computeIfAbsent(List.of(cgroupRoot, pluginUser, separation, tempParent),
        key -> detect(cgroupRoot, pluginUser, separation, tempParent));
  }

  private static Isolation detect(Path cgroupRoot, String pluginUser, PluginSeparation separation, Path tempParent) {
    PluginUsers users = PluginUsers.NONE;
    Optional<String> userError = Optional.empty();
    try {
      users = PluginUsers.resolve(pluginUser, separation.uids(), PluginUser.workerUid());
    } catch (IllegalArgumentException e) {
      userError = Optional.of(e.getMessage());
      log.error("{}: plugins will not start until the plugin user is fixed", e.getMessage());
    }
    Isolation isolation = new Isolation(Cgroups.detect(cgroupRoot), users, userError, separation,
        NetworkNamespaces.detect(), tempParent);
    isolation.logEnforcement();
    return isolation;
  }

  /**
   * Kills and removes the instance cgroups that workers killed with SIGKILL left behind (those of
   * running workers are left alone). Returns how many.
   */
  public int sweepLeftoverCgroups() {
    int swept = cgroups.enforcesAny() ? cgroups.sweepLeftovers() : 0;
    if (swept > 0) {
      log.warn("removed {} instance cgroup(s) left behind by a worker that is gone, and killed what ran in them", swept);
    }
    return swept;
  }

  private void logEnforcement() {
    String v = cgroups.version() == Cgroups.Version.V2 ? "cgroup v2" : "cgroup v1";
    List<String> weak = new ArrayList<>();
    List<String> how = new ArrayList<>();
    if (cgroups.enforces(Cgroups.MEMORY)) {
      how.add("memory_mb by " + v + " memory (" + (cgroups.version() == Cgroups.Version.V2
          ? "memory.max, memory.swap.max=0" : "memory.limit_in_bytes, memory.memsw.limit_in_bytes") + ")");
    } else {
      weak.add("memory_mb only as RLIMIT_AS (address space: Go and JVM plugins with it may fail to start)");
    }
    if (cgroups.enforces(Cgroups.PIDS)) {
      how.add("max_processes by " + v + " pids (pids.max, threads included)");
    } else {
      weak.add("max_processes only as RLIMIT_NPROC (per user, does not bind root)");
    }
    if (cgroups.enforces(Cgroups.CPU)) {
      how.add("cpu_millis by " + v + " cpu (" + (cgroups.version() == Cgroups.Version.V2 ? "cpu.max" : "cpu.cfs_quota_us")
          + ")");
    } else {
      weak.add("cpu_millis not enforced");
    }
    if (cgroups.version() == Cgroups.Version.V1) {
      if (cgroups.enforces(Cgroups.FREEZER)) {
        how.add("teardown by cgroup v1 freezer (freeze, SIGKILL every member, thaw)");
      } else {
        weak.add("teardown kills cgroup members one by one (no freezer: a member forking meanwhile may survive)");
      }
    }
    String runAs = users.description();
    if (netns.unusable().isPresent()) {
      weak.add("no network namespaces (" + netns.unusable().get() + "): plugins share the host's network"
          + (separation.requireNetns() ? ", so none will start (--require-netns)" : ""));
    } else {
      how.add("a network namespace per instance (loopback only" + (netns.loopbackUp() ? "" : ", and down: no ip tool")
          + (separation.hostNetworkAllowed() ? "; runner.network host allowed" : "") + ")");
    }
    if (weak.isEmpty()) {
      log.info("plugin isolation: {}; {}", String.join(", ", how), runAs);
    } else {
      log.warn("plugin isolation: cgroups under {} not fully usable ({}): {}{}; {}", cgroups.root(),
          cgroups.unusableReason(), String.join(", ", weak), how.isEmpty() ? "" : "; enforced: " + String.join(", ", how),
          runAs);
    }
  }

  /**
   * Sets up one instance: its cgroups with the manifest's limits (the operator's defaults where
   * it is silent, never past the ceilings), its temp dir, its user, its rlimits.
   */
  public Sandbox sandbox(PluginManifest manifest, Path binary, PluginLimits limits) throws PluginStartException {
    String id = manifest.id();
    if (userError.isPresent()) {
      throw new PluginStartException(id, userError.get());
    }
    if (limits.requireCgroups() && !cgroups.fullyUsable()) {
      throw new PluginStartException(id, "cgroups are required (--require-cgroups) but not usable under "
          + cgroups.root() + ": " + cgroups.unusableReason());
    }
    Optional<NetworkNamespaces> ownNetwork = network(manifest);
    Optional<PluginUser> user = userFor(id);
    Optional<String> unreachable = user.flatMap(u -> u.cannotRun(binary)).or(() -> tempParentUnreachable(user));
    if (unreachable.isPresent()) {
      throw new PluginStartException(id, unreachable.get());
    }
    PluginManifest.RunnerSettings runner = manifest.runner();
    long memoryMb = limits.memoryMb(runner.memoryMb());
    int maxProcesses = limits.maxProcesses(runner.maxProcesses());
    int cpuMillis = limits.cpuMillis(runner.cpuMillis());
    Optional<Cgroups.Instance> cgroup = Optional.empty();
    Path temp = null;
    try {
      if (cgroups.enforcesAny()) {
        cgroup = Optional.of(cgroups.create(id, memoryMb, maxProcesses, cpuMillis));
      }
      temp = privateTempDir(user);
    } catch (IOException | RuntimeException e) {
      cgroup.ifPresent(Cgroups.Instance::remove);
      throw new PluginStartException(id, "could not set up the plugin's sandbox: " + e.getMessage(), e);
    }
    // Without the controller, only a limit the manifest itself asks for falls back to an rlimit:
    // RLIMIT_AS at the default memory stops JVM and Go plugins from starting, and RLIMIT_NPROC
    // counts every process of the (shared) plugin user, not this instance's.
    ProcessSpawner.Limits rlimits = new ProcessSpawner.Limits(
        cgroups.enforces(Cgroups.MEMORY) || runner.memoryMb().isEmpty() ? OptionalLong.empty() : OptionalLong.of(memoryMb),
        cgroups.enforces(Cgroups.PIDS) || runner.maxProcesses().isEmpty() ? OptionalInt.empty()
            : OptionalInt.of(maxProcesses),
        OptionalLong.of(limits.fileSizeMb()), OptionalInt.of(limits.openFiles()));
    return new Sandbox(cgroup, user, temp, rlimits, ownNetwork);
  }

  /**
   * Why no instance of plugin {@code pluginId} could start from {@code path} on this worker,
   * whatever is retried: the plugin user setting cannot be honoured, no uid is left for it, or
   * its user may not reach {@code path} (the binary, or for a plugin not built yet its directory)
   * or the temp dir's parent. Checked at registration and by {@code plugins list}, so a problem
   * certain before any start is not found by starting; no uid is handed out by it.
   *
   * @return the reason with the fix, empty when nothing stands in the way
   */
  public Optional<String> startRefusal(String pluginId, Path path) {
    if (userError.isPresent()) {
      return userError;
    }
    Optional<PluginUser> user;
    try {
      user = users.wouldRun(pluginId);
    } catch (IllegalStateException e) {
      return Optional.of(e.getMessage());
    }
    return user.flatMap(u -> Files.isDirectory(path) ? u.cannotEnter(path) : u.cannotRun(path))
        .or(() -> tempParentUnreachable(user));
  }

  /**
   * Whether a plugin with this manifest may have the host's network: only with the operator's
   * permission ({@code --plugin-network-host}).
   *
   * @return the reason it may not, empty when it may or does not ask
   */
  public Optional<String> hostNetworkRefusal(PluginManifest manifest) {
    if (manifest.runner().network() != PluginManifest.RunnerSettings.Network.HOST || separation.hostNetworkAllowed()) {
      return Optional.empty();
    }
    return Optional.of("runner.network \"host\" is not permitted on this worker: plugins get a network namespace "
        + "of their own (loopback only) unless the operator allows the host's with --plugin-network-host "
        + "(env " + PluginSeparation.NETWORK_HOST_ENV + "=true)");
  }

  /** The namespaces to start an instance of {@code manifest} in; empty for the host's network. */
  private Optional<NetworkNamespaces> network(PluginManifest manifest) throws PluginStartException {
    Optional<String> refused = hostNetworkRefusal(manifest);
    if (refused.isPresent()) {
      throw new PluginStartException(manifest.id(), refused.get());
    }
    if (manifest.runner().network() == PluginManifest.RunnerSettings.Network.HOST) {
      return Optional.empty();
    }
    if (netns.unusable().isPresent() && separation.requireNetns()) {
      throw new PluginStartException(manifest.id(), "network namespaces are required (--require-netns) but cannot "
          + "be created here: " + netns.unusable().get());
    }
    return netns.unusable().isPresent() ? Optional.empty() : Optional.of(netns);
  }

  /** Who {@code pluginId}'s instances and builds run as; empty for the worker's own user. */
  private Optional<PluginUser> userFor(String pluginId) throws PluginStartException {
    try {
      return users.forPlugin(pluginId);
    } catch (IllegalStateException e) {
      throw new PluginStartException(pluginId, e.getMessage());
    }
  }

  /**
   * Sets up one run of a plugin's {@code scripts/build.sh}: plugin code as much as the plugin
   * itself, so it runs as the plugin user, in a cgroup at the operator's ceilings (a build needs
   * more than an instance, never more than the most an instance may get), with RLIMIT_FSIZE and a
   * fresh private directory as HOME and TMPDIR, removed after.
   *
   * <p>Where it writes: in its own plugin directory and nowhere else in the plugins dir. With a
   * plugin user the build runs only if that directory is writable by the user (the operator
   * hands it over, e.g. {@code chown -R 61234:61234 plugins/x}); otherwise it is refused with a
   * message, rather than building as root in a directory plugin code chose. A build copied to a
   * private tree and installed back by root would have to follow or refuse every link the build
   * left, and is not what this does.
   *
   * @throws IllegalStateException with the reason when the build may not run here
   */
  public Sandbox buildSandbox(String id, Path pluginDir, PluginLimits limits) {
    if (userError.isPresent()) {
      throw new IllegalStateException(userError.get());
    }
    if (limits.requireCgroups() && !cgroups.fullyUsable()) {
      throw new IllegalStateException("cgroups are required (--require-cgroups) but not usable under "
          + cgroups.root() + ": " + cgroups.unusableReason());
    }
    Optional<PluginUser> user = users.forPlugin(id);
    Optional<String> tempUnreachable = tempParentUnreachable(user);
    if (tempUnreachable.isPresent()) {
      throw new IllegalStateException(tempUnreachable.get());
    }
    Optional<String> refused = user.flatMap(u -> u.cannotBuildIn(pluginDir));
    if (refused.isPresent()) {
      throw new IllegalStateException(refused.get() + "; builds run as the plugin user, in the plugin's own "
          + "directory only; make it writable by that user (e.g. chown -R " + user.get().uid() + ":"
          + user.get().gid() + " " + pluginDir + ") or build it before deploying");
    }
    Optional<Cgroups.Instance> cgroup = Optional.empty();
    try {
      if (cgroups.enforcesAny()) {
        cgroup = Optional.of(cgroups.create(id + "-build", limits.memoryMbMax(), limits.maxProcessesMax(),
            limits.cpuMillisMax()));
      }
      Path temp = privateTempDir(user);
      // The host's network: a build fetches its dependencies.
      return new Sandbox(cgroup, user, temp, new ProcessSpawner.Limits(OptionalLong.empty(), OptionalInt.empty(),
          OptionalLong.of(limits.fileSizeMb()), OptionalInt.empty()), Optional.empty());
    } catch (IOException | RuntimeException e) {
      cgroup.ifPresent(Cgroups.Instance::remove);
      throw new IllegalStateException("could not set up the build's sandbox: " + e.getMessage(), e);
    }
  }

  /** Why the plugin user could not reach its temp dir (a state dir under a parent it may not enter); empty if it can. */
  private Optional<String> tempParentUnreachable(Optional<PluginUser> user) {
    return user.flatMap(u -> u.cannotEnter(tempParent))
        .map(problem -> problem + " (the plugin's temp dir goes under " + tempParent + ", in the state dir, --state-dir,"
            + " so every parent of it must let that user pass)");
  }

  /** A directory only the plugin's user may use, under one the plugin user may enter but not list. */
  private Path privateTempDir(Optional<PluginUser> user) throws IOException {
    // tempParent is the state dir's 0711 tmp/, created and checked (owner, no link) by StateDirs.
    // Short: the plugin's unix socket goes in here, and a socket path may not exceed 107 bytes.
    Path dir = Files.createTempDirectory(tempParent, "p",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    if (user.isPresent()) {
      Files.setAttribute(dir, "unix:uid", user.get().uid());
      Files.setAttribute(dir, "unix:gid", user.get().gid());
    }
    return dir;
  }
}
