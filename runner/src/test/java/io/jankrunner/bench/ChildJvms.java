package io.jankrunner.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Fresh JVMs of the bench's own JDK, for figures a warm JVM cannot give: starts and first calls. */
final class ChildJvms {

  private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private ChildJvms() {}

  /**
   * The median over {@code runs} of a bare JVM's start: launch until its one line is read. The
   * floor a plugin's cold start is compared with (same JDK, same run, no options).
   */
  static double jvmHelloMillis(int runs) throws IOException, InterruptedException {
    String classes = Path.of(JvmHello.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    double[] millis = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      String line = firstLine(List.of(JAVA, "-cp", classes, JvmHello.class.getName()));
      millis[i] = (System.nanoTime() - start) / 1e6;
      if (!"hello".equals(line)) {
        throw new IllegalStateException("the bare JVM printed " + line);
      }
    }
    return median(millis);
  }

  /**
   * Medians over fresh JVMs, in ms: a first call without the plugin's own start (launch to
   * handshake), the call after it, the whole first start (unregistered to first answer) and the
   * same JVM's second start.
   */
  record FirstCalls(double firstCall, double secondCall, double coldStart, double secondColdStart) {}

  /** {@link FirstCall} in {@code runs} fresh JVMs with the worker's JVM options. */
  static FirstCalls firstCallMillis(Path plugins, String id, boolean warm, int runs)
      throws IOException, InterruptedException {
    double[] first = new double[runs];
    double[] second = new double[runs];
    double[] start = new double[runs];
    double[] secondStart = new double[runs];
    for (int i = 0; i < runs; i++) {
      // As scripts/runner starts a worker: the full JIT (C1 alone is for its one-shot commands).
      List<String> command = new ArrayList<>(List.of(JAVA, "--enable-native-access=ALL-UNNAMED",
          "-XX:+UseSerialGC"));
      if (Runtime.version().feature() >= 23) {
        command.add("--sun-misc-unsafe-memory-access=allow");
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), FirstCall.class.getName(),
          plugins.toString(), id, warm ? "warm" : "cold"));
      String[] figures = firstLine(command).trim().split(" ");
      first[i] = Double.parseDouble(figures[0]);
      second[i] = Double.parseDouble(figures[1]);
      start[i] = Double.parseDouble(figures[2]);
      secondStart[i] = Double.parseDouble(figures[3]);
    }
    return new FirstCalls(median(first), median(second), median(start), median(secondStart));
  }

  private static String firstLine(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line = out.readLine();
      if (line == null) {
        throw new IllegalStateException("no output from " + command);
      }
      return line;
    } finally {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }
}
