package io.jankrunner.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Sets the log level for a command: one-shot commands stay quiet unless asked. */
final class Logging {

  private Logging() {}

  static void quietUnless(boolean verbose) {
    if (System.getenv("JANK_LOG_LEVEL") != null) {
      return; // the operator chose
    }
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(verbose ? Level.INFO : Level.WARN);
  }
}
