package io.jankrunner.plugin.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's own directories on this machine, all under one root it checks before it trusts
 * anything in it. As root, the worker SIGKILLs the pids its journal names and deletes instance
 * temp dirs: a root that another user created first (a predictable {@code /tmp} path) or could
 * rename would let that user forge the journal or steer the deletion. So each directory is
 * created without following links and, if it already exists, must be a real directory (not a
 * symbolic link) owned by the worker's uid and not writable by group or others, under parents
 * that only root or the worker may change (or that are sticky, as {@code /tmp}); otherwise the
 * worker refuses to start, naming the path and the fix.
 *
 * <p>The layout, and why each mode:
 * <pre>
 *   root/           0711 worker  others may pass through to a name they know, never list it
 *   root/journal/   0700 worker  the process journal: only the worker reads or writes it
 *   root/builds/    0700 worker  which build of each plugin this machine last made
 *   root/tmp/       0711 worker  parent of the instance dirs
 *   root/tmp/pNNN/  0700 plugin  one instance's (or build's) TMPDIR and socket dir, made by Isolation
 * </pre>
 * The root and {@code tmp} are 0711 and not 0700 because the plugin's user must reach its own
 * instance dir; with 0711 it can do that and nothing else (it cannot list the root, nor enter
 * the journal). A worker that is not root runs plugins as itself, and makes them 0700.
 */
public record StateDirs(Path root, Path journal, Path builds, Path instances) {

  /** The longest path of a unix socket (sun_path is 108 bytes with its terminating NUL). */
  public static final int SOCKET_PATH_MAX = 107;
  /**
   * The most a socket path adds below the root: {@code /tmp/p} and 20 digits (Isolation's
   * instance dir), then the SDKs' own {@code /plugin} and 20 digits and {@code /plugin.sock}.
   */
  static final int SOCKET_SUFFIX_MAX = "/tmp/p".length() + 20 + "/plugin".length() + 20 + "/plugin.sock".length();

  private static final Logger log = LoggerFactory.getLogger(StateDirs.class);
  private static final Path RUN = Path.of("/run");
  private static final Set<PosixFilePermission> PASS_THROUGH = PosixFilePermissions.fromString("rwx--x--x");
  private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");
  /** S_ISVTX: in a sticky directory only an entry's owner (or root) may rename or remove it. */
  private static final int STICKY = 01000;
  private static final int GROUP_OR_OTHER_WRITE = 0022;

  /**
   * {@code /run/jank-runner} for a root worker where {@code /run} is usable (a tmpfs only root
   * writes, emptied at boot as are the processes it names), else {@code $TMPDIR/jank-runner-<uid>}.
   */
  public static Path defaultRoot() {
    if (workerUid() == 0 && Files.isDirectory(RUN) && Files.isWritable(RUN)) {
      return RUN.resolve("jank-runner");
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "jank-runner-" + workerUid());
  }

  /**
   * Creates (or checks) the root and its subdirectories, with the modes above.
   *
   * @throws UnsafePathException naming the directory, what is wrong with it, and the fix
   */
  public static StateDirs open(Path root) throws IOException {
    // Only a root worker runs plugins as another user, who must pass through; otherwise 0700.
    Set<PosixFilePermission> passThrough = workerUid() == 0 ? PASS_THROUGH : PRIVATE;
    Path real = ensureDirectory(root.toAbsolutePath().normalize(), passThrough);
    if (real.toString().getBytes(StandardCharsets.UTF_8).length + SOCKET_SUFFIX_MAX > SOCKET_PATH_MAX) {
      log.warn("the state dir {} is long: plugin sockets under it may exceed {} bytes and fail to bind; choose one"
          + " of at most {} bytes", real, SOCKET_PATH_MAX, SOCKET_PATH_MAX - SOCKET_SUFFIX_MAX);
    }
    return new StateDirs(real, ensureDirectory(real.resolve("journal"), PRIVATE),
        ensureDirectory(real.resolve("builds"), PRIVATE), ensureDirectory(real.resolve("tmp"), passThrough));
  }

  /**
   * Makes {@code dir} with {@code mode} unless it exists; either way checks that it is the
   * worker's, then sets the mode. Returns it under its parent's real path.
   */
  static Path ensureDirectory(Path dir, Set<PosixFilePermission> mode) throws IOException {
    Path parent = dir.getParent();
    if (parent == null) {
      throw unsafe(dir, "the file system root cannot be a state dir");
    }
    Files.createDirectories(parent);
    Path realParent = parent.toRealPath();
    for (Path ancestor = realParent; ancestor != null; ancestor = ancestor.getParent()) {
      Optional<String> problem = mayBeChangedByOthers(ancestor);
      if (problem.isPresent()) {
        throw new UnsafePathException("unsafe state dir " + dir + ": its parent " + ancestor + " " + problem.get()
            + ", so another user could replace the state dir; choose a state dir (--state-dir) whose parents only"
            + " root or the worker may change");
      }
    }
    Path checked = realParent.resolve(dir.getFileName());
    try {
      // mkdir never follows a link in the last component: a symlink there is "already exists".
      Files.createDirectory(checked, PosixFilePermissions.asFileAttribute(mode));
    } catch (FileAlreadyExistsException e) {
      // checked below, as a directory someone else may have made
    }
    Optional<String> problem = notTheWorkers(checked);
    if (problem.isPresent()) {
      throw unsafe(checked, problem.get());
    }
    // Not a link, ours, and under parents nobody else may change: safe to set by path.
    Files.setPosixFilePermissions(checked, mode);
    return checked;
  }

  /**
   * Why {@code dir} is not a directory of this worker's (empty when it is): a symbolic link, not
   * a directory, another owner, or writable by group or others. Never follows a link.
   */
  static Optional<String> notTheWorkers(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      return Optional.of("is a symbolic link (to " + Files.readSymbolicLink(dir) + ")");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.of("is not a directory");
    }
    int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (uid != workerUid()) {
      return Optional.of("is owned by uid " + uid + ", not by the worker's uid " + workerUid());
    }
    int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
      return Optional.of("is writable by group or others (mode " + octal(mode) + ")");
    }
    return Optional.empty();
  }

  /** Why a user other than root and the worker could rename or replace entries of {@code dir}; empty if none can. */
  private static Optional<String> mayBeChangedByOthers(Path dir) throws IOException {
    int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (uid != 0 && uid != workerUid()) {
      return Optional.of("is owned by uid " + uid);
    }
    int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0) {
      return Optional.of("is writable by group or others without the sticky bit (mode " + octal(mode) + ")");
    }
    return Optional.empty();
  }

  private static UnsafePathException unsafe(Path dir, String problem) {
    return new UnsafePathException("unsafe state dir " + dir + ": it " + problem + "; it must be a directory (not a"
        + " symbolic link) owned by uid " + workerUid() + " and not writable by group or others. Remove it if it is not"
        + " yours (rm -r " + dir + ") or fix it (chown " + workerUid() + " " + dir + " && chmod go-w " + dir
        + "), or choose another state dir (--state-dir)");
  }

  private static String octal(int mode) {
    return String.format("%04o", mode & 07777);
  }

  /** The worker's effective uid: /proc/self is owned by it. */
  public static int workerUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read the worker's uid from /proc/self: " + e, e);
    }
  }
}
