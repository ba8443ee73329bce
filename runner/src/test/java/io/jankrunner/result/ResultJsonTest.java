package io.jankrunner.result;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.ErrorCode;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResultJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant RECEIVED = Instant.parse("2026-11-27T05:00:00Z");

  // Numbers compare by node type; through bytes both sides read them alike.
  private static Object reparsed(Result result) throws Exception {
    return JSON.readTree(JSON.writeValueAsBytes(ResultJson.toJson(result)));
  }

  @Test
  void theStreamedBytesAreTheSameJsonAsTheTree() throws Exception {
    Result ok = new Result("c-1", Optional.of("execute"), Optional.of("p.x"), Optional.of("greet"), true,
        Optional.of(JSON.readTree("{\"message\":\"Hello\",\"n\":[1,2.5,null,{\"a\":true}]}")), Optional.empty(), "w-1",
        1, 2, RECEIVED, RECEIVED.plusMillis(3));
    assertEquals(reparsed(ok), JSON.readTree(ResultJson.toBytes(ok)));
  }

  @Test
  void aResultThatWaitedForAColdStartSaysHowLongAndAWarmOneSaysNothing() throws Exception {
    Result warm = new Result("c-3", Optional.of("execute"), Optional.of("p.x"), Optional.of("greet"), true,
        Optional.of(JSON.readTree("{}")), Optional.empty(), "w-1", 1, 1, RECEIVED, RECEIVED.plusMillis(900));
    Result cold = warm.withColdStart(Optional.of(java.time.Duration.ofMillis(812)));

    assertEquals(812, JSON.readTree(ResultJson.toBytes(cold)).path("cold_start_ms").asLong());
    assertEquals(reparsed(cold), JSON.readTree(ResultJson.toBytes(cold)));
    assertEquals(false, JSON.readTree(ResultJson.toBytes(warm)).has("cold_start_ms"));
  }

  @Test
  void anErrorResultTooLargeToPublishKeepsItsIdentityAndLosesItsData() throws Exception {
    Result big = new Result("c-2", Optional.of("execute"), Optional.of("p.x"), Optional.of("big"), true,
        Optional.of(JSON.readTree("{\"blob\":\"xxxx\"}")), Optional.empty(), "w-1", 1, 1, RECEIVED, RECEIVED);
    Result failure = big.asFailure(ErrorCode.RESULT_TOO_LARGE, "the result is 12 MiB");
    var json = JSON.readTree(ResultJson.toBytes(failure));
    assertEquals(reparsed(failure), json);
    assertEquals("RESULT_TOO_LARGE", json.path("error").path("code").asText());
    assertEquals("c-2", json.path("id").asText());
    assertEquals(false, json.has("data"));
    assertEquals(false, json.path("error").path("retriable").asBoolean());
  }

  @Test
  void aResultSaysHowLongItsCommandWaitedWhenThatIsKnown() throws Exception {
    Result unknown = new Result("c-4", Optional.of("execute"), Optional.of("p.x"), Optional.of("greet"), true,
        Optional.of(JSON.readTree("{}")), Optional.empty(), "w-1", 1, 1, RECEIVED, RECEIVED.plusMillis(5));
    Result queued = unknown.withQueued(Optional.of(java.time.Duration.ofMillis(15_300)));

    assertEquals(15_300, JSON.readTree(ResultJson.toBytes(queued)).path("queued_ms").asLong());
    assertEquals(reparsed(queued), JSON.readTree(ResultJson.toBytes(queued)));
    assertEquals(false, JSON.readTree(ResultJson.toBytes(unknown)).has("queued_ms"));
    assertEquals(15_300, queued.withDeliveryCount(2).withColdStart(Optional.empty()).queued().orElseThrow().toMillis(),
        "the other copies keep it");
  }
}
