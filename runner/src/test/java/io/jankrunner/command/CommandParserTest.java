package io.jankrunner.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.command.CommandParser.Parsed;
import io.jankrunner.command.CommandParser.Rejected;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandParserTest {

  private final CommandParser parser = new CommandParser(1024, "runner.results");

  private CommandParser.Outcome parse(String json) {
    return parser.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsACompleteExecuteCommand() {
    Command command = assertInstanceOf(Parsed.class, parse("""
        {"v":1, "id":"cmd-1", "type":"execute", "plugin":"com.jank.plugins.hello-world", "method":"greet",
         "args":{"name":"Ada"}, "reply_to":"my-app.replies", "timeout_ms":5000, "deadline":"2026-11-24T18:00:00Z"}
        """)).command();

    assertEquals("cmd-1", command.id());
    assertEquals(CommandType.EXECUTE, command.type());
    assertEquals(Optional.of("com.jank.plugins.hello-world"), command.plugin());
    assertEquals(Optional.of("greet"), command.method());
    assertEquals("Ada", command.args().get("name").asText());
    assertEquals("my-app.replies", command.replyTo());
    assertEquals(Optional.of(Duration.ofMillis(5000)), command.timeout());
    assertEquals(Optional.of(Instant.parse("2026-11-24T18:00:00Z")), command.deadline());
  }

  @Test
  void defaultsTheReplyTopicAndArguments() {
    Command command = assertInstanceOf(Parsed.class,
        parse("{\"id\":\"a\",\"type\":\"execute\",\"plugin\":\"a.b\",\"method\":\"m\"}")).command();
    assertEquals("runner.results", command.replyTo());
    assertTrue(command.args().isEmpty());
  }

  @Test
  void theEarliestOfDeadlineAndTimeoutBoundsTheCommand() {
    Instant received = Instant.parse("2026-01-01T00:00:00Z");
    Command command = assertInstanceOf(Parsed.class, parse("""
        {"id":"a","type":"execute","plugin":"a.b","method":"m","timeout_ms":1000,"deadline":"2026-01-01T00:00:05Z"}
        """)).command();
    assertEquals(Optional.of(received.plusSeconds(1)), command.deadlineFrom(received));
  }

  @Test
  void aPlainPluginIdAsUpstreamJankAcceptsIsTakenUpToAHundredCharacters() {
    Command plain = assertInstanceOf(Parsed.class,
        parse("{\"id\":\"a\",\"type\":\"execute\",\"plugin\":\"hello-world\",\"method\":\"greet\"}")).command();
    assertEquals(Optional.of("hello-world"), plain.plugin());
    assertInstanceOf(Parsed.class, parse("{\"id\":\"a\",\"type\":\"get\",\"plugin\":\"" + "p".repeat(100) + "\"}"));
    Rejected tooLong = assertInstanceOf(Rejected.class,
        parse("{\"id\":\"a\",\"type\":\"get\",\"plugin\":\"" + "p".repeat(101) + "\"}"));
    assertTrue(tooLong.reason().contains("invalid 'plugin'"), tooLong.reason());
  }

  @Test
  void listNeedsNoPlugin() {
    assertInstanceOf(Parsed.class, parse("{\"id\":\"a\",\"type\":\"list\"}"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{not json|not valid JSON",
      "[1,2]|must be a JSON object",
      "{\"type\":\"execute\"}|missing 'id'",
      "{\"id\":\"has space\",\"type\":\"list\"}|invalid 'id'",
      "{\"id\":\"a\"}|missing 'type'",
      "{\"id\":\"a\",\"type\":\"explode\"}|unknown type 'explode'",
      "{\"id\":\"a\",\"type\":\"execute\",\"method\":\"m\"}|missing 'plugin'",
      "{\"id\":\"a\",\"type\":\"execute\",\"plugin\":\"../etc\",\"method\":\"m\"}|invalid 'plugin'",
      "{\"id\":\"a\",\"type\":\"get\",\"plugin\":\"-rf\"}|invalid 'plugin'",
      "{\"id\":\"a\",\"type\":\"execute\",\"plugin\":\"a.b\"}|missing 'method'",
      "{\"id\":\"a\",\"type\":\"execute\",\"plugin\":\"a.b\",\"method\":\"m\",\"args\":[1]}|'args' must be a JSON object",
      "{\"id\":\"a\",\"type\":\"list\",\"timeout_ms\":-5}|'timeout_ms' must be a positive",
      "{\"id\":\"a\",\"type\":\"list\",\"deadline\":\"tomorrow\"}|'deadline' must be an ISO-8601",
      "{\"id\":\"a\",\"type\":\"list\",\"reply_to\":\"bad topic!\"}|invalid 'reply_to'",
      "{\"v\":2,\"id\":\"a\",\"type\":\"list\"}|unsupported command version",
      "{\"id\":\"a\",\"id\":\"b\",\"type\":\"list\"}|not valid JSON"})
  void rejectsBadCommandsWithAReason(String json, String reason) {
    Rejected rejected = assertInstanceOf(Rejected.class, parse(json));
    assertTrue(rejected.reason().contains(reason), rejected.reason());
  }

  @Test
  void aRejectedCommandStillNamesItsIdAndReplyTopicWhenTheyAreReadable() {
    Rejected rejected = assertInstanceOf(Rejected.class,
        parse("{\"id\":\"cmd-9\",\"type\":\"explode\",\"reply_to\":\"mine\"}"));
    assertEquals(Optional.of("cmd-9"), rejected.id());
    assertEquals(Optional.of("mine"), rejected.replyTo());
  }

  @Test
  void anOversizeCommandIsRejectedButStillAnswerable() {
    String big = "{\"id\":\"big\",\"type\":\"list\",\"pad\":\"" + "x".repeat(2000) + "\"}";
    Rejected rejected = assertInstanceOf(Rejected.class, parse(big));
    assertTrue(rejected.reason().contains("more than the limit of 1024"));
    assertEquals(Optional.of("big"), rejected.id());
    assertEquals(Optional.of("runner.results"), rejected.replyTo());
  }

  @Test
  void anEmptyRecordIsRejected() {
    assertInstanceOf(Rejected.class, parser.parse(new byte[0]));
    assertInstanceOf(Rejected.class, parser.parse(null));
  }
}
