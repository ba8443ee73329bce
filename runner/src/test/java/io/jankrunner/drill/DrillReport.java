package io.jankrunner.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a drill found. lost: a command sent (the broker acknowledged it) with no result, or an
 * unparsable record missing from the DLQ; phantom: a result for an id never sent; duplicates:
 * ids with more than one visible result; answered_after_wait: results that came only once the
 * workers were told to stop (the wait timed out: something was stuck); longest_silence_seconds:
 * the longest time in which no command was answered for the first time; ok: ids whose last
 * result is a success; errors: the final result's error code per id; orphans: plugin processes
 * still alive after both workers stopped.
 */
record DrillReport(DrillOptions options, int sent, int unsent, int ok, Map<String, Integer> okByPlugin, List<String> lost, List<String> phantom,
                   List<String> duplicates, Map<String, Integer> errors, List<String> invalidMisanswered,
                   List<String> orphans, Map<String, Integer> faults, List<String> skipped, List<String> forcedStops,
                   List<String> hungNotDetected, long answeredAfterWait, Map<String, Integer> errorMessages,
                   Duration longestSilence, boolean drained, Duration elapsed) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SAMPLE = 20;

  static DrillReport of(DrillOptions options, CommandStream stream, Checker checker, Set<String> registers,
                        FaultSchedule faults, List<String> forcedStops, List<String> orphans,
                        List<String> hungNotDetected, long answeredAfterWait, boolean drained,
                        Duration elapsed) {
    List<String> lost = new ArrayList<>();
    for (String id : stream.expectResult) {
      if (!stream.unsent.containsKey(id) && !checker.results.containsKey(id)) {
        lost.add(id);
      }
    }
    for (String key : stream.expectDeadLetter) {
      if (!stream.unsent.containsKey(key) && !checker.deadLetterKeys.contains(key)) {
        lost.add(key + " (not in the DLQ)");
      }
    }
    Set<String> known = new HashSet<>(stream.expectResult);
    known.addAll(registers);
    List<String> phantom = checker.results.keySet().stream().filter(id -> !known.contains(id)).sorted().toList();
    List<String> duplicates = new ArrayList<>();
    Map<String, Integer> errors = new TreeMap<>();
    List<String> misanswered = new ArrayList<>();
    int[] ok = {0};
    Map<String, Integer> okByPlugin = new TreeMap<>();
    new HashSet<>(stream.pluginOf.values()).forEach(plugin -> okByPlugin.put(plugin, 0));
    checker.results.forEach((id, outcomes) -> {
      if (!stream.expectResult.contains(id)) {
        return;
      }
      if (outcomes.size() > 1) {
        duplicates.add(id);
      }
      String last = checker.status(id);
      if ("ok".equals(last)) {
        ok[0]++;
        String plugin = stream.pluginOf.get(id);
        if (plugin != null) {
          okByPlugin.merge(plugin, 1, Integer::sum);
        }
      } else {
        errors.merge(last, 1, Integer::sum);
      }
      if (stream.expectInvalid.contains(id) && !"INVALID_COMMAND".equals(last)) {
        misanswered.add(id + " answered " + last);
      }
    });
    int sent = stream.expectResult.size() + stream.expectDeadLetter.size() - stream.unsent.size();
    return new DrillReport(options, sent, stream.unsent.size(), ok[0], okByPlugin, lost.stream().sorted().toList(), phantom,
        duplicates.stream().sorted().toList(), errors, misanswered, orphans, new TreeMap<>(faults.injected),
        List.copyOf(faults.skipped), forcedStops, hungNotDetected, answeredAfterWait,
        Map.copyOf(checker.errorMessages), checker.longestSilence(), drained, elapsed);
  }

  /** Loss, phantoms, orphans, a poison command answered wrongly, and duplicates in exactly-once mode. */
  boolean failed() {
    return !lost.isEmpty() || !phantom.isEmpty() || !orphans.isEmpty() || !invalidMisanswered.isEmpty()
        || (options.exactlyOnce() && !duplicates.isEmpty()) || !drained;
  }

  void print(PrintStream out) {
    sample(out, "lost", lost);
    sample(out, "phantom", phantom);
    sample(out, "duplicated", duplicates);
    sample(out, "poison not answered INVALID_COMMAND", invalidMisanswered);
    sample(out, "orphan plugin process", orphans);
    sample(out, "fault not injected", skipped);
    sample(out, "worker that ignored SIGTERM (killed)", forcedStops);
    sample(out, "SIGSTOPped plugin not detected as hung", hungNotDetected);
    errorMessages.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(SAMPLE)
        .forEach(entry -> out.println("error results: " + entry.getValue() + " × " + entry.getKey()));
    if (answeredAfterWait > 0) {
      out.println(answeredAfterWait + " commands were answered only while the workers shut down, after the wait for "
          + "results had timed out: a worker was stuck");
    }
    if (!drained) {
      out.println("the checker could not read the topics to their end: figures are incomplete");
    }
    out.println(json());
  }

  String json() {
    ObjectNode node = JSON.createObjectNode();
    node.put("mode", options.mode()).put("exactly_once", options.exactlyOnce()).put("commands", options.commands());
    node.put("sent", sent).put("unsent", unsent);
    node.put("ok", ok);
    ObjectNode okNode = node.putObject("ok_by_plugin");
    okByPlugin.forEach(okNode::put);
    node.put("lost", lost.size()).put("phantom", phantom.size()).put("duplicates", duplicates.size());
    node.put("orphans", orphans.size());
    ObjectNode errorNode = node.putObject("errors");
    errors.forEach(errorNode::put);
    node.put("invalid_misanswered", invalidMisanswered.size());
    ObjectNode faultNode = node.putObject("faults");
    faults.forEach(faultNode::put);
    node.put("faults_skipped", skipped.size());
    if (faults.getOrDefault("plugin_stop", 0) > 0) {
      node.put("hung_detected", hungNotDetected.isEmpty());
    } else {
      node.putNull("hung_detected"); // nothing was stopped
    }
    node.put("workers_killed_at_shutdown", forcedStops.size());
    node.put("answered_after_wait", answeredAfterWait);
    node.put("longest_silence_seconds", Math.round(longestSilence.toMillis() / 100.0) / 10.0);
    node.put("seconds", Math.round(elapsed.toMillis() / 100.0) / 10.0);
    node.put("failed", failed());
    return node.toString();
  }

  private static void sample(PrintStream out, String what, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    out.println(items.size() + " " + what + ": " + String.join(", ", items.subList(0, Math.min(SAMPLE, items.size())))
        + (items.size() > SAMPLE ? ", …" : ""));
  }
}
