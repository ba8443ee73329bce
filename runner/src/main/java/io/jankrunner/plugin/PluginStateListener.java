package io.jankrunner.plugin;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** Receives every state change of every registered plugin, in order per plugin. */
@FunctionalInterface
public interface PluginStateListener {

  /** One state change; {@code reason} says why for errors, stops and failures. */
  record Change(String pluginId, PluginState previous, PluginState state, Optional<String> reason,
                OptionalLong pid, Instant at) {}

  void onChange(Change change);

  PluginStateListener NONE = change -> { };
}
