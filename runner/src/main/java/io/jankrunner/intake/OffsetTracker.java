package io.jankrunner.intake;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Which records of which partitions are being handled, and how far each partition may be
 * committed: up to the highest offset below which every record has finished (records finish
 * out of order; a commit never skips one that has not). Used by the poll thread only.
 *
 * <p>Each assignment of a partition gets a fresh {@link Track}; a record's completion names the
 * track it started on, so work from before a revocation or a rewind is recognised and ignored.
 */
final class OffsetTracker {

  /** One record being handled, or handled and not yet committed. */
  static final class Slot {
    final long offset;
    boolean done;
    /** The records to write in the commit that covers this one (exactly-once mode). */
    List<ProducerRecord<byte[], byte[]>> outputs = List.of();
    /** What to write instead when the broker refuses one of {@link #outputs}. */
    Function<Throwable, ProducerRecord<byte[], byte[]>> fallback;

    Slot(long offset) {
      this.offset = offset;
    }
  }

  /** The records of one partition in offset order, from one assignment of it. */
  static final class Track {
    final TopicPartition partition;
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();

    Track(TopicPartition partition) {
      this.partition = partition;
    }

    boolean idle() {
      return slots.stream().allMatch(slot -> slot.done);
    }
  }

  private final Map<TopicPartition, Track> tracks = new HashMap<>();
  private int running;
  private int held;

  /** A new assignment of {@code partition}: anything tracked for it before is forgotten. */
  Track assign(TopicPartition partition) {
    drop(partition);
    Track track = new Track(partition);
    tracks.put(partition, track);
    return track;
  }

  /** Stops tracking {@code partition}; completions of its records are ignored from now on. */
  void drop(TopicPartition partition) {
    Track old = tracks.remove(partition);
    if (old != null) {
      for (Slot slot : old.slots) {
        held--;
        if (!slot.done) {
          running--;
        }
      }
    }
  }

  Optional<Track> track(TopicPartition partition) {
    return Optional.ofNullable(tracks.get(partition));
  }

  /** A record was fetched and handed to a worker thread. Records of a partition arrive in offset order. */
  Slot started(Track track, long offset) {
    Slot slot = new Slot(offset);
    track.slots.addLast(slot);
    running++;
    held++;
    return slot;
  }

  /** A record finished; false when its track is no longer current (revoked, lost or rewound). */
  boolean finished(Track track, Slot slot, List<ProducerRecord<byte[], byte[]>> outputs,
                   Function<Throwable, ProducerRecord<byte[], byte[]>> fallback) {
    if (tracks.get(track.partition) != track || slot.done) {
      return false;
    }
    slot.done = true;
    slot.outputs = outputs;
    slot.fallback = fallback;
    running--;
    return true;
  }

  /** Records being handled now. */
  int running() {
    return running;
  }

  /** Records being handled or waiting for a commit. */
  int held() {
    return held;
  }

  /** The records of {@code partitions} still running. */
  int running(List<TopicPartition> partitions) {
    int count = 0;
    for (TopicPartition partition : partitions) {
      Track track = tracks.get(partition);
      if (track != null) {
        count += (int) track.slots.stream().filter(slot -> !slot.done).count();
      }
    }
    return count;
  }

  /**
   * What may be committed now: per partition, the offset after the last record of the finished
   * prefix, and those records' outputs in offset order. Nothing is removed until
   * {@link #committed} says the commit went through.
   */
  Commit pending() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    List<Output> outputs = new ArrayList<>();
    Map<Track, Integer> counts = new HashMap<>();
    for (Track track : tracks.values()) {
      int count = 0;
      long next = -1;
      for (Slot slot : track.slots) {
        if (!slot.done) {
          break;
        }
        slot.outputs.forEach(output -> outputs.add(new Output(slot, output)));
        next = slot.offset + 1;
        count++;
      }
      if (count > 0) {
        offsets.put(track.partition, new OffsetAndMetadata(next));
        counts.put(track, count);
      }
    }
    return new Commit(offsets, outputs, counts);
  }

  /** The prefix that {@code commit} covered is durable: forget those records. */
  void committed(Commit commit) {
    commit.counts.forEach((track, count) -> {
      if (tracks.get(track.partition) != track) {
        return;
      }
      for (int i = 0; i < count; i++) {
        track.slots.removeFirst();
        held--;
      }
    });
  }

  /** The offset each tracked partition should be read from again after a failed commit. */
  Map<TopicPartition, Long> rewindPoints() {
    Map<TopicPartition, Long> points = new HashMap<>();
    tracks.values().forEach(track -> {
      if (!track.slots.isEmpty()) {
        points.put(track.partition, track.slots.getFirst().offset);
      }
    });
    return points;
  }

  List<TopicPartition> partitions() {
    return List.copyOf(tracks.keySet());
  }

  /** A record to write, and the slot whose command it answers. */
  record Output(Slot slot, ProducerRecord<byte[], byte[]> record) {}

  /** Offsets and outputs of one commit, and how many records of each track it covers. */
  record Commit(Map<TopicPartition, OffsetAndMetadata> offsets, List<Output> outputs, Map<Track, Integer> counts) {
    boolean isEmpty() {
      return offsets.isEmpty();
    }
  }
}
