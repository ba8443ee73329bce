package io.jankrunner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The arithmetic behind the e2e bench's CPU figures and ratios. */
class BenchFiguresTest {

  @Test
  void cpuSecondsAreUtimePlusStimeInClockTicksEvenWhenTheCommandNameHasSpacesAndParentheses() {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    String stat = "4242 (java (a) b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 566 900 100 20 0 30 0 123 456 789";
    assertEquals(18.0, ChildProcess.cpuSecondsOfStat(stat), 1e-9); // (1234 + 566) / 100; children's cutime not counted
  }

  @Test
  void thisProcessesOwnStatLineParses() throws Exception {
    double seconds = ChildProcess.cpuSecondsOfStat(Files.readString(Path.of("/proc/self/stat")));
    assertTrue(seconds >= 0, "cpu seconds " + seconds);
  }

  @Test
  void cpuPerCommandIsThePhasesCpuTimeOverTheCommandsAnswered() {
    LoadPhases.Phase phase = new LoadPhases.Phase(5_000, 50_000, 40_000, 3, 9, 20, 2.4);
    assertEquals(0.06, phase.cpuMillisPerCommand(), 1e-12); // 60 µs
    assertTrue(Double.isNaN(new LoadPhases.Phase(100, 10, 0, 0, 0, 0, 1).cpuMillisPerCommand()));
    assertFalse(phase.sustained(), "a phase with commands unanswered is not sustained");
  }

  @Test
  void eachModesCpuIsSetAgainstThePipelineFloorsAtThatModesRate() {
    Map<String, Object> figures = new HashMap<>(Map.of(
        "share_worker_cpu_us_per_command", 80.0, "group_worker_cpu_us_per_command", 150.0,
        "pipeline_cpu_us_per_command_share", 25.0, "pipeline_cpu_us_per_command_group", 30.0));
    E2eBench.ratios(List.of("share", "group", "pipeline"), figures);
    assertEquals(3.2, figures.get("share_cpu_ratio"));
    assertEquals(5.0, figures.get("group_cpu_ratio"));
    assertFalse(figures.containsKey("p50_ratio"), "a subset of systems gets no ratio to the echo floor");
  }

  @Test
  void latencyRatiosToThePipelineFloorTakeTheWorseModeAtBothRates() {
    Map<String, Object> figures = sameLatencies();
    figures.putAll(Map.of("share_100_p50_ms", 3.0, "group_100_p99_ms", 12.0, "floor_throughput", 40_000,
        "pipeline_floor_throughput", 10_000, "share_throughput", 8_000, "group_throughput", 0));
    E2eBench.ratios(E2eBench.SYSTEMS, figures);
    assertEquals(1.5, figures.get("p50_vs_pipeline_ratio_100"));
    assertEquals(1.5, figures.get("p99_vs_pipeline_ratio_100"));
    assertEquals(1.0, figures.get("p50_vs_pipeline_ratio"));
    assertEquals(0.8, figures.get("pipeline_ratio"));
    assertNull(figures.get("share_vs_group_ratio"), "no rate sustained by group mode: no ratio");
    assertFalse(figures.containsKey("share_cpu_ratio"), "no CPU figures, no CPU ratio");
  }

  @Test
  void aPercentileOnAnUnansweredCommandIsNullAndSoAreTheRatiosOverIt() {
    // LoadPhases counts an unanswered command as infinitely slow; rounding that gave 9.22e16.
    assertNull(E2eBench.round(Double.POSITIVE_INFINITY));
    assertNull(E2eBench.round(Double.NaN));
    assertEquals(12.35, E2eBench.round(12.345678));
    Map<String, Object> figures = sameLatencies();
    figures.put("share_100_p99_ms", null);
    figures.putAll(Map.of("floor_throughput", 40_000, "pipeline_floor_throughput", 10_000, "share_throughput", 8_000,
        "group_throughput", 8_000));
    E2eBench.ratios(E2eBench.SYSTEMS, figures);
    assertNull(figures.get("p99_vs_pipeline_ratio_100"), "the worse mode's p99 is unknown");
    assertNull(figures.get("share_100_p99_ratio"));
    assertEquals(1.0, figures.get("group_100_p99_ratio"));
    assertEquals(1.0, figures.get("p50_vs_pipeline_ratio_100"));
  }

  /** Every system at p50 2 ms and p99 10 ms at 1,000/s, p50 2 ms and p99 8 ms at 100/s. */
  private static Map<String, Object> sameLatencies() {
    Map<String, Object> figures = new HashMap<>();
    for (String system : List.of("floor", "pipeline", "share", "group")) {
      figures.put(system + "_p50_ms", 2.0);
      figures.put(system + "_p99_ms", 10.0);
      figures.put(system + "_100_p50_ms", 2.0);
      figures.put(system + "_100_p99_ms", 8.0);
    }
    return figures;
  }

  @Test
  void systemsRunWithThePipelineFloorAfterTheWorkers() {
    assertEquals(List.of("floor", "share", "group", "pipeline"), E2eBench.systems("pipeline,group,floor,share"));
    assertEquals(List.of("share", "pipeline"), E2eBench.systems("pipeline,share"));
    assertThrows(IllegalArgumentException.class, () -> E2eBench.systems("floor,shared"));
  }
}
