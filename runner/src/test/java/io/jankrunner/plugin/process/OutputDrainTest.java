package io.jankrunner.plugin.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class OutputDrainTest {

  @Test
  void aFloodIsReadToTheEndWithWhatTheRateLimitRefusesCountedAndTheTailBounded() throws Exception {
    StringBuilder text = new StringBuilder();
    int lines = 50_000;
    for (int i = 0; i < lines; i++) {
      text.append("line ").append(i).append('\n');
    }
    OutputDrain drain = new OutputDrain(new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)),
        LoggerFactory.getLogger("test.output"), "flood", null, null);

    drain.run();

    assertTrue(drain.done().isDone());
    long logged = lines - drain.droppedLines();
    assertTrue(logged >= OutputDrain.LOG_LINES_PER_SECOND && logged < lines, "logged " + logged);
    String[] tail = drain.tail().split("\n");
    assertEquals(OutputDrain.TAIL_LINES, tail.length);
    assertEquals("line " + (lines - 1), tail[tail.length - 1]);
  }
}
