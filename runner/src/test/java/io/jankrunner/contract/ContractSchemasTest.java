package io.jankrunner.contract;

import static io.jankrunner.contract.ContractSchemas.COMMAND;
import static io.jankrunner.contract.ContractSchemas.DLQ_HEADERS;
import static io.jankrunner.contract.ContractSchemas.REGISTRY_RECORD;
import static io.jankrunner.contract.ContractSchemas.RESULT;
import static io.jankrunner.contract.ContractSchemas.STATUS_EVENT;
import static io.jankrunner.contract.ContractSchemas.assertInvalid;
import static io.jankrunner.contract.ContractSchemas.assertValid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.command.CommandParser;
import io.jankrunner.result.Result;
import io.jankrunner.result.ResultJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The schemas against the runner's own serializer and parser, and what they must refuse. Real
 * records from a worker are checked in ContractSchemaIT; this covers the error codes a test
 * cannot provoke on demand (OVERLOADED, INTERNAL) through the same serializer.
 */
class ContractSchemasTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant AT = Instant.parse("2026-12-02T22:00:00Z");

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyErrorCodeAsTheWorkerSerializesItMatchesTheResultSchema(ErrorCode code) throws Exception {
    Result result = new Result("c-1", Optional.of("execute"), Optional.of("p.x"), Optional.of("m"), false,
        Optional.empty(), Optional.of(new Result.Failure(code, "why")), "w-1", 1, 1, AT, AT.plusMillis(5));

    assertValid(RESULT, JSON.readTree(ResultJson.toBytes(result)));
  }

  @Test
  void anOkResultWithEveryOptionalFieldMatches() throws Exception {
    Result result = new Result("c-1", Optional.of("execute"), Optional.of("p.x"), Optional.of("m"), true,
        Optional.of(JSON.createObjectNode().put("a", 1)), Optional.empty(), "w-1", 1, 2, AT, AT.plusMillis(5),
        Optional.of(Duration.ofMillis(14)), Optional.of(Duration.ofMillis(2)));

    assertValid(RESULT, JSON.readTree(ResultJson.toBytes(result)));
  }

  @Test
  void resultsThatBreakTheContractAreRejected() throws Exception {
    ObjectNode ok = (ObjectNode) JSON.readTree(ResultJson.toBytes(new Result("c-1", Optional.of("execute"),
        Optional.of("p.x"), Optional.of("m"), true, Optional.of(JSON.createObjectNode()), Optional.empty(), "w-1", 1, 1,
        AT, AT)));
    assertValid(RESULT, ok);

    assertInvalid(RESULT, ok.deepCopy().without("id"));
    assertInvalid(RESULT, ok.deepCopy().without("worker"));
    assertInvalid(RESULT, ok.deepCopy().put("id", "has spaces"));
    assertInvalid(RESULT, ok.deepCopy().put("received_at", "yesterday"));
    assertInvalid(RESULT, ok.deepCopy().put("surprise", 1));
    assertInvalid(RESULT, ok.deepCopy().put("status", "error")); // an error without its error
    ObjectNode failed = ok.deepCopy().put("status", "error").without("data");
    failed.putObject("error").put("code", "TIMEOUT").put("message", "slow").put("retriable", true);
    assertValid(RESULT, failed);
    assertInvalid(RESULT, failed.deepCopy().put("status", "ok")); // ok with an error
    ObjectNode wrongRetriable = failed.deepCopy();
    ((ObjectNode) wrongRetriable.get("error")).put("retriable", false);
    assertInvalid(RESULT, wrongRetriable);
    ObjectNode unknownCode = failed.deepCopy();
    ((ObjectNode) unknownCode.get("error")).put("code", "NOPE");
    assertInvalid(RESULT, unknownCode);
  }

  /** The command schema takes what the worker's parser takes, and refuses what it refuses. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{'v':1,'id':'order-42:greet','type':'execute','plugin':'com.x.hello','method':'greet','args':{'a':1},"
          + "'reply_to':'my-app.replies','timeout_ms':5000,'deadline':'2026-11-27T18:00:00Z'}",
      "{'id':'a','type':'list'}",
      "{'id':'a','type':'list','plugin':null}",
      "{'id':'a','type':'register','plugin':'com.x.hello','rebuild':true}",
      "{'id':'a','type':'get','plugin':'com.x.hello','unknown':'ignored'}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','args':null}",
      "{'type':'list'}",
      "{'id':'has space','type':'list'}",
      "{'id':'a','type':'explode'}",
      "{'id':'a','type':'get'}",
      "{'id':'a','type':'get','plugin':'nodots'}",
      "{'id':'a','type':'execute','plugin':'com.x.hello'}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':null}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','args':[1]}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','timeout_ms':0}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','timeout_ms':'5'}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','deadline':'tomorrow'}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','reply_to':'no/slash'}",
      "{'id':'a','type':'execute','plugin':'com.x.hello','method':'m','reply_to':'..'}",
      "{'id':'a','type':'register','plugin':'com.x.hello','rebuild':'yes'}",
      "{'v':2,'id':'a','type':'list'}",
      "{'id':7,'type':'list'}",
  })
  void theCommandSchemaAgreesWithTheParser(String text) throws Exception {
    byte[] bytes = text.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    JsonNode command = JSON.readTree(bytes);
    boolean parsed = new CommandParser(CommandParser.DEFAULT_MAX_BYTES, CommandParser.DEFAULT_REPLY_TO)
        .parse(bytes) instanceof CommandParser.Parsed;

    assertEquals(parsed, ContractSchemas.violations(COMMAND, command).isEmpty(),
        command + (parsed ? " is parsed but the schema rejects it: " + ContractSchemas.violations(COMMAND, command)
            : " is refused by the parser but the schema takes it"));
  }

  @Test
  void statusEventsRegistryRecordsAndDeadLetterHeadersThatBreakTheContractAreRejected() throws Exception {
    ObjectNode event = (ObjectNode) JSON.readTree("{\"v\":1,\"kind\":\"plugin\",\"worker\":\"w-1\",\"plugin\":\"p.x\","
        + "\"state\":\"ready\",\"previous\":\"starting\",\"at\":\"2026-12-02T22:00:00Z\"}");
    assertValid(STATUS_EVENT, event);
    assertInvalid(STATUS_EVENT, event.deepCopy().put("kind", "weather"));
    assertInvalid(STATUS_EVENT, event.deepCopy().put("state", "running")); // never published
    assertInvalid(STATUS_EVENT, event.deepCopy().without("plugin"));

    ObjectNode registration = (ObjectNode) JSON.readTree("{\"v\":1,\"plugin\":\"p.x\",\"registered\":true,"
        + "\"version\":\"1.0.0\",\"build_id\":\"\",\"by\":\"w-1\",\"at\":\"2026-12-02T22:00:00Z\"}");
    assertValid(REGISTRY_RECORD, registration);
    assertInvalid(REGISTRY_RECORD, registration.deepCopy().put("registered", false));
    assertInvalid(REGISTRY_RECORD, registration.deepCopy().put("extra", 1));
    assertInvalid(REGISTRY_RECORD, registration.deepCopy().put("by", ""));

    ObjectNode headers = (ObjectNode) JSON.readTree("{\"runner.error.code\":\"INVALID_COMMAND\","
        + "\"runner.error.message\":\"not valid JSON\",\"runner.error.topic\":\"runner.execute\","
        + "\"runner.error.partition\":\"0\",\"runner.error.offset\":\"12\",\"runner.error.worker\":\"w-1\"}");
    assertValid(DLQ_HEADERS, headers);
    assertInvalid(DLQ_HEADERS, headers.deepCopy().without("runner.error.code"));
    assertInvalid(DLQ_HEADERS, headers.deepCopy().put("runner.error.offset", "-1"));
  }
}
