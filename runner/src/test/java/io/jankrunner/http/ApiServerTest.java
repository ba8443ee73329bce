package io.jankrunner.http;

import io.jankrunner.config.ApiTokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
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
  void janksCodesAreItsNumbersWithItsStatuses() {
    // Done-0/Jank internal/types/errno/system.go and plugin.go; statuses from pkg/serve/controller/plugin.go
    // and internal/middleware/jwt/jwt.go.
    assertEquals(JankError.values().length, Arrays.stream(JankError.values()).map(error -> error.code).distinct().count());
    assertEquals("10002", JankError.INVALID_PARAMS.code);
    assertEquals(400, JankError.INVALID_PARAMS.status);
    assertEquals("10003", JankError.UNAUTHORIZED.code);
    assertEquals(401, JankError.UNAUTHORIZED.status);
    for (JankError operation : List.of(JankError.PLUGIN_NOT_FOUND, JankError.PLUGIN_REGISTER_FAILED,
        JankError.PLUGIN_UNREGISTER_FAILED, JankError.EXECUTE_PLUGIN_FAILED, JankError.LIST_PLUGINS_FAILED)) {
      assertTrue(operation.code.startsWith("2000"), operation.code);
      assertEquals(500, operation.status, operation.name());
    }
    assertEquals("failed to register plugin: hello-world", JankError.PLUGIN_REGISTER_FAILED.message("hello-world"));
  }
}
