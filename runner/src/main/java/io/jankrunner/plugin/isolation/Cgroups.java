package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.process.ProcessOwner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup controllers this worker can use to bound plugin instances: {@code memory},
 * {@code pids} and {@code cpu}, found under one root either as cgroup v2 (a unified hierarchy,
 * recognised by {@code cgroup.controllers} at the root) or as v1 (one hierarchy per controller,
 * {@code root/memory}, {@code root/pids}, {@code root/cpu}).
 *
 * <p>Each controller is probed by creating a cgroup and checking that the kernel populated it, so
 * a read-only root, a plain directory or a controller that is not mounted all read as "not
 * usable" and the limit it would enforce falls back to an rlimit (see {@link Isolation}).
 * Instance cgroups go under {@code jank-runner} below the worker's own cgroup in v1 (so they
 * stay inside whatever bounds the worker) and below the root in v2 (the one place v2 lets
 * controllers be enabled for children while holding processes).
 */
final class Cgroups {

  static final String MEMORY = "memory";
  static final String PIDS = "pids";
  static final String CPU = "cpu";
  /** v1 only: stops an instance's processes (so none can fork) while the last of them are killed. */
  static final String FREEZER = "freezer";
  private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
  private static final long MIB = 1024 * 1024;
  private static final long CPU_PERIOD_US = 100_000;
  /**
   * An instance cgroup's name: the plugin id, then the owning worker ({@link ProcessOwner}: pid
   * and start time) and a counter, so a later worker can tell a dead worker's leftovers from a
   * live one's.
   */
  private static final Pattern INSTANCE_NAME = Pattern.compile(".+\\.(?<owner>" + ProcessOwner.NAME_REGEX + ")\\.\\d+");

  enum Version { V1, V2 }

  private final Version version;
  private final Path root;
  /** Usable controller → the directory new instance cgroups go under. */
  private final Map<String, Path> bases;
  private final String unusableReason;
  private final AtomicLong instances = new AtomicLong();

  private Cgroups(Version version, Path root, Map<String, Path> bases, String unusableReason) {
    this.version = version;
    this.root = root;
    this.bases = bases;
    this.unusableReason = unusableReason;
  }

