package io.jankrunner.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * What the tracker promises: a partition is committed up to its finished prefix only, never past
 * a record still running; outputs come in offset order; a commit forgets only what it covered;
 * and completions from an assignment that is gone (revoked, lost, rewound) change nothing.
 */
class OffsetTrackerTest {

  private static final TopicPartition P0 = new TopicPartition("commands", 0);
  private static final TopicPartition P1 = new TopicPartition("commands", 1);

  private final OffsetTracker tracker = new OffsetTracker();

  private static ProducerRecord<byte[], byte[]> output(String value) {
    return new ProducerRecord<>("results", value.getBytes());
  }

  private boolean finish(OffsetTracker.Track track, OffsetTracker.Slot slot, String... outputs) {
    return tracker.finished(track, slot, Arrays.stream(outputs).map(OffsetTrackerTest::output).toList(),
        null);
  }

  @Test
  void nothingIsCommittableWhileTheFirstRecordRuns() {
    OffsetTracker.Track track = tracker.assign(P0);
    tracker.started(track, 10);
    OffsetTracker.Slot second = tracker.started(track, 11);
    finish(track, second);

    assertTrue(tracker.pending().isEmpty());
    assertEquals(Map.of(P0, 10L), tracker.rewindPoints());
  }

  @Test
  void theCommitStopsAtTheFirstGapAndMovesOnWhenItCloses() {
    OffsetTracker.Track track = tracker.assign(P0);
    OffsetTracker.Slot first = tracker.started(track, 10);
    OffsetTracker.Slot second = tracker.started(track, 11);
    OffsetTracker.Slot third = tracker.started(track, 12);
    finish(track, first);
    finish(track, third);

    OffsetTracker.Commit commit = tracker.pending();
    assertEquals(Map.of(P0, new OffsetAndMetadata(11)), commit.offsets());
    tracker.committed(commit);
    assertEquals(Map.of(P0, 11L), tracker.rewindPoints());

    finish(track, second);
    assertEquals(Map.of(P0, new OffsetAndMetadata(13)), tracker.pending().offsets());
  }

  @Test
  void offsetsThatAreNotContiguousCommitAfterTheLastFinishedOne() {
    // Compacted topics and transaction markers leave holes between offsets.
    OffsetTracker.Track track = tracker.assign(P0);
    finish(track, tracker.started(track, 3));
    finish(track, tracker.started(track, 7));

    assertEquals(Map.of(P0, new OffsetAndMetadata(8)), tracker.pending().offsets());
  }

  @Test
  void outputsOfTheFinishedPrefixComeInOffsetOrderWhateverOrderTheyFinishedIn() {
    OffsetTracker.Track track = tracker.assign(P0);
    OffsetTracker.Slot first = tracker.started(track, 0);
    OffsetTracker.Slot second = tracker.started(track, 1);
    OffsetTracker.Slot third = tracker.started(track, 2);
    finish(track, third, "c");
    finish(track, second, "b1", "b2");
    finish(track, first, "a");

    List<String> values = tracker.pending().outputs().stream().map(out -> new String(out.record().value())).toList();
    assertEquals(List.of("a", "b1", "b2", "c"), values);
  }

  @Test
  void pendingChangesNothingUntilTheCommitIsConfirmed() {
    OffsetTracker.Track track = tracker.assign(P0);
    finish(track, tracker.started(track, 0), "a");

    OffsetTracker.Commit failed = tracker.pending();
    assertEquals(failed.offsets(), tracker.pending().offsets(), "a commit that failed is offered again");
    assertEquals(1, tracker.held());

    tracker.committed(tracker.pending());
    assertTrue(tracker.pending().isEmpty());
    assertEquals(0, tracker.held());
    assertEquals(Map.of(), tracker.rewindPoints());
  }

  @Test
  void aConfirmedCommitForgetsOnlyTheRecordsItCovered() {
    OffsetTracker.Track track = tracker.assign(P0);
    finish(track, tracker.started(track, 0));
    OffsetTracker.Commit commit = tracker.pending();
    OffsetTracker.Slot later = tracker.started(track, 1);
    finish(track, later);

    tracker.committed(commit);
    assertEquals(Map.of(P0, new OffsetAndMetadata(2)), tracker.pending().offsets());
    assertEquals(1, tracker.held());
  }

