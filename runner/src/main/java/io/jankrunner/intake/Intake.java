package io.jankrunner.intake;

/** A loop that consumes commands on its own thread until stopped. */
public interface Intake extends Runnable {

  /** Stops fetching; in-flight commands finish (or are released) before {@link #run} returns. */
  void stop();
}
