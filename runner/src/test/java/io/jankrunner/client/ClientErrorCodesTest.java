package io.jankrunner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The client's {@link ErrorCode} mirrors the runner's {@link io.jankrunner.ErrorCode} (the client
 * may not depend on the runner, so it keeps a copy): a code added to one and not the other fails here.
 */
class ClientErrorCodesTest {

  @Test
  void theClientKnowsEveryCodeTheRunnerAnswersAndWhetherItIsRetriable() {
    Map<String, Boolean> runner = Arrays.stream(io.jankrunner.ErrorCode.values())
        .collect(Collectors.toMap(Enum::name, io.jankrunner.ErrorCode::retriable, (a, b) -> a, TreeMap::new));
    Map<String, Boolean> client = Arrays.stream(ErrorCode.values()).filter(code -> code != ErrorCode.UNRECOGNIZED)
        .collect(Collectors.toMap(Enum::name, ErrorCode::retriable, (a, b) -> a, TreeMap::new));

    assertEquals(runner, client);
  }
}
