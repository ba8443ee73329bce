package io.jankrunner.plugin;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The states of a registered plugin and the only transitions allowed between them.
 *
 * <pre>
 *            register (cold)         first call / auto_start
 *   (new) ──────────────► STOPPED ─────────────────────────► STARTING ──► READY ⇄ RUNNING
 *                            ▲                                   │          │       │
 *                            │                                   ▼          ▼       ▼
 *                        STOPPING ◄──── unregister / idle / shutdown ── (any live state)
 *
 *   STARTING ──fail──► ERROR ──next call──► STARTING
 *   READY/RUNNING ──crash──► ERROR (no restart policy) or BACKOFF ──► STARTING
 *   BACKOFF ──too many crashes──► QUARANTINED ──cool-down / re-register──► STARTING
 * </pre>
 *
 * {@code RUNNING} means calls are in flight; {@code READY} means warm and idle. Every change is
 * published to the {@link PluginStateListener}.
 */
public enum PluginState {
  STOPPED, STARTING, READY, RUNNING, STOPPING, ERROR, BACKOFF, QUARANTINED;

  private Set<PluginState> next;

  static {
    STOPPED.next = EnumSet.of(STARTING, STOPPING);
    STARTING.next = EnumSet.of(READY, ERROR, STOPPING);
    READY.next = EnumSet.of(RUNNING, STOPPING, ERROR, BACKOFF);
    RUNNING.next = EnumSet.of(READY, STOPPING, ERROR, BACKOFF);
    STOPPING.next = EnumSet.of(STOPPED);
    ERROR.next = EnumSet.of(STARTING, STOPPING, STOPPED);
    BACKOFF.next = EnumSet.of(STARTING, STOPPING, QUARANTINED);
    QUARANTINED.next = EnumSet.of(STARTING, STOPPING);
  }

  /** Whether the transition {@code this → target} is allowed. */
  public boolean canMoveTo(PluginState target) {
    return next.contains(target);
  }

  /** The lower-case name used in JSON and status events. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
