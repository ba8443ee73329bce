package io.jankrunner.plugin.api;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Receives every state change of every registered plugin and of each of its instances, in the
 * order they happened. It is never called while the manager holds a lock, and never per call:
 * busy or idle is the {@code in_flight} count of {@code get}/{@code list}, not a state.
 */
@FunctionalInterface
public interface PluginStateListener {

  /**
   * One state change; {@code reason} says why for errors, stops and failures.
   *
   * @param instanceId the instance ({@code <plugin>#<n>}) that changed, or empty for the
   *     plugin's own state (derived from its instances, backoff and quarantine)
   * @param pid the instance's process, when it has one
   */
  record Change(String pluginId, PluginState previous, PluginState state, Optional<String> reason,
                OptionalLong pid, Instant at, Optional<String> instanceId) {}

  void onChange(Change change);

  PluginStateListener NONE = change -> { };
}
