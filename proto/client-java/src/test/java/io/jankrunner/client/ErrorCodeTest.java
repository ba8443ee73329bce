package io.jankrunner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** The typed codes against the contract's result schema (the runner module checks them against the runner's enum). */
class ErrorCodeTest {

  private static JsonNode resultSchema() throws Exception {
    return Json.MAPPER.readTree(Files.readString(Path.of("../contract/result.schema.json")));
  }

  private static Set<String> names(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void theCodesAreTheContractsCodesAndSayWhetherARetryMaySucceedAsTheContractDoes() throws Exception {
    JsonNode defs = resultSchema().path("$defs");
    Set<String> known = Arrays.stream(ErrorCode.values()).filter(code -> code != ErrorCode.UNRECOGNIZED)
        .map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(names(defs.path("errorCode").path("enum")), known);

    for (JsonNode group : defs.path("error").path("oneOf")) {
      boolean retriable = group.path("properties").path("retriable").path("const").asBoolean();
      for (String name : names(group.path("properties").path("code").path("enum"))) {
        assertEquals(retriable, ErrorCode.valueOf(name).retriable(), name);
      }
    }
  }

  @Test
  void aCodeFromANewerRunnerIsUnrecognizedNotAnError() {
    assertEquals(ErrorCode.TIMEOUT, ErrorCode.of("TIMEOUT"));
    assertEquals(ErrorCode.UNRECOGNIZED, ErrorCode.of("SOMETHING_NEW"));
    assertEquals(ErrorCode.UNRECOGNIZED, ErrorCode.of("UNRECOGNIZED"));
    assertEquals(ErrorCode.UNRECOGNIZED, ErrorCode.of(null));
    assertFalse(ErrorCode.UNRECOGNIZED.retriable());
  }
}
