package io.jankrunner.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import com.google.protobuf.Value;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JsonValuesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"null", "true", "false", "0", "42", "-7", "9007199254740992", "-9007199254740992",
      "3.25", "1.0E-10", "-0.5", "\"\"", "\"plain\"", "\"héllo 世界 🎉\"", "\"tab\\t newline\\n quote\\\" nul\\u0000\"",
      "[]", "{}", "[1,\"two\",[3.5,null],{\"four\":false}]", "{\"a\":{\"b\":{\"c\":[{\"d\":\"deep\"}]}}}"})
  void everyJsonValueRoundTripsThroughValueAndAny(String json) throws Exception {
    JsonNode node = JSON.readTree(json);

    assertEquals(node, JsonValues.fromValue(JsonValues.toValue(node)));
    ObjectNode wrapped = JSON.createObjectNode().set("x", node);
    assertEquals(wrapped, JsonValues.fromAnyMap(JsonValues.toAnyMap(wrapped)));
  }

  @Test
  void integersComeBackAsIntegersNotDoubles() {
    JsonNode back = JsonValues.fromValue(Value.newBuilder().setNumberValue(42).build());
    assertTrue(back.isIntegralNumber());
    assertEquals("42", back.toString());
    assertTrue(JsonValues.fromValue(Value.newBuilder().setNumberValue(0.5).build()).isDouble());
  }

  @Test
  void everyEntryIsAValuePackedInAny() {
    Map<String, Any> map = JsonValues.toAnyMap(JSON.createObjectNode().put("name", "Ada"));
    assertTrue(map.get("name").is(Value.class));
    assertEquals("type.googleapis.com/google.protobuf.Value", map.get("name").getTypeUrl());
  }

  @Test
  void anAnyThatIsNotAValueIsRejectedWithItsKeyAndType() {
    Map<String, Any> map = Map.of("odd", Any.pack(StringValue.of("x")));
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> JsonValues.fromAnyMap(map));
    assertTrue(error.getMessage().contains("'odd'"), error.getMessage());
    assertTrue(error.getMessage().contains("google.protobuf.StringValue"), error.getMessage());
  }

  @Test
  void onlyAnObjectBecomesAnArgumentMap() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> JsonValues.toAnyMap(JSON.readTree("[1]")));
    assertTrue(JsonValues.toAnyMap(null).isEmpty());
  }
}
