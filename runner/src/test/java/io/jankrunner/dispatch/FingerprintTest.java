package io.jankrunner.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.jankrunner.command.Command;
import io.jankrunner.command.CommandParser;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A command's fingerprint is the same for the same command (a redelivery) and differs for any
 * other: across the boundaries between type, plugin, method and args, between the kinds of JSON
 * values, and between field names and values.
 */
class FingerprintTest {

  private static final CommandParser PARSER = new CommandParser(1024 * 1024, "runner.results");

  private static Command command(String json) {
    return assertInstanceOf(CommandParser.Parsed.class, PARSER.parse(json.getBytes(StandardCharsets.UTF_8)))
        .command();
  }

  private static String execute(String plugin, String method, String args) {
    return "{\"id\":\"c1\",\"type\":\"execute\",\"plugin\":\"" + plugin + "\",\"method\":\"" + method + "\",\"args\":"
        + args + "}";
  }

  /** Each of {@code commands} has a fingerprint none of the others has. */
  private static void assertAllDiffer(List<String> commands) {
    Map<Fingerprint, String> seen = new HashMap<>();
    for (String json : commands) {
      String before = seen.put(Fingerprint.of(command(json)), json);
      assertEquals(null, before, () -> json + " has the fingerprint of " + before);
    }
  }

  @Test
  void theSameCommandDeliveredAgainHasTheSameFingerprint() {
    String json = execute("hello", "greet", "{\"name\":\"Ada\",\"n\":[1,2.5,true,null,{\"x\":\"é😀\"}]}");
    assertEquals(Fingerprint.of(command(json)), Fingerprint.of(command(json)));
    assertEquals(Fingerprint.of(command(json)),
        Fingerprint.of(command(json.replace("\"id\":\"c1\"", "\"id\":\"c1\",\"timeout_ms\":5000"))),
        "what the command does, not how long it may take, makes it the same command");
  }

  @Test
  void movingCharactersAcrossTheBoundaryOfTwoFieldsChangesTheFingerprint() {
    assertAllDiffer(List.of(
        execute("ab", "c", "{}"),
        execute("a", "bc", "{}"),
        execute("a", "b", "{\"c\":\"\"}"),
        execute("a", "b", "{\"\":\"c\"}"),
        execute("p", "m", "{\"ab\":\"c\"}"),
        execute("p", "m", "{\"a\":\"bc\"}"),
        execute("p", "m", "{\"a\":\"b\",\"c\":\"d\"}"),
        execute("p", "m", "{\"a\":\"b\\\",\\\"c\\\":\\\"d\"}"),
        execute("p", "m", "{\"a\":[\"b\",\"c\"]}"),
        execute("p", "m", "{\"a\":[\"bc\"]}"),
        execute("p", "m", "{\"a\":[\"b\"],\"c\":[]}"),
        execute("p", "m", "{\"a\":[[\"b\"]]}")));
  }

  @Test
  void valuesOfDifferentKindsHaveDifferentFingerprints() {
    assertAllDiffer(List.of(
        execute("p", "m", "{\"a\":1}"),
        execute("p", "m", "{\"a\":\"1\"}"),
        execute("p", "m", "{\"a\":1.0}"),
        execute("p", "m", "{\"a\":true}"),
        execute("p", "m", "{\"a\":\"true\"}"),
        execute("p", "m", "{\"a\":null}"),
        execute("p", "m", "{\"a\":\"null\"}"),
        execute("p", "m", "{\"a\":[]}"),
        execute("p", "m", "{\"a\":{}}"),
        execute("p", "m", "{\"a\":[null]}"),
        execute("p", "m", "{\"a\":123456789012345678901234567890}"),
        execute("p", "m", "{\"a\":\"123456789012345678901234567890\"}"),
        execute("p", "m", "{}"),
        execute("p", "m", "{\"b\":1}"),
        execute("p", "m", "{\"a\":2}"),
        execute("p", "m", "{\"a\":1,\"b\":2}"),
        execute("p", "m", "{\"b\":2,\"a\":1}")));
  }

  @Test
  void theTypeAndRebuildArePartOfTheFingerprint() {
    assertAllDiffer(List.of(
        "{\"id\":\"c1\",\"type\":\"register\",\"plugin\":\"p\"}",
        "{\"id\":\"c1\",\"type\":\"register\",\"plugin\":\"p\",\"rebuild\":true}",
        "{\"id\":\"c1\",\"type\":\"unregister\",\"plugin\":\"p\"}",
        "{\"id\":\"c1\",\"type\":\"build\",\"plugin\":\"p\"}",
        "{\"id\":\"c1\",\"type\":\"get\",\"plugin\":\"p\"}",
        "{\"id\":\"c1\",\"type\":\"list\"}",
        "{\"id\":\"c1\",\"type\":\"list\",\"plugin\":\"p\"}",
        execute("p", "p", "{}")));
  }
}
