package io.jankrunner.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.hash.Hashing;
import io.jankrunner.command.Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
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
    Encoding bytes = new Encoding();
    bytes.text(command.type().jsonName());
    bytes.optional(command.plugin());
    bytes.optional(command.method());
    bytes.put(command.rebuild() ? 1 : 0);
    bytes.node(command.args());
    // One pass of the hash over the encoding: far cheaper than feeding a streaming hasher value by value.
    ByteBuffer hash = ByteBuffer.wrap(Hashing.murmur3_128().hashBytes(bytes.array, 0, bytes.length).asBytes())
        .order(ByteOrder.LITTLE_ENDIAN);
    return new Fingerprint(hash.getLong(0), hash.getLong(8));
  }

  /** The bytes hashed: every value tagged with its kind, every string and container with its length. */
  private static final class Encoding {
    byte[] array = new byte[256];
    int length;

    private void room(int more) {
      if (length + more > array.length) {
        array = Arrays.copyOf(array, Math.max(array.length * 2, length + more));
      }
    }

    void put(int b) {
      room(1);
      array[length++] = (byte) b;
    }

    void putInt(int value) {
      room(4);
      for (int shift = 0; shift < 32; shift += 8) {
        array[length++] = (byte) (value >>> shift);
      }
    }

    void putLong(long value) {
      room(8);
      for (int shift = 0; shift < 64; shift += 8) {
        array[length++] = (byte) (value >>> shift);
      }
    }

    void text(String text) {
      int chars = text.length();
      putInt(chars);
      room(2 * chars);
      for (int i = 0; i < chars; i++) {
        char c = text.charAt(i);
        array[length++] = (byte) c;
        array[length++] = (byte) (c >>> 8);
      }
    }

    void optional(Optional<String> value) {
      if (value.isPresent()) {
        put(1);
        text(value.get());
      } else {
        put(0);
      }
    }

    void node(JsonNode node) {
      switch (node.getNodeType()) {
        case OBJECT -> {
          put('{');
          putInt(node.size());
          for (Map.Entry<String, JsonNode> field : node.properties()) {
            text(field.getKey());
            node(field.getValue());
          }
        }
        case ARRAY -> {
          put('[');
          putInt(node.size());
          for (JsonNode element : node) {
            node(element);
          }
        }
        case STRING -> {
          put('"');
          text(node.textValue());
        }
        case NUMBER -> {
          if (node.isIntegralNumber() && node.canConvertToLong()) {
            put('i');
            putLong(node.longValue());
          } else if (node.isDouble() || node.isFloat()) {
            put('d');
            putLong(Double.doubleToLongBits(node.doubleValue()));
          } else {
            put('n'); // beyond a long, or a BigDecimal
            text(node.asText());
          }
        }
        case BOOLEAN -> put(node.booleanValue() ? 'T' : 'F');
        case NULL -> put('0');
        default -> { // binary or POJO: never parsed from JSON
          put('?');
          text(node.toString());
        }
      }
    }
  }

  @Override
  public String toString() {
    return String.format("%016x%016x", high, low);
  }
}
