package io.jankrunner.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import io.jankrunner.command.Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;

/**
 * What makes two commands with one id the same command (a redelivery) rather than a reuse of
 * the id: a 128-bit MurmurHash3 (x64) of the type, plugin, method, {@code rebuild} and args.
 * Not a cryptographic hash: it guards against a caller's mistake (an id reused for another
 * command), not against a caller who forges collisions on purpose, and a caller can only ever
 * confuse its own commands, whose ids it chooses anyway.
 *
 * <p>The args are hashed straight from the tree they were parsed into (field names, string
 * contents as their chars, numbers as their values), never serialized to text first. Every
 * string is preceded by its length and every value by its kind, so no two different commands
 * hash the same bytes: {@code ("ab", "c")} and {@code ("a", "bc")}, the string {@code "1"} and
 * the number {@code 1}, or {@code {"a":[]}} and {@code {"a":{}}} all differ. As with the text
 * it replaces, the order of the fields counts and {@code 1} and {@code 1.0} differ.
 */
record Fingerprint(long high, long low) {

  static Fingerprint of(Command command) {
    Hasher hasher = Hashing.murmur3_128().newHasher();
    text(hasher, command.type().jsonName());
    optional(hasher, command.plugin());
    optional(hasher, command.method());
    hasher.putBoolean(command.rebuild());
    node(hasher, command.args());
    ByteBuffer hash = ByteBuffer.wrap(hasher.hash().asBytes()).order(ByteOrder.LITTLE_ENDIAN);
    return new Fingerprint(hash.getLong(0), hash.getLong(8));
  }

  private static void optional(Hasher hasher, Optional<String> value) {
    if (value.isPresent()) {
      hasher.putByte((byte) 1);
      text(hasher, value.get());
    } else {
      hasher.putByte((byte) 0);
    }
  }

  private static void text(Hasher hasher, String text) {
    hasher.putInt(text.length()).putUnencodedChars(text);
  }

  private static void node(Hasher hasher, JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        hasher.putByte((byte) '{').putInt(node.size());
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          text(hasher, field.getKey());
          node(hasher, field.getValue());
        }
      }
      case ARRAY -> {
        hasher.putByte((byte) '[').putInt(node.size());
        for (JsonNode element : node) {
          node(hasher, element);
        }
      }
      case STRING -> text(hasher.putByte((byte) '"'), node.textValue());
      case NUMBER -> {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          hasher.putByte((byte) 'i').putLong(node.longValue());
        } else if (node.isDouble() || node.isFloat()) {
          hasher.putByte((byte) 'd').putDouble(node.doubleValue());
        } else {
          text(hasher.putByte((byte) 'n'), node.asText()); // beyond a long, or a BigDecimal
        }
      }
      case BOOLEAN -> hasher.putByte((byte) 'b').putBoolean(node.booleanValue());
      case NULL -> hasher.putByte((byte) '0');
      default -> text(hasher.putByte((byte) '?'), node.toString()); // binary or POJO: never parsed from JSON
    }
  }

  @Override
  public String toString() {
    return String.format("%016x%016x", high, low);
  }
}