  @Test
  void partitionsAreCommittedIndependently() {
    OffsetTracker.Track zero = tracker.assign(P0);
    OffsetTracker.Track one = tracker.assign(P1);
    tracker.started(zero, 5);
    finish(one, tracker.started(one, 40));

    assertEquals(Map.of(P1, new OffsetAndMetadata(41)), tracker.pending().offsets());
    assertEquals(1, tracker.running(List.of(P0)));
    assertEquals(0, tracker.running(List.of(P1)));
  }

  @Test
  void countsFollowRecordsFromStartThroughFinishToCommit() {
    OffsetTracker.Track track = tracker.assign(P0);
    OffsetTracker.Slot first = tracker.started(track, 0);
    tracker.started(track, 1);
    assertEquals(2, tracker.running());
    assertEquals(2, tracker.held());

    finish(track, first);
    assertEquals(1, tracker.running());
    assertEquals(2, tracker.held(), "finished but not committed is still held");

    tracker.committed(tracker.pending());
    assertEquals(1, tracker.running());
    assertEquals(1, tracker.held());
  }

  @Test
  void aSecondCompletionOfTheSameRecordIsRefused() {
    OffsetTracker.Track track = tracker.assign(P0);
    OffsetTracker.Slot slot = tracker.started(track, 0);

    assertTrue(finish(track, slot, "first"));
    assertFalse(finish(track, slot, "second"));
    assertEquals(0, tracker.running());
    assertEquals(List.of("first"),
        tracker.pending().outputs().stream().map(out -> new String(out.record().value())).toList());
  }

  @Test
  void completionsFromARevokedAssignmentAreIgnored() {
    OffsetTracker.Track old = tracker.assign(P0);
    OffsetTracker.Slot slot = tracker.started(old, 0);
    tracker.drop(P0);

    assertFalse(finish(old, slot));
    assertTrue(tracker.pending().isEmpty());
    assertEquals(0, tracker.running());
    assertEquals(0, tracker.held());
    assertTrue(tracker.track(P0).isEmpty());
    assertEquals(List.of(), tracker.partitions());
  }

  @Test
  void aNewAssignmentForgetsTheOldOneAndItsLateCompletions() {
    OffsetTracker.Track old = tracker.assign(P0);
    OffsetTracker.Slot stale = tracker.started(old, 0);
    OffsetTracker.Track current = tracker.assign(P0); // reassigned, or rewound after a failure
    assertEquals(0, tracker.running(), "the old assignment's records no longer count");

    OffsetTracker.Slot again = tracker.started(current, 0);
    assertFalse(finish(old, stale));
    assertTrue(tracker.pending().isEmpty());

    assertTrue(finish(current, again));
    assertEquals(Map.of(P0, new OffsetAndMetadata(1)), tracker.pending().offsets());
    assertEquals(current, tracker.track(P0).orElseThrow());
  }

  @Test
  void aCommitTakenBeforeARevocationForgetsNothingOfTheNextAssignment() {
    OffsetTracker.Track old = tracker.assign(P0);
    finish(old, tracker.started(old, 0));
    OffsetTracker.Commit beforeRevocation = tracker.pending();
    OffsetTracker.Track current = tracker.assign(P0);
    finish(current, tracker.started(current, 0));

    tracker.committed(beforeRevocation);
    assertEquals(1, tracker.held());
    assertEquals(Map.of(P0, new OffsetAndMetadata(1)), tracker.pending().offsets());
  }

  @Test
  void aTrackIsIdleWhenAllItsRecordsFinished() {
    OffsetTracker.Track track = tracker.assign(P0);
    assertTrue(track.idle());
    OffsetTracker.Slot slot = tracker.started(track, 0);
    assertFalse(track.idle());
    finish(track, slot);
    assertTrue(track.idle());
  }
}
