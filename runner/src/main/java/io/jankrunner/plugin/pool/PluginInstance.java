package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginState;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * One process of a plugin's pool, as a serverless function instance: named {@code <plugin>#<n>},
 * taking up to {@code max_concurrency} calls at once. Every field is guarded by its pool's lock.
 */
final class PluginInstance {

  final String id;
  final Instant startedAt;
  PluginState state = PluginState.STOPPED;
  InstanceHandle process;
  Thread starter;
  int inFlight;
  long readyNanos;
  long lastActiveNanos;
  long lastHealthCheckNanos;
  /** A call on it passed its deadline: no new calls until a HealthCheck says it is only slow. */
  boolean suspect;
  boolean checking;
  /** The latest deadline of a call it took: how long a drain waits for it. */
  Instant drainBy = Instant.EPOCH;

  PluginInstance(String id, Instant startedAt, long startedNanos) {
    this.id = id;
    this.startedAt = startedAt;
    this.lastActiveNanos = startedNanos;
    this.lastHealthCheckNanos = startedNanos;
  }

  boolean takesCalls(int maxConcurrency) {
    return state == PluginState.READY && !suspect && inFlight < maxConcurrency;
  }

  /** Counts toward max_instances: starting or serving, not on its way out. */
  boolean live() {
    return state == PluginState.STARTING || state == PluginState.READY;
  }

  OptionalLong pid() {
    return process != null ? OptionalLong.of(process.pid()) : OptionalLong.empty();
  }

  PluginInfo.Instance info() {
    return new PluginInfo.Instance(id, pid(), state.jsonName(), inFlight, startedAt);
  }

  @Override
  public String toString() {
    return id;
  }
}
