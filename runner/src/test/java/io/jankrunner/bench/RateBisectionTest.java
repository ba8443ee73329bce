package io.jankrunner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateBisectionTest {

  @Test
  void findsTheBoundaryBetweenTheSweepsLastSustainedAndFirstFailedRateWithinFivePercent() {
    for (int boundary : new int[] {5_657, 5_700, 6_000, 6_728, 7_321, 7_999}) {
      int found = RateBisection.highestSustained(5_657, 8_000, rate -> rate <= boundary);
      assertTrue(found <= boundary, "boundary " + boundary + ", found " + found);
      assertTrue(found * RateBisection.PRECISION >= boundary, "boundary " + boundary + ", found " + found);
    }
  }

  @Test
  void aSqrtTwoStepTakesThreeTrialsFromTheGeometricMean() {
    List<Integer> tried = new ArrayList<>();
    RateBisection.highestSustained(5_657, 8_000, rate -> {
      tried.add(rate);
      return rate < 7_000;
    });
    assertEquals(3, tried.size(), tried.toString());
    assertEquals(Math.round(Math.sqrt(5_657.0 * 8_000)), (long) tried.getFirst());
  }

  @Test
  void aPairAlreadyWithinFivePercentIsNotTriedAgain() {
    assertEquals(1_000, RateBisection.highestSustained(1_000, 1_050, rate -> {
      throw new AssertionError("tried " + rate);
    }));
  }

  @Test
  void trialsAreTakenAsTheyComeWhenNoiseMakesThemInconsistent() {
    // Fails the first trial, passes every later one: the search still ends with a pair 5 % apart
    // below the failed trial.
    int[] trials = {0};
    int firstTrial = (int) Math.round(Math.sqrt(4_000.0 * 5_657));
    int found = RateBisection.highestSustained(4_000, 5_657, rate -> trials[0]++ > 0);
    assertTrue(found >= 4_000 && found < firstTrial, "found " + found);
    assertTrue(found * RateBisection.PRECISION >= firstTrial, "found " + found + ", failed at " + firstTrial);
  }

  @Test
  void smallRatesEndWhenNoWholeRateIsLeftBetweenThePair() {
    assertEquals(10, RateBisection.highestSustained(10, 11, rate -> true));
    assertEquals(1, RateBisection.highestSustained(1, 2, rate -> true));
  }

  @Test
  void aSustainedRateThatIsNotBelowTheFailedOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> RateBisection.highestSustained(8_000, 5_657, rate -> true));
    assertThrows(IllegalArgumentException.class, () -> RateBisection.highestSustained(0, 100, rate -> true));
  }
}
