package io.jankrunner.plugin.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Telling a running worker's things from a dead one's, and leaving alone what is not named like either. */
class ProcessOwnerTest {

  @Test
  void thisWorkerIsRunning() {
    assertTrue(ProcessOwner.isRunning(ProcessOwner.self()));
  }

  @Test
  void aPidThatStartedAtAnotherTimeIsAnotherOwnerThatIsGone() {
    long pid = ProcessHandle.current().pid();
    assertFalse(ProcessOwner.isRunning(pid + "-12345"));
  }

  @Test
  void aNameThatIsNotAnOwnersCountsAsRunningSoNothingIsSweptOnAMisreading() {
    assertTrue(ProcessOwner.isRunning("probe-123"));
    assertTrue(ProcessOwner.isRunning("../../etc"));
  }
}
