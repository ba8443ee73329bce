package io.jankrunner.plugin.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A uid of its own for every plugin id, from the operator's {@link UidRange}, kept for the
 * worker's life: no two plugins share one, so the OS keeps them apart as it keeps them from the
 * worker (one cannot read another's {@code /proc/PID/environ}, enter its TMPDIR, connect to its
 * socket or signal it). The gid is the same number, and the process has no other groups.
 *
 * <p>Deterministic where it can be: a plugin starts at {@code first + hash(id) mod size} and
 * takes the next free uid from there, so it mostly gets the same uid on every run (its build
 * output stays its own) and only collisions depend on the order plugins were first seen in.
 * Uids and gids that {@code /etc/passwd} or {@code /etc/group} name, and the worker's own, are
 * never handed out.
 */
final class PluginUids {

  private static final Map<UidRange, PluginUids> TABLES = new ConcurrentHashMap<>();

  private final UidRange range;
  private final Set<Integer> reserved;
  private final Map<String, PluginUser> byPlugin = new HashMap<>();
  private final Set<Integer> taken = new HashSet<>();

  PluginUids(UidRange range, Set<Integer> reserved) {
    this.range = range;
    this.reserved = Set.copyOf(reserved);
  }

  /**
   * The table for {@code range}, one per range in this JVM (every manager with it hands a plugin
   * the same uid, and never one another plugin has), skipping every id this machine's passwd
   * and group files use and the worker's uid.
   */
  static PluginUids of(UidRange range, int workerUid) {
    return TABLES.computeIfAbsent(range, key -> {
      Set<Integer> reserved = new HashSet<>();
      reserved.add(workerUid);
      reserved.addAll(ids(Path.of("/etc/passwd"), 2));
      reserved.addAll(ids(Path.of("/etc/group"), 2));
      return new PluginUids(range, reserved);
    });
  }

  UidRange range() {
    return range;
  }

  /**
   * The user {@code pluginId} runs as: the same on every call for the worker's life.
   *
   * @throws IllegalStateException when every uid of the range is taken
   */
  synchronized PluginUser forPlugin(String pluginId) {
    PluginUser user = wouldGet(pluginId);
    if (byPlugin.putIfAbsent(pluginId, user) == null) {
      taken.add(user.uid());
    }
    return user;
  }

  /**
   * The user {@code pluginId} has, or would get if it started now, without taking a uid: for
   * checks made before a plugin is registered (a plugins list must not use up the range).
   *
   * @throws IllegalStateException when every uid of the range is taken
   */
  synchronized PluginUser wouldGet(String pluginId) {
    PluginUser known = byPlugin.get(pluginId);
    if (known != null) {
      return known;
    }
    int start = Math.floorMod(pluginId.hashCode(), range.size());
    for (int i = 0; i < range.size(); i++) {
      int uid = range.first() + (start + i) % range.size();
      if (!taken.contains(uid) && !reserved.contains(uid)) {
        return new PluginUser("dynamic-" + uid, uid, uid);
      }
    }
    throw new IllegalStateException("no free uid left for plugin " + pluginId + ": all of the plugin uid range "
        + range + " are taken or used by the system (" + taken.size() + " by plugins): widen --plugin-uids");
  }

  private static Set<Integer> ids(Path file, int field) {
    Set<Integer> ids = new HashSet<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String[] fields = line.split(":");
        if (fields.length > field && fields[field].matches("\\d{1,10}")) {
          ids.add((int) Long.parseLong(fields[field]));
        }
      }
    } catch (IOException | RuntimeException e) {
      // no file to read: nothing reserved by it
    }
    return ids;
  }
}