  static Cgroups detect(Path root) {
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      return detectV2(root);
    }
    Map<String, Path> bases = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (String controller : List.of(MEMORY, PIDS, CPU, FREEZER)) {
      Path mount = root.resolve(controller);
      Path base = mount.resolve(ownPath(controller).substring(1)).resolve("jank-runner");
      String check = switch (controller) {
        case MEMORY -> "memory.limit_in_bytes";
        case PIDS -> "pids.max";
        case FREEZER -> "freezer.state";
        default -> "cpu.cfs_quota_us";
      };
      probe(base, check).ifPresentOrElse(problem -> problems.add(controller + ": " + problem),
          () -> bases.put(controller, base));
    }
    return new Cgroups(Version.V1, root, bases, String.join("; ", problems));
  }

  private static Cgroups detectV2(Path root) {
    Path base = root.resolve("jank-runner");
    Map<String, Path> bases = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    try {
      Files.createDirectories(base);
    } catch (IOException | RuntimeException e) {
      return new Cgroups(Version.V2, root, bases, "cannot create " + base + ": " + e);
    }
    for (String controller : List.of(MEMORY, PIDS, CPU)) {
      // Children get a controller only if every ancestor below the root enables it for its subtree.
      boolean enabled = write(root.resolve("cgroup.subtree_control"), "+" + controller)
          && write(base.resolve("cgroup.subtree_control"), "+" + controller);
      String check = controller.equals(CPU) ? "cpu.max" : controller + ".max";
      Optional<String> problem = enabled ? probe(base, check) : Optional.of("cannot enable it under " + base);
      problem.ifPresentOrElse(p -> problems.add(controller + ": " + p), () -> bases.put(controller, base));
    }
    return new Cgroups(Version.V2, root, bases, String.join("; ", problems));
  }

  /** Creates a throwaway cgroup under {@code base}; empty when the kernel made it a real one. */
  private static Optional<String> probe(Path base, String controlFile) {
    Path probe = base.resolve("probe-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(probe);
      boolean real = Files.exists(probe.resolve("cgroup.procs")) && Files.exists(probe.resolve(controlFile));
      return real ? Optional.empty() : Optional.of(base + " is not a cgroup filesystem with " + controlFile);
    } catch (IOException | RuntimeException e) {
      return Optional.of("cannot create a cgroup under " + base + " (" + e.getMessage() + ")");
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (IOException | RuntimeException e) {
        // a plain directory with files in it, say: nothing to clean in a real cgroupfs
      }
    }
  }

  /** This process's cgroup in a v1 hierarchy, from /proc/self/cgroup ("4:memory:/path"); "/" if unknown. */
  private static String ownPath(String controller) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        String[] parts = line.split(":", 3);
        if (parts.length == 3 && List.of(parts[1].split(",")).contains(controller)) {
          return parts[2].startsWith("/") ? parts[2] : "/" + parts[2];
        }
      }
    } catch (IOException e) {
      // fall through: assume the hierarchy's root
    }
    return "/";
  }

  Version version() {
    return version;
  }

  Path root() {
    return root;
  }

  boolean enforces(String controller) {
    return bases.containsKey(controller);
  }

  /** At least one controller works: an instance gets a cgroup. */
  boolean enforcesAny() {
    return !bases.isEmpty();
  }

  /**
   * Memory, pids and cpu all bound instances here, and teardown reaches every descendant (the
   * freezer on v1; v2's cgroup.kill, or a kill loop on kernels before 5.14, needs no controller).
   */
  boolean fullyUsable() {
    return enforces(MEMORY) && enforces(PIDS) && enforces(CPU) && (version == Version.V2 || enforces(FREEZER));
  }

  /** Why controllers are missing, empty when all work. */
  String unusableReason() {
    return unusableReason;
  }

  /**
   * Creates the cgroup(s) of one instance with its limits written, in every controller usable
   * here; the caller falls back to rlimits for the rest.
   */
  Instance create(String pluginId, long memoryMb, int maxProcesses, int cpuMillis) throws IOException {
    String name = pluginId + "." + ProcessOwner.self() + "." + instances.incrementAndGet();
    Map<String, Path> dirs = new LinkedHashMap<>();
    Instance instance = new Instance(version, dirs, memoryMb, maxProcesses);
    try {
      if (enforces(MEMORY)) {
        Path dir = dir(dirs, MEMORY, name);
        long bytes = memoryMb * MIB;
        if (version == Version.V2) {
          writeOrThrow(dir.resolve("memory.max"), Long.toString(bytes));
          writeIfPresent(dir.resolve("memory.swap.max"), "0");
        } else {
          writeOrThrow(dir.resolve("memory.limit_in_bytes"), Long.toString(bytes));
          // memory+swap equal to memory: no swap. Without swap accounting, keep it from swapping.
          if (!writeIfPresent(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes))) {
            writeIfPresent(dir.resolve("memory.swappiness"), "0");
          }
        }
      }
      if (enforces(PIDS)) {
        writeOrThrow(dir(dirs, PIDS, name).resolve("pids.max"), Integer.toString(maxProcesses));
      }
      if (enforces(CPU)) {
        Path dir = dir(dirs, CPU, name);
        long quota = cpuMillis * CPU_PERIOD_US / 1000;
        if (version == Version.V2) {
          writeOrThrow(dir.resolve("cpu.max"), quota + " " + CPU_PERIOD_US);
        } else {
          writeOrThrow(dir.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
          writeOrThrow(dir.resolve("cpu.cfs_quota_us"), Long.toString(quota));
        }
      }
      if (enforces(FREEZER)) {
        dir(dirs, FREEZER, name);
      }
    } catch (IOException | RuntimeException e) {
      instance.remove();
      throw e;
    }
    return instance;
  }

  /**
   * Kills the members of, and removes, the instance cgroups of workers that are gone (a worker
   * killed with SIGKILL never removed its own); those of running workers, this one's included,
   * are left alone. Returns how many were swept.
   */
  int sweepLeftovers() {
    Map<String, Map<String, Path>> leftovers = new LinkedHashMap<>();
    bases.forEach((controller, base) -> {
      try (var children = Files.newDirectoryStream(base, Files::isDirectory)) {
        for (Path child : children) {
          String name = child.getFileName().toString();
          Matcher matcher = INSTANCE_NAME.matcher(name);
          if (matcher.matches() && !ProcessOwner.isRunning(matcher.group("owner"))) {
            leftovers.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(controller, child);
          }
        }
      } catch (IOException | RuntimeException e) {
        // no base to sweep
      }
    });
    int swept = 0;
    for (Map.Entry<String, Map<String, Path>> leftover : leftovers.entrySet()) {
      if (new Instance(version, leftover.getValue(), 0, 0).remove()) {
        swept++;
      } else {
        log.warn("could not empty and remove the leftover cgroup {} ({})", leftover.getKey(), leftover.getValue().values());
      }
    }
    return swept;
  }

  /** v2 has one directory for every controller; v1 one per hierarchy. */
  private Path dir(Map<String, Path> dirs, String controller, String name) throws IOException {
    Path dir = bases.get(controller).resolve(name);
    if (!dirs.containsValue(dir)) {
      Files.createDirectories(dir);
    }
    dirs.put(controller, dir);
    return dir;
  }

  private static boolean write(Path file, String value) {
    try {
      Files.writeString(file, value, StandardCharsets.US_ASCII);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void writeOrThrow(Path file, String value) throws IOException {
    try {
      Files.writeString(file, value, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException("cannot write " + value + " to " + file + ": " + e.getMessage(), e);
    }
  }

  private static boolean writeIfPresent(Path file, String value) {
    return Files.exists(file) && write(file, value);
  }

  /** The cgroups of one plugin instance. */
  static final class Instance {
    private final Version version;
    private final Map<String, Path> dirs;
    private final long memoryMb;
    private final int maxProcesses;

    private Instance(Version version, Map<String, Path> dirs, long memoryMb, int maxProcesses) {
      this.version = version;
      this.dirs = dirs;
      this.memoryMb = memoryMb;
      this.maxProcesses = maxProcesses;
    }

    /** The {@code cgroup.procs} files a process writes its pid to, to join every cgroup of the instance. */
    List<Path> procsFiles() {
      return dirs.values().stream().distinct().map(dir -> dir.resolve("cgroup.procs")).toList();
    }

    /**
     * Which limit the instance ran into, from the kernel's counters: the OOM killer's kills in
     * the memory cgroup, forks the pids controller refused. Empty when neither happened.
     */
    Optional<String> limitHit() {
      Optional<String> memory = Optional.ofNullable(dirs.get(MEMORY)).flatMap(dir -> {
        long kills = version == Version.V2 ? counter(dir.resolve("memory.events"), "oom_kill")
            : counter(dir.resolve("memory.oom_control"), "oom_kill");
        return kills > 0 ? Optional.of("killed: memory limit " + memoryMb + " MiB exceeded") : Optional.empty();
      });
      if (memory.isPresent()) {
        return memory;
      }
      return Optional.ofNullable(dirs.get(PIDS)).flatMap(dir -> {
        long refused = counter(dir.resolve("pids.events"), "max");
        return refused > 0 ? Optional.of("process limit " + maxProcesses + " reached (" + refused
            + " forks refused)") : Optional.empty();
      });
    }

    /**
     * Kills whatever is left in the cgroups (a plugin's children, double-forked or not: leaving
     * the process group or session does not leave the cgroup), then removes them. Returns
     * whether they are gone, and every process in them with them.
     */
    boolean remove() {
      killEveryMember();
      for (Path dir : dirs.values().stream().distinct().toList()) {
        for (int attempt = 0; attempt < 50 && Files.exists(dir); attempt++) {
          killMembers(dir);
          try {
            Files.deleteIfExists(dir);
          } catch (IOException e) {
            // EBUSY while killed members are still exiting
            sleep(20 + attempt * 5);
          }
        }
      }
      return dirs.values().stream().noneMatch(Files::exists);
    }

    /**
     * v2: {@code cgroup.kill} SIGKILLs every member at once, in the kernel. v1 has no such file,
     * and killing pid by pid races a member that forks between the read and the kill, so the
     * freezer stops them all first; the SIGKILLs are delivered as they thaw.
     */
    private void killEveryMember() {
      Optional<Path> any = dirs.values().stream().findFirst();
      if (any.isEmpty()) {
        return;
      }
      if (version == Version.V2) {
        if (!writeIfPresent(any.get().resolve("cgroup.kill"), "1")) {
          killMembers(any.get()); // kernel before 5.14: the loop in remove() catches late forks
        }
        return;
      }
      Path freezer = dirs.get(FREEZER);
      if (freezer == null) {
        return;
      }
      Path state = freezer.resolve("freezer.state");
      if (!write(state, "FROZEN")) {
        return;
      }
      for (int attempt = 0; attempt < 200 && !read(state).equals("FROZEN"); attempt++) {
        sleep(5); // FREEZING until every member has stopped
      }
      killMembers(freezer);
      write(state, "THAWED");
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
      } catch (IOException | RuntimeException e) {
        return "";
      }
    }

    private static void killMembers(Path dir) {
      try {
        for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
          if (!pid.isBlank()) {
            ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
          }
        }
      } catch (IOException | RuntimeException e) {
        // gone already
      }
    }

    private static long counter(Path file, String key) {
      try {
        for (String line : Files.readAllLines(file)) {
          String[] parts = line.strip().split("\\s+");
          if (parts.length == 2 && parts[0].equals(key)) {
            return Long.parseLong(parts[1]);
          }
        }
      } catch (IOException | RuntimeException e) {
        // no such counter on this kernel
      }
      return 0;
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
