package io.jankrunner.plugin;

import io.jankrunner.plugin.api.PluginState;
import io.jankrunner.plugin.api.PluginStateListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every state change, for tests to assert on. */
public final class RecordingListener implements PluginStateListener {
  private final List<Change> changes = new CopyOnWriteArrayList<>();

  @Override
  public void onChange(Change change) {
    changes.add(change);
  }

  /** The plugin-level states of {@code id}, in order. */
  public List<PluginState> statesOf(String id) {
    return changes.stream().filter(change -> change.pluginId().equals(id) && change.instanceId().isEmpty())
        .map(Change::state).toList();
  }

  /** The changes of {@code id}'s instances, in order. */
  public List<Change> instanceChangesOf(String id) {
    return changes.stream().filter(change -> change.pluginId().equals(id) && change.instanceId().isPresent()).toList();
  }

  public List<Change> changes() {
    return changes;
  }
}
