package io.jankrunner.plugin.isolation;

import java.util.Optional;

/**
 * Who plugins run as, from the operator's plugin user setting: a uid of their own each
 * ({@code auto} on a root worker), one named user all share, or the worker's own user.
 */
final class PluginUsers {

  static final PluginUsers NONE = new PluginUsers(Optional.empty(), Optional.empty(), "plugins run as the worker's user");

  private final Optional<PluginUids> uids;
  private final Optional<PluginUser> shared;
  private final String description;

  private PluginUsers(Optional<PluginUids> uids, Optional<PluginUser> shared, String description) {
    this.uids = uids;
    this.shared = shared;
    this.description = description;
  }

  /**
   * The users for a plugin user setting ({@code auto}, {@code worker}, a name or {@code uid:gid})
   * and the operator's uid range (empty: the default one).
   *
   * @throws IllegalArgumentException when the setting cannot be honoured: an unknown user, root or
   *     the worker's own uid as plugin user, a switch the worker has not the rights for, or a uid
   *     range given with a setting that does not use it
   */
  static PluginUsers resolve(String setting, Optional<UidRange> range, int workerUid) {
    boolean auto = setting.equals(Isolation.AUTO_PLUGIN_USER);
    if (range.isPresent() && !auto) {
      throw new IllegalArgumentException("a plugin uid range (--plugin-uids " + range.get() + ") is used with plugin "
          + "user auto only, but the plugin user is " + setting + ": drop one of the two");
    }
    if (setting.equals(Isolation.WORKER_PLUGIN_USER)) {
      return new PluginUsers(Optional.empty(), Optional.empty(), "plugins run as the worker's user (plugin user worker)");
    }
    if (workerUid != 0) {
      if (auto && range.isEmpty()) {
        return new PluginUsers(Optional.empty(), Optional.empty(), "plugins run as the worker's user (uid "
            + workerUid + "): the worker is not root and cannot give them users of their own");
      }
      throw new IllegalArgumentException("the worker runs as uid " + workerUid + ", not root, so it cannot switch "
          + "plugins to " + (auto ? "uids " + range.get() : "user " + setting) + ": run the worker as root (plugins "
          + "then get a uid each), or set the plugin user to worker to run them as the worker on purpose");
    }
    if (auto) {
      UidRange uids = range.orElse(UidRange.DEFAULT);
      return new PluginUsers(Optional.of(PluginUids.of(uids, workerUid)), Optional.empty(),
          "each plugin runs as a uid of its own from " + uids + " (gid the same, no other groups)");
    }
    PluginUser user = PluginUser.shared(setting, workerUid);
    return new PluginUsers(Optional.empty(), Optional.of(user), "plugins run as " + user + ", all sharing that user");
  }

  /**
   * The user {@code pluginId} runs as; empty for the worker's own.
   *
   * @throws IllegalStateException when the uid range has no free uid left
   */
  Optional<PluginUser> forPlugin(String pluginId) {
    return uids.isPresent() ? Optional.of(uids.get().forPlugin(pluginId)) : shared;
  }

  /** {@link #forPlugin}, without handing out a uid. */
  Optional<PluginUser> wouldRun(String pluginId) {
    return uids.isPresent() ? Optional.of(uids.get().wouldGet(pluginId)) : shared;
  }

  /** For the isolation log line. */
  String description() {
    return description;
  }
}
