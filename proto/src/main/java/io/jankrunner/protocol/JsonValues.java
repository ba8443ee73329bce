package io.jankrunner.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON ⇄ {@code google.protobuf.Value} ⇄ {@code google.protobuf.Any}: how arguments and results
 * cross the plugin boundary. Jank packs every args/data entry as a {@code Value} inside an
 * {@code Any}; host and SDK both convert through here so the two sides cannot drift.
 *
 * <p>{@code Value} has only a double for numbers. Integral doubles that fit a {@code long}
 * come back as JSON integers, so {@code 42} round-trips as {@code 42}, not {@code 42.0}.
 * Integers beyond 2^53 lose precision, as they would in any JSON-via-double system.
 */
public final class JsonValues {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  // Outside ±2^53 a double no longer holds every integer; stay a double there.
  private static final double MAX_EXACT_INTEGER = 9_007_199_254_740_992d;

  private JsonValues() {}

  /** A JSON value as a protobuf {@code Value}. */
  public static Value toValue(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    return switch (node.getNodeType()) {
      case BOOLEAN -> Value.newBuilder().setBoolValue(node.booleanValue()).build();
      case NUMBER -> Value.newBuilder().setNumberValue(node.doubleValue()).build();
      case STRING -> Value.newBuilder().setStringValue(node.textValue()).build();
      case BINARY, POJO -> Value.newBuilder().setStringValue(node.asText()).build();
      case ARRAY -> {
        ListValue.Builder list = ListValue.newBuilder();
        node.forEach(element -> list.addValues(toValue(element)));
        yield Value.newBuilder().setListValue(list).build();
      }
      case OBJECT -> {
        Struct.Builder struct = Struct.newBuilder();
        node.properties().forEach(field -> struct.putFields(field.getKey(), toValue(field.getValue())));
        yield Value.newBuilder().setStructValue(struct).build();
      }
      case NULL, MISSING -> Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    };
  }

  /** A protobuf {@code Value} as JSON. */
  public static JsonNode fromValue(Value value) {
    return switch (value.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> NODES.nullNode();
      case BOOL_VALUE -> NODES.booleanNode(value.getBoolValue());
      case STRING_VALUE -> NODES.textNode(value.getStringValue());
      case NUMBER_VALUE -> number(value.getNumberValue());
      case LIST_VALUE -> {
        ArrayNode array = NODES.arrayNode();
        value.getListValue().getValuesList().forEach(element -> array.add(fromValue(element)));
        yield array;
      }
      case STRUCT_VALUE -> {
        ObjectNode object = NODES.objectNode();
        value.getStructValue().getFieldsMap().forEach((key, field) -> object.set(key, fromValue(field)));
        yield object;
      }
    };
  }

  private static JsonNode number(double number) {
    if (number == Math.rint(number) && Math.abs(number) <= MAX_EXACT_INTEGER && !isNegativeZero(number)) {
      long integral = (long) number;
      // int where it fits, as Jackson itself reads small JSON integers
      return integral == (int) integral ? NODES.numberNode((int) integral) : NODES.numberNode(integral);
    }
    return NODES.numberNode(number);
  }

  private static boolean isNegativeZero(double number) {
    return number == 0 && Double.doubleToRawLongBits(number) != 0;
  }

  /** A JSON object's fields as Jank's {@code map<string, Any>}, each value a packed {@code Value}. */
  public static Map<String, Any> toAnyMap(JsonNode object) {
    Map<String, Any> map = new LinkedHashMap<>();
    if (object == null || object.isNull() || object.isMissingNode()) {
      return map;
    }
    if (!object.isObject()) {
      throw new IllegalArgumentException("expected a JSON object, got " + object.getNodeType());
    }
    object.properties().forEach(field -> map.put(field.getKey(), Any.pack(toValue(field.getValue()))));
    return map;
  }

  /**
   * Jank's {@code map<string, Any>} as a JSON object. Each {@code Any} must hold a
   * {@code google.protobuf.Value}; anything else is a protocol violation by the peer.
   */
  public static ObjectNode fromAnyMap(Map<String, Any> map) {
    ObjectNode object = NODES.objectNode();
    map.forEach((key, any) -> object.set(key, fromAny(key, any)));
    return object;
  }

  private static JsonNode fromAny(String key, Any any) {
    if (!any.is(Value.class)) {
      throw new IllegalArgumentException(
          "entry '" + key + "' holds " + any.getTypeUrl() + ", expected google.protobuf.Value");
    }
    try {
      return fromValue(any.unpack(Value.class));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("entry '" + key + "' is not a valid google.protobuf.Value", e);
    }
  }
}
