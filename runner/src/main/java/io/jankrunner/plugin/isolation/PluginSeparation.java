package io.jankrunner.plugin.isolation;

import java.util.Map;
import java.util.Optional;

/**
 * The operator's settings for keeping plugins apart from each other and from the host's network.
 *
 * @param uids the range plugins get a uid each from when the worker is root and the plugin user
 *     is {@code auto}; empty means {@link UidRange#DEFAULT}
 * @param hostNetworkAllowed whether a manifest may ask for {@code "runner": {"network": "host"}}
 *     (its instances then share the worker's network namespace); without it such a plugin is
 *     refused at registration and at start
 * @param requireNetns refuse to start plugins where a network namespace cannot be created for
 *     them, instead of running them in the host's network with a WARN
 */
public record PluginSeparation(Optional<UidRange> uids, boolean hostNetworkAllowed, boolean requireNetns) {

  public static final PluginSeparation DEFAULT = new PluginSeparation(Optional.empty(), false, false);

  /** The environment variables an operator sets these with, each named after its worker option. */
  public static final String UIDS_ENV = "JANK_PLUGIN_UIDS";
  public static final String NETWORK_HOST_ENV = "JANK_PLUGIN_NETWORK_HOST";
  public static final String REQUIRE_NETNS_ENV = "JANK_REQUIRE_NETNS";

  public PluginSeparation {
    uids = uids == null ? Optional.empty() : uids;
  }

  /** The settings from {@code JANK_PLUGIN_UIDS}, {@code JANK_PLUGIN_NETWORK_HOST} and {@code JANK_REQUIRE_NETNS}. */
  public static PluginSeparation fromEnvironment(Map<String, String> env) {
    String uids = env.get(UIDS_ENV);
    return new PluginSeparation(uids == null || uids.isBlank() ? Optional.empty() : Optional.of(UidRange.parse(uids)),
        Boolean.parseBoolean(env.get(NETWORK_HOST_ENV)), Boolean.parseBoolean(env.get(REQUIRE_NETNS_ENV)));
  }

  public PluginSeparation withUids(UidRange range) {
    return new PluginSeparation(Optional.of(range), hostNetworkAllowed, requireNetns);
  }

  public PluginSeparation withHostNetworkAllowed(boolean allowed) {
    return new PluginSeparation(uids, allowed, requireNetns);
  }

  public PluginSeparation withRequireNetns(boolean require) {
    return new PluginSeparation(uids, hostNetworkAllowed, require);
  }
}
