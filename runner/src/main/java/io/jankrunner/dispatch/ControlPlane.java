package io.jankrunner.dispatch;

import io.jankrunner.RunnerException;

/**
 * Fleet-wide desired state (the compacted registry topic): the worker that handles a control
 * command records the outcome here so every worker reconciles to it. Calls return once the
 * write is durable.
 */
public interface ControlPlane {

  /** {@code pluginId} is registered; {@code buildId} changes when workers should rebuild it. */
  void registered(String pluginId, String version, String buildId) throws RunnerException;

  void unregistered(String pluginId) throws RunnerException;

  /** Whether the fleet has {@code pluginId} registered (as far as this worker has read). */
  boolean isRegistered(String pluginId);

  /** For a plugin manager without a fleet (tests, one-off use). */
  ControlPlane LOCAL = new ControlPlane() {
    @Override
    public void registered(String pluginId, String version, String buildId) {}

    @Override
    public void unregistered(String pluginId) {}

    @Override
    public boolean isRegistered(String pluginId) {
      return false;
    }
  };
}
