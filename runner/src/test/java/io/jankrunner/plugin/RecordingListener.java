package io.jankrunner.plugin;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every state change, for tests to assert on. */
final class RecordingListener implements PluginStateListener {
  private final List<Change> changes = new CopyOnWriteArrayList<>();

  @Override
  public void onChange(Change change) {
    changes.add(change);
  }

  List<PluginState> statesOf(String id) {
    return changes.stream().filter(change -> change.pluginId().equals(id)).map(Change::state).toList();
  }

  List<Change> changes() {
    return changes;
  }
}
