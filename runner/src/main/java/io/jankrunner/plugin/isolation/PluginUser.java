package io.jankrunner.plugin.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An unprivileged user a plugin process runs as when the worker is root, so that a plugin
 * cannot read the worker's secrets or anything else only root may read: one of its own from
 * {@link PluginUids}, or one the operator names, shared by all plugins.
 */
record PluginUser(String name, int uid, int gid) {

  static final PluginUser NOBODY = new PluginUser("nobody", 65534, 65534);

  /**
   * The one user all plugins share for a setting that names it: a user name or {@code uid:gid}.
   * Never root and never the worker's own user: a plugin would then have the worker's rights.
   *
   * @throws IllegalArgumentException for a name that is not in /etc/passwd, a malformed id, uid
   *     or gid 0, or the worker's uid
   */
  static PluginUser shared(String setting, int workerUid) {
    PluginUser user;
    if (setting.matches("\\d{1,10}:\\d{1,10}")) {
      String[] ids = setting.split(":");
      long uid = Long.parseLong(ids[0]);
      long gid = Long.parseLong(ids[1]);
      if (uid > Integer.MAX_VALUE || gid > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("plugin user " + setting + ": ids go up to " + Integer.MAX_VALUE);
      }
      user = new PluginUser(setting, (int) uid, (int) gid);
    } else {
      user = lookUp(setting).orElseThrow(() ->
          new IllegalArgumentException("plugin user " + setting + " is not in /etc/passwd"));
    }
    if (user.uid == 0 || user.gid == 0) {
      throw new IllegalArgumentException("plugin user " + user + " is root or in root's group: plugins would run "
          + "with the worker's privileges; choose an unprivileged user (or 'worker' to run them as the worker on purpose)");
    }
    if (user.uid == workerUid) {
      throw new IllegalArgumentException("plugin user " + user + " is the worker's own user: plugins could read the "
          + "worker's secrets and signal it; choose another user (or 'worker' to run them as the worker on purpose)");
    }
    return user;
  }

  static boolean workerIsRoot() {
    return workerUid() == 0;
  }

  /** The worker's uid, -1 when it cannot be read. */
  static int workerUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static Optional<PluginUser> lookUp(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
        String[] fields = line.split(":");
        if (fields.length >= 4 && fields[0].equals(name)) {
          return Optional.of(new PluginUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
        }
      }
    } catch (IOException | RuntimeException e) {
      // no passwd file to read: treat as absent
    }
    return Optional.empty();
  }

  /** The setpriv arguments that switch to this user; no new privileges through setuid binaries after. */
  List<String> setprivArguments() {
    return List.of("--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--no-new-privs", "--pdeathsig", "KILL");
  }

  /**
   * Why this user could not run {@code binary}: a directory on the way it may not enter, or the
   * file it may not read and execute. Empty when it can.
   */
  Optional<String> cannotRun(Path binary) {
    Path real;
    try {
      real = binary.toRealPath();
    } catch (IOException e) {
      return Optional.of("cannot resolve " + binary + ": " + e.getMessage());
    }
    Optional<String> unreachable = cannotEnter(real.getParent());
    if (unreachable.isPresent()) {
      return unreachable;
    }
    boolean readable = allowed(real, PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OTHERS_READ);
    boolean executable = allowed(real, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_EXECUTE);
    return readable && executable ? Optional.empty() : Optional.of(describe(real) + " may not be read and run");
  }

  /** Why this user could not enter {@code dir}: it or a directory on the way it may not pass. Empty when it can. */
  Optional<String> cannotEnter(Path dir) {
    for (Path on = dir.toAbsolutePath(); on != null; on = on.getParent()) {
      if (!allowed(on, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_EXECUTE)) {
        return Optional.of(describe(on) + " may not be entered");
      }
    }
    return Optional.empty();
  }

  /**
   * Why this user could not build in {@code dir}: a directory on the way it may not enter, or
   * the directory itself it may not write. Empty when it can.
   */
  Optional<String> cannotBuildIn(Path dir) {
    Optional<String> unreachable = cannotRun(dir.resolve("scripts/build.sh"));
    if (unreachable.isPresent()) {
      return unreachable;
    }
    boolean writable = allowed(dir, PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.OTHERS_WRITE);
    return writable ? Optional.empty() : Optional.of(describe(dir) + " may not be written");
  }

  private boolean allowed(Path path, PosixFilePermission owner, PosixFilePermission group, PosixFilePermission other) {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
      int fileUid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int fileGid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      if (fileUid == uid) {
        return permissions.contains(owner);
      }
      return fileGid == gid ? permissions.contains(group) : permissions.contains(other);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private String describe(Path path) {
    return path + " (not reachable by plugin user " + name + ", uid " + uid + ")";
  }

  @Override
  public String toString() {
    return name + " (uid " + uid + ", gid " + gid + ")";
  }
}
