package io.jankrunner.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HandshakeTest {

  @Test
  void readsGoPluginsUnixLine() {
    Handshake handshake = Handshake.parse("1|1|unix|/tmp/plugin123|grpc|\n");
    assertEquals("unix", handshake.network());
    assertEquals("/tmp/plugin123", handshake.address());
    assertEquals(Optional.empty(), handshake.serverCert());
  }

  @Test
  void readsATcpLineWithACertificateAndWithoutTheLastField() {
    assertEquals(Optional.of("MIIB"), Handshake.parse("1|1|tcp|127.0.0.1:10000|grpc|MIIB").serverCert());
    assertEquals("127.0.0.1:10000", Handshake.parse("1|1|tcp|127.0.0.1:10000|grpc\r\n").address());
  }

  @Test
  void writesWhatItReads() {
    Handshake handshake = Handshake.unix("/tmp/x/plugin.sock");
    assertEquals("1|1|unix|/tmp/x/plugin.sock|grpc|", handshake.toLine());
    assertEquals(handshake, Handshake.parse(handshake.toLine()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "2|1|unix|/tmp/p|grpc|;unsupported go-plugin core protocol version 2",
      "1|2|unix|/tmp/p|grpc|;unsupported plugin protocol version 2",
      "x|1|unix|/tmp/p|grpc|;core version is not a number",
      "1|1|udp|/tmp/p|grpc|;unsupported network 'udp'",
      "1|1|unix|/tmp/p|netrpc|;unsupported plugin protocol 'netrpc'",
      "1|1|unix||grpc|;empty address",
      "1|1|unix;has 3 fields",
      "hello, I am a plugin;has 1 fields"})
  void rejectsBadLinesSayingWhy(String line, String reason) {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Handshake.parse(line));
    assertTrue(error.getMessage().contains(reason), error.getMessage());
  }

  @Test
  void rejectsAnEmptyLine() {
    assertThrows(IllegalArgumentException.class, () -> Handshake.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Handshake.parse(null));
  }
}
