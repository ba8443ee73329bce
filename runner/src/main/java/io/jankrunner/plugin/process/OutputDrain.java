package io.jankrunner.plugin.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Reads one output stream of a child process until it closes, so the child never blocks on a
 * full pipe. Reading never waits on logging: lines are bounded in length (a child that prints
 * megabytes without a newline costs at most {@link #MAX_LINE} bytes), logged at a bounded rate
 * (a flooding child cannot flood the worker's log; what the limit refuses is dropped, counted in
 * {@link #droppedLines()} and summarised in one log line per second), and only the last
 * {@link #TAIL_LINES} are kept for error reasons.
 *
 * <p>With {@code firstLine} set, the first complete line completes that future instead of being
 * logged: that is how the go-plugin handshake is read from stdout.
 */
public final class OutputDrain implements Runnable {

  static final int MAX_LINE = 8 * 1024;
  static final int TAIL_LINES = 40;
  /** Lines logged per second per stream; the rest are counted and summarised. */
  static final int LOG_LINES_PER_SECOND = 100;

  private final InputStream in;
  private final Logger log;
  private final String tag;
  private final CompletableFuture<Optional<String>> firstLine;
  private final Consumer<String> lineSink;
  private final LineTail tail = new LineTail(TAIL_LINES);
  private final byte[] line = new byte[MAX_LINE];
  private int length;
  private boolean truncated;
  private long windowStart = System.nanoTime();
  private int loggedInWindow;
  private long suppressed;
  private final AtomicLong dropped = new AtomicLong();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  /**
   * @param firstLine completed with the first line, or empty at end of stream; may be null
   * @param lineSink receives every line too (for build output); may be null
   */
  public OutputDrain(InputStream in, Logger log, String tag, CompletableFuture<Optional<String>> firstLine,
              Consumer<String> lineSink) {
    this.in = in;
    this.log = log;
    this.tag = tag;
    this.firstLine = firstLine;
    this.lineSink = lineSink;
  }

  /**
   * Starts draining on a platform thread. Not a virtual one: a blocking read of a pipe pins its
   * carrier, and two quiet plugins would then starve every virtual thread of a 2-core worker.
   */
  public OutputDrain start(String threadName) {
    Thread.ofPlatform().name(threadName).daemon(true).stackSize(256 * 1024).start(this);
    return this;
  }

  @Override
  public void run() {
    byte[] buffer = new byte[8192];
    try (in) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        feed(buffer, read);
      }
    } catch (IOException e) {
      // The stream closes when the process dies or is killed; nothing more to read.
    } finally {
      finish();
    }
  }

  /**
   * Handles {@code length} bytes of output that came another way than {@link #start}'s stream,
   * e.g. go-plugin's stdio stream; a line may span calls. Never blocks; not thread-safe (one
   * caller at a time, as gRPC delivers a stream's messages).
   */
  public void feed(byte[] data, int count) {
    for (int i = 0; i < count; i++) {
      byte b = data[i];
      if (b == '\n') {
        emit(new String(line, 0, length, StandardCharsets.UTF_8), truncated);
        length = 0;
        truncated = false;
      } else if (length < MAX_LINE) {
        line[length++] = b;
      } else {
        truncated = true;
      }
    }
  }

  /** The output has ended: emits a last unterminated line and completes {@link #done()}. */
  public void finish() {
    if (done.isDone()) {
      return;
    }
    if (length > 0) {
      emit(new String(line, 0, length, StandardCharsets.UTF_8), truncated);
      length = 0;
    }
    flushSuppressed();
    if (firstLine != null) {
      firstLine.complete(Optional.empty());
    }
    done.complete(null);
  }

  private void emit(String text, boolean truncated) {
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    if (truncated) {
      text = text + " …[line truncated at " + MAX_LINE + " bytes]";
    }
    if (firstLine != null && !firstLine.isDone()) {
      tail.add(text);
      firstLine.complete(Optional.of(text));
      return;
    }
    tail.add(text);
    if (lineSink != null) {
      lineSink.accept(text);
    }
    logRateLimited(text);
  }

  private void logRateLimited(String text) {
    long now = System.nanoTime();
    if (now - windowStart >= 1_000_000_000L) {
      flushSuppressed();
      windowStart = now;
      loggedInWindow = 0;
    }
    if (loggedInWindow < LOG_LINES_PER_SECOND) {
      loggedInWindow++;
      log.info("[{}] {}", tag, text);
    } else {
      suppressed++;
      dropped.incrementAndGet();
    }
  }

  private void flushSuppressed() {
    if (suppressed > 0) {
      log.warn("[{}] {} lines of output dropped from the log (more than {} lines/s); {} dropped in all", tag,
          suppressed, LOG_LINES_PER_SECOND, dropped.get());
      suppressed = 0;
    }
  }

  /** Completes when the stream has closed and every line has been handled. */
  public CompletableFuture<Void> done() {
    return done;
  }

  /** Lines read but not logged because of the rate limit, since the stream was opened; for metrics. */
  long droppedLines() {
    return dropped.get();
  }

  /** The last lines read, oldest first, joined by newlines. */
  public String tail() {
    return tail.text();
  }
}
