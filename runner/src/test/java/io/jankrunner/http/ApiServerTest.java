package io.jankrunner.http;

import io.jankrunner.config.ApiTokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.ErrorCode;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ApiServerTest {

  @Test
  void aNonLoopbackAddressWithoutTokensIsRefused() {
    var error = assertThrows(IllegalArgumentException.class,
        () -> ApiServer.start(new InetSocketAddress("0.0.0.0", 0), ApiTokens.NONE, null));
    assertTrue(error.getMessage().contains("JANK_HTTP_TOKENS"), error.getMessage());
  }

  @Test
  void httpAddressesParseHostAndPort() {
    assertEquals(new InetSocketAddress("127.0.0.1", 8080), HttpAddress.parse("127.0.0.1:8080"));
    assertEquals(new InetSocketAddress("127.0.0.1", 9000), HttpAddress.parse(":9000"));
    assertThrows(IllegalArgumentException.class, () -> HttpAddress.parse("8080x"));
    assertThrows(IllegalArgumentException.class, () -> HttpAddress.parse("host:http"));
  }

  @Test
  void everyErrorCodeHasAnErrorStatus() {
    assertTrue(Arrays.stream(ErrorCode.values()).allMatch(code -> ErrorStatus.of(code) >= 400));
    assertEquals(429, ErrorStatus.of(ErrorCode.OVERLOADED));
    assertEquals(504, ErrorStatus.of(ErrorCode.TIMEOUT));
    assertEquals(503, ErrorStatus.of(ErrorCode.PLUGIN_UNAVAILABLE));
  }
}
