package io.jankrunner.command;

import java.util.Locale;
import java.util.Optional;

/** What a command asks for. {@code execute} goes to the execute topic, the rest to control. */
public enum CommandType {
  EXECUTE, REGISTER, UNREGISTER, BUILD, GET, LIST;

  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the command names a plugin. */
  public boolean needsPlugin() {
    return this != LIST;
  }

  static Optional<CommandType> parse(String text) {
    for (CommandType type : values()) {
      if (type.jsonName().equals(text)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
