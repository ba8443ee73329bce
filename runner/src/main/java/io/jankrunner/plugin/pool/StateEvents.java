package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.api.PluginStateListener;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands state changes to the listener in the order they were made, without ever calling it under
 * a lock: changes are queued while a pool's lock is held, and delivered by {@link #flush()} after
 * it is released. One thread delivers at a time; no thread waits for another to do so.
 */
public final class StateEvents {

  private static final Logger log = LoggerFactory.getLogger(StateEvents.class);

  private final PluginStateListener listener;
  private final Queue<PluginStateListener.Change> pending = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean delivering = new AtomicBoolean();

  public StateEvents(PluginStateListener listener) {
    this.listener = listener;
  }

  /** Queues a change; call under the lock that made it, so the queue order is the order of changes. */
  void add(PluginStateListener.Change change) {
    pending.add(change);
  }

  /** Delivers what is queued, unless another thread is delivering (it will deliver this too). */
  void flush() {
    while (!pending.isEmpty() && delivering.compareAndSet(false, true)) {
      try {
        PluginStateListener.Change change;
        while ((change = pending.poll()) != null) {
          try {
            listener.onChange(change);
          } catch (RuntimeException e) {
            log.warn("[{}] state listener failed: {}", change.pluginId(), e.toString());
          }
        }
      } finally {
        delivering.set(false);
      }
    }
  }
}
