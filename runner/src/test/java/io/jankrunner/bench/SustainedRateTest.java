package io.jankrunner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rate search of one measured repeat, on a system that sustains every rate up to a boundary. */
class SustainedRateTest {

  private final List<Integer> tried = new ArrayList<>();

  private LoadPhases.Trial upTo(int boundary) {
    return rate -> {
      tried.add(rate);
      int answered = rate <= boundary ? rate : rate - 1; // one command lost above the boundary
      return new LoadPhases.Phase(rate, rate, answered, 2, 20, 30, rate / 100_000.0);
    };
  }

  @Test
  void theSweepUpIsFollowedByABisectionToWithinFivePercentOfTheBoundary() throws Exception {
    LoadPhases.Phase found = LoadPhases.sustainedRate("test", 4_000, upTo(7_321));
    assertTrue(found.sustained());
    assertTrue(found.rate() <= 7_321 && found.rate() * RateBisection.PRECISION >= 7_321, "found " + found.rate());
    assertEquals(List.of(4_000, 5_657, 8_000), tried.subList(0, 3), "√2 steps up to the first failed one");
    assertEquals(3, tried.size() - 3, "three bisection trials: " + tried);
    assertEquals(0.01 * found.rate() / found.answered(), found.cpuMillisPerCommand(), 1e-12,
        "the phase returned is the one measured at that rate");
  }

  @Test
  void aProbedRateThatFailsIsFollowedByStepsDownAndABisectionAbove() throws Exception {
    LoadPhases.Phase found = LoadPhases.sustainedRate("test", 8_000, upTo(6_000));
    assertTrue(found.rate() <= 6_000 && found.rate() * RateBisection.PRECISION >= 6_000, "found " + found.rate());
    assertEquals(List.of(8_000, 5_657), tried.subList(0, 2), tried.toString());
  }

  @Test
  void noRateSustainedDownToHalfTheProbedOneGivesNoneAndNoBisection() throws Exception {
    assertNull(LoadPhases.sustainedRate("test", 8_000, upTo(1_000)));
    assertEquals(List.of(8_000, 5_657, 4_000), tried);
  }

  @Test
  void sixStepsUpAllSustainedEndTheSearchWithoutABisection() throws Exception {
    LoadPhases.Phase found = LoadPhases.sustainedRate("test", 1_000, upTo(1_000_000));
    assertEquals(7, tried.size(), tried.toString());
    assertEquals(tried.getLast(), found.rate());
  }
}
