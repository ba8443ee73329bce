package io.jankrunner.plugin.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.protocol.Handshake;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The launch step's seams: what the wait for the handshake line comes to, and how a failure reads. */
class HandshakeLineTest {

  private static final Duration LONG = Duration.ofMinutes(5);

  private static HandshakeLine.Result await(Optional<String> line) {
    return HandshakeLine.await(CompletableFuture.completedFuture(line), LONG);
  }

  @Test
  void aValidLineIsTheHandshake() {
    HandshakeLine.Result result = await(Optional.of(Handshake.CORE_PROTOCOL_VERSION + "|"
        + Handshake.APP_PROTOCOL_VERSION + "|unix|/run/plugin.sock|grpc"));
    Handshake handshake = assertInstanceOf(HandshakeLine.Received.class, result).handshake();
    assertEquals("unix", handshake.network());
    assertEquals("/run/plugin.sock", handshake.address());
  }

  @Test
  void stdoutClosedBeforeALineIsAnExitWhoseCodeAndOutputBelongInTheReason() {
    assertEquals(new LaunchFailure("plugin exited before its handshake", true, true, null), await(Optional.empty()));
  }

  @Test
  void anotherLineIsAnInvalidHandshakeWithTheParsersReason() {
    LaunchFailure failure = assertInstanceOf(LaunchFailure.class, await(Optional.of("hello world")));
    assertTrue(failure.reason().startsWith("invalid handshake: handshake line has 1 fields"), failure.reason());
    assertFalse(failure.exited());
    assertTrue(failure.withOutput());
  }

  @Test
  void noLineInTimeIsATimeoutNamingTheStartTimeout() {
    HandshakeLine.Result result = HandshakeLine.await(new CompletableFuture<>(), Duration.ofMillis(1));
    assertEquals(new LaunchFailure("no handshake within start_timeout 1 ms", false, true, null), result);
  }

  @Test
  void aFailedReadKeepsItsCause() {
    IOException broken = new IOException("pipe broke");
    LaunchFailure failure = assertInstanceOf(LaunchFailure.class,
        HandshakeLine.await(CompletableFuture.failedFuture(broken), LONG));
    assertEquals("could not read the handshake: " + broken, failure.reason());
    assertSame(broken, failure.cause());
  }

  @Test
  void theExceptionCarriesReasonExitCodeOutputAndCause() {
    IOException cause = new IOException("x");
    PluginStartException e = LaunchFailure.toException("echo", "plugin exited before its handshake",
        OptionalInt.of(127), Optional.of(new LaunchFailure.Output("", "setpriv: failed to execute x: No such file")),
        cause);
    assertEquals("plugin exited before its handshake (exit code 127); stderr: setpriv: failed to execute x: No such file",
        e.getMessage());
    assertSame(cause, e.getCause());
    assertEquals("echo", e.pluginId().orElseThrow());
    assertEquals("invalid handshake: ?",
        LaunchFailure.toException("echo", "invalid handshake: ?", OptionalInt.empty(), Optional.empty(), null).getMessage());
  }

  @Test
  void theOutputTextNamesEachStreamThatPrintedOrSaysThereWasNone() {
    assertEquals("; stdout: a; stderr: b", new LaunchFailure.Output("a", "b").text());
    assertEquals("; stderr: b", new LaunchFailure.Output(" ", "b").text());
    assertEquals("; no output", new LaunchFailure.Output("", "").text());
  }
}
