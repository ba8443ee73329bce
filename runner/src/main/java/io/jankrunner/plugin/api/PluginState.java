package io.jankrunner.plugin.api;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The states of a registered plugin and of each of its instances, and the transitions between them.
 *
 * <p>An <b>instance</b> (one process) moves
 * <pre>
 *   STOPPED ──► STARTING ──► READY ──► STOPPING ──► STOPPED     (idle TTL, unregister, swap, shutdown)
 *                  │           ├──crash──► ERROR                (its calls fail PLUGIN_UNAVAILABLE at once)
 *                  │           └──no HealthCheck answer──► HUNG ──SIGKILL──► STOPPED
 *                  └──start failed──► ERROR
 * </pre>
 *
 * The <b>plugin</b>'s state is derived from its instances and its crash history, in this order:
 * {@code QUARANTINED} (too many crashes in the window: calls fail at once, nothing starts until
 * the quarantine has passed), {@code READY} (some instance is ready), {@code STARTING},
 * {@code ERROR} (the last start failed; the next one waits for the crash backoff too),
 * {@code BACKOFF} (an instance crashed, its restart waits for the backoff), {@code STOPPING} (its
 * last instances are stopping: idle, unregistered, shutdown), {@code STOPPED} (no instance: scaled
 * to zero). {@code RUNNING} is never published: it is what {@code get}/{@code list} show for a
 * ready plugin with calls in flight. Every change of either kind is a status event.
 */
public enum PluginState {
  STOPPED, STARTING, READY, RUNNING, STOPPING, ERROR, BACKOFF, QUARANTINED, HUNG;

  private Set<PluginState> next;

  static {
    STOPPED.next = EnumSet.of(STARTING, STOPPING, BACKOFF, QUARANTINED, ERROR);
    STARTING.next = EnumSet.of(READY, ERROR, STOPPING, STOPPED, BACKOFF, QUARANTINED);
    READY.next = EnumSet.of(STOPPING, STOPPED, ERROR, BACKOFF, QUARANTINED, HUNG, STARTING);
    RUNNING.next = EnumSet.noneOf(PluginState.class); // a word get/list show, never a state anything moves to
    STOPPING.next = EnumSet.of(STOPPED, STARTING, READY, ERROR, BACKOFF, QUARANTINED);
    ERROR.next = EnumSet.of(STARTING, STOPPING, STOPPED, BACKOFF, QUARANTINED, READY);
    BACKOFF.next = EnumSet.of(STARTING, STOPPING, STOPPED, QUARANTINED, READY, ERROR);
    QUARANTINED.next = EnumSet.of(STARTING, STOPPING, STOPPED, READY, BACKOFF);
    HUNG.next = EnumSet.of(STOPPED);
  }

  /** Whether the transition {@code this → target} is one of those above. */
  public boolean canMoveTo(PluginState target) {
    return next.contains(target);
  }

  /** The lower-case name used in JSON and status events. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
