package io.jankrunner.bench;

/**
 * Narrows a sustained and a failed offered rate down to a boundary within {@link #PRECISION}:
 * the √2 sweep leaves the highest sustainable rate somewhere between its last sustained and its
 * first failed step, 41 % apart, so one step of noise would move a ratio by as much. Each trial
 * is at the geometric mean of the pair (the steps are ratios), so three trials take √2 to
 * under 5 %.
 */
final class RateBisection {

  /** Stop once the failed rate is at most 5 % above the sustained one. */
  static final double PRECISION = 1.05;

  /** Whether a system sustains an offered rate (a measured phase, in the bench). */
  @FunctionalInterface
  interface Trial<E extends Exception> {
    boolean sustained(int rate) throws E;
  }

  private RateBisection() {}

  /**
   * The highest rate found sustained, starting from {@code sustained} (known sustained) and
   * {@code failed} (known not): the result is {@code sustained} or a rate tried and sustained, and
   * the lowest rate tried and failed above it is at most {@link #PRECISION} times it. Trials are
   * taken at face value: a noisy one moves the boundary, never the search's end.
   */
  static <E extends Exception> int highestSustained(int sustained, int failed, Trial<E> trial) throws E {
    if (sustained <= 0 || failed <= sustained) {
      throw new IllegalArgumentException("need 0 < sustained < failed: " + sustained + ", " + failed);
    }
    int low = sustained;
    int high = failed;
    while (high > low * PRECISION) {
      int middle = (int) Math.round(Math.sqrt((double) low * high));
      if (middle <= low || middle >= high) {
        break; // integer rates closer than one command/s: nothing left between them
      }
      if (trial.sustained(middle)) {
        low = middle;
      } else {
        high = middle;
      }
    }
    return low;
  }
}
