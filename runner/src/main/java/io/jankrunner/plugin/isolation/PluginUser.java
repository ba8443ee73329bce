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
 * The unprivileged user plugin processes run as when the worker is root, so that a plugin
 * cannot read the worker's secrets or anything else only root may read.
 */
record PluginUser(String name, int uid, int gid) {

  static final String DEDICATED_USER = "jank-plugin";
  static final PluginUser NOBODY = new PluginUser("nobody", 65534, 65534);

  /**
   * The user for a setting: {@code auto}, {@code worker}, a user name or {@code uid:gid}. Empty
   * means the worker's own user: asked for, or the worker is not root and cannot switch.
   *
   * @throws IllegalArgumentException for a name that is not in /etc/passwd or a malformed id
   */
  static Optional<PluginUser> resolve(String setting) {
    if (setting.equals("worker") || !workerIsRoot()) {
      return Optional.empty();
    }
    if (setting.equals(Isolation.AUTO_PLUGIN_USER)) {
      return Optional.of(lookUp(DEDICATED_USER).orElse(NOBODY));
    }
    if (setting.matches("\\d+:\\d+")) {
      String[] ids = setting.split(":");
      return Optional.of(new PluginUser(setting, Integer.parseInt(ids[0]), Integer.parseInt(ids[1])));
    }
    return Optional.of(lookUp(setting).orElseThrow(() ->
        new IllegalArgumentException("plugin user " + setting + " is not in /etc/passwd")));
  }

  static boolean workerIsRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | RuntimeException e) {
      return false;
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
