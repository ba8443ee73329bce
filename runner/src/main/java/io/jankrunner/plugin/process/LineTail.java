package io.jankrunner.plugin.process;

import java.util.ArrayDeque;
import java.util.Deque;

/** The last lines of a child's output, for error reasons and build results. Thread-safe. */
public final class LineTail {

  private final int capacity;
  private final Deque<String> lines = new ArrayDeque<>();

  public LineTail(int capacity) {
    this.capacity = capacity;
  }

  /** Keeps {@code line}, forgetting the oldest once {@code capacity} are kept. */
  public synchronized void add(String line) {
    if (lines.size() == capacity) {
      lines.removeFirst();
    }
    lines.addLast(line);
  }

  /** The lines kept, oldest first, joined by newlines. */
  public synchronized String text() {
    return String.join("\n", lines);
  }
}
