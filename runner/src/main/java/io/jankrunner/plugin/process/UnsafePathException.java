package io.jankrunner.plugin.process;

import java.io.IOException;

/** A directory the worker would keep its state in that someone else could have made or could change. */
public final class UnsafePathException extends IOException {

  UnsafePathException(String message) {
    super(message);
  }
}
