package io.jankrunner.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.jankrunner.ErrorCode;
import io.jankrunner.command.Command;
import io.jankrunner.command.CommandType;
import io.jankrunner.result.Result;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerMetricsTest {

  private static void answer(WorkerMetrics metrics, String plugin) {
    Command command = new Command("c-" + plugin, CommandType.EXECUTE, Optional.of(plugin), Optional.of("m"),
        JsonNodeFactory.instance.objectNode(), "r", Optional.empty(), Optional.empty(), false);
    Instant now = Instant.now();
    metrics.answered(command, new Result(command.id(), Optional.of("execute"), command.plugin(), command.method(),
        false, Optional.empty(), Optional.of(new Result.Failure(ErrorCode.PLUGIN_NOT_FOUND, "no")), "w", 0, 1, now,
        now), Duration.ofMillis(1));
  }

  private static long pluginSeries(String scrape) {
    return scrape.lines().filter(line -> line.contains("plugin=\"")).count();
  }

  @Test
  void aThousandDistinctUnknownPluginIdsAddNoMetricSeries() {
    try (WorkerMetrics metrics = new WorkerMetrics("w")) {
      metrics.tagOnly("com.example.known"::equals);
      answer(metrics, "com.example.known");
      answer(metrics, "com.example.unknown-first");
      // Only the series tagged with a plugin: the JVM's own meters may add lines as the test runs (a GC, a pool).
      long before = pluginSeries(metrics.scrape());

      for (int i = 0; i < 1000; i++) {
        answer(metrics, "com.example.unknown-" + i);
      }

      String after = metrics.scrape();
      assertEquals(before, pluginSeries(after));
      assertFalse(after.contains("unknown-"), "an unregistered id became a tag value");
      assertTrue(after.contains("plugin=\"unregistered\""));
      assertTrue(after.contains("plugin=\"com.example.known\""));
    }
  }
}
