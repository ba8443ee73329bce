package io.jankrunner.plugin.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
   * file it may not read and execute (read too: a script is read by its interpreter as this
   * user). Empty when it can. The reason names the path, its mode and owner, and the fix.
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
    return refused(real, Access.READ_EXECUTE).map(fix -> describe(real) + " may not be read and run: " + fix);
  }

  /**
   * Why this user could not enter {@code dir}: it or a directory on the way it may not pass
   * (search permission, x, on every one). Empty when it can.
   */
  Optional<String> cannotEnter(Path dir) {
    for (Path on = dir.toAbsolutePath(); on != null; on = on.getParent()) {
      Path directory = on;
      Optional<String> refused = refused(directory, Access.SEARCH);
      if (refused.isPresent()) {
        return Optional.of(describe(directory) + " may not be entered: " + refused.get());
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
    return refused(dir, Access.WRITE).map(fix -> describe(dir) + " may not be written: " + fix);
  }

  /** The permission bits this user needs on a path, as chmod's letters. */
  private enum Access {
    SEARCH("x"), READ_EXECUTE("rx"), WRITE("w");

    final String letters;

    Access(String letters) {
      this.letters = letters;
    }

    boolean grantedBy(int bits) {
      return switch (this) {
        case SEARCH -> (bits & 1) != 0;
        case READ_EXECUTE -> (bits & 5) == 5;
        case WRITE -> (bits & 2) != 0;
      };
    }
  }

  /**
   * Empty when this user has {@code access} to {@code path} (the owner's, group's or others'
   * bits, whichever apply to it: plugins run with no supplementary groups), else what the path
   * is (mode, owner) and the fix. Computed from the file's attributes, no process spawned.
   */
  private Optional<String> refused(Path path, Access access) {
    int mode;
    int fileUid;
    int fileGid;
    try {
      Map<String, Object> unix = Files.readAttributes(path, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
      mode = (Integer) unix.get("mode");
      fileUid = (Integer) unix.get("uid");
      fileGid = (Integer) unix.get("gid");
    } catch (IOException | RuntimeException e) {
      return Optional.of("its permissions cannot be read (" + e.getMessage() + ")");
    }
    int bits = fileUid == uid ? mode >> 6 : fileGid == gid ? mode >> 3 : mode;
    if (access.grantedBy(bits & 7)) {
      return Optional.empty();
    }
    String is = String.format("it is mode %04o, owner %d:%d", mode & 07777, fileUid, fileGid);
    String who = fileUid == uid ? "u" : fileGid == gid ? "g" : "o";
    String fix = "chmod " + who + "+" + access.letters + " " + path;
    if (who.equals("o")) {
      fix += " (or hand it to the plugin user: chown " + uid + ":" + gid + " " + path + ")";
    }
    return Optional.of(is + "; fix: " + fix + ", or set another plugin user");
  }

  private String describe(Path path) {
    return path + " (not reachable by plugin user " + name + ", uid " + uid + ")";
  }

  @Override
  public String toString() {
    return name + " (uid " + uid + ", gid " + gid + ")";
  }
}
