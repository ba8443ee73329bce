package io.jankrunner.drill;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Faults injected while the commands are sent, spread over the sending window and run one after
 * another on their own thread: SIGKILL a worker (restarted at once, same id and state dir),
 * SIGKILL a plugin process (a child of a worker), SIGSTOP a plugin and leave it stopped (past its
 * timeout: the runner has to notice it is hung), and stop and start the broker (same data).
 */
final class FaultSchedule implements Runnable {

  enum Kind {
    WORKER_KILL("worker_kill", 0.5), PLUGIN_KILL("plugin_kill", 0.35), PLUGIN_STOP("plugin_stop", 0.2),
    BROKER_RESTART("broker_restart", 0.6);

    final String jsonName;
    /** Where in its share of the window a kind's faults fall, so kinds do not pile up at one moment. */
    final double phase;

    Kind(String jsonName, double phase) {
      this.jsonName = jsonName;
      this.phase = phase;
    }
  }

  record Fault(Duration at, Kind kind) {}

  private static final Duration FIND_PLUGIN_TIMEOUT = Duration.ofSeconds(15);

  private final List<Fault> faults;
  private final WorkerFleet fleet;
  private final LocalBroker broker;
  /** Plugins stopped with SIGSTOP (never killed by a later fault) and when, to check that they are found hung. */
  final Map<ProcessHandle, Long> stopped = new ConcurrentHashMap<>();
  /** SIGSTOPped plugins that no worker replaced: still there when their worker was killed or stopped. */
  final List<String> hungUndetected = java.util.Collections.synchronizedList(new ArrayList<>());
  final Map<String, Integer> injected = new ConcurrentHashMap<>();
  final List<String> skipped = java.util.Collections.synchronizedList(new ArrayList<>());
  private final long startNanos = System.nanoTime();

  FaultSchedule(List<Fault> faults, WorkerFleet fleet, LocalBroker broker) {
    this.faults = faults;
    this.fleet = fleet;
    this.broker = broker;
  }

  /** {@code counts} faults of each kind, each kind spread evenly over {@code window}. */
  static List<Fault> plan(Map<Kind, Integer> counts, Duration window) {
    List<Fault> plan = new ArrayList<>();
    counts.forEach((kind, count) -> {
      for (int k = 0; k < count; k++) {
        plan.add(new Fault(Duration.ofMillis((long) (window.toMillis() * (k + kind.phase) / count)), kind));
      }
    });
    plan.sort(Comparator.comparing(Fault::at));
    return plan;
  }

  static Map<Kind, Integer> counts(DrillOptions options, boolean brokerRestartable) {
    Map<Kind, Integer> counts = new LinkedHashMap<>();
    counts.put(Kind.WORKER_KILL, options.workerKills());
    counts.put(Kind.PLUGIN_KILL, options.pluginKills());
    counts.put(Kind.PLUGIN_STOP, options.pluginStops());
    counts.put(Kind.BROKER_RESTART, brokerRestartable ? options.brokerRestarts() : 0);
    return counts;
  }

  @Override
  public void run() {
    int workerKills = 0;
    int pluginKills = 0;
    for (Fault fault : faults) {
      long wait = fault.at().toNanos() - (System.nanoTime() - startNanos);
      try {
        if (wait > 0) {
          Thread.sleep(Duration.ofNanos(wait));
        }
        switch (fault.kind()) {
          case WORKER_KILL -> killWorker(workerKills++ % fleet.size());
          case PLUGIN_KILL -> killPlugin(pluginKills++);
          case PLUGIN_STOP -> stopPlugin();
          case BROKER_RESTART -> restartBroker();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        skipped.add(fault.kind().jsonName + " at " + fault.at().toSeconds() + " s failed: " + e);
        Drill.say("fault " + fault.kind().jsonName + " failed: " + e);
      }
    }
  }

  private void killWorker(int index) throws Exception {
    Drill.say("fault: SIGKILL worker " + fleet.id(index));
    noteStillStopped(fleet.pluginsOf(index), "when its worker " + fleet.id(index) + " was killed");
    fleet.kill(index);
    injected.merge(Kind.WORKER_KILL.jsonName, 1, Integer::sum);
    fleet.start(index);
    Drill.say("worker " + fleet.id(index) + " restarted and consuming");
  }

  private void killPlugin(int round) throws InterruptedException {
    List<ProcessHandle> candidates = findPlugins();
    if (candidates.isEmpty()) {
      skipped.add("plugin_kill: no plugin process found within " + FIND_PLUGIN_TIMEOUT.toSeconds() + " s");
      return;
    }
    ProcessHandle victim = candidates.get(round % candidates.size());
    Drill.say("fault: SIGKILL plugin pid " + victim.pid());
    victim.destroyForcibly();
    injected.merge(Kind.PLUGIN_KILL.jsonName, 1, Integer::sum);
  }

  /** Stops a plugin of the last worker, the one killed last, so the runner has the longest time to notice. */
  private void stopPlugin() throws Exception {
    List<ProcessHandle> candidates = findPlugins();
    if (candidates.isEmpty()) {
      skipped.add("plugin_stop: no plugin process found within " + FIND_PLUGIN_TIMEOUT.toSeconds() + " s");
      return;
    }
    List<ProcessHandle> lastWorkers = fleet.pluginsOf(fleet.size() - 1).stream().filter(candidates::contains).toList();
    ProcessHandle victim = lastWorkers.isEmpty() ? candidates.getFirst() : lastWorkers.getFirst();
    Drill.say("fault: SIGSTOP plugin pid " + victim.pid() + " (left stopped)");
    Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(victim.pid())).inheritIO().start();
    if (kill.waitFor() == 0) {
      stopped.put(victim, System.nanoTime());
      injected.merge(Kind.PLUGIN_STOP.jsonName, 1, Integer::sum);
    } else {
      skipped.add("plugin_stop: kill -STOP " + victim.pid() + " failed");
    }
  }

  private void restartBroker() throws Exception {
    Drill.say("fault: restarting the broker");
    broker.restart();
    injected.merge(Kind.BROKER_RESTART.jsonName, 1, Integer::sum);
    Drill.say("broker back");
  }

  /** Records the SIGSTOPped plugins among {@code plugins} still alive: the runner did not find them hung. */
  void noteStillStopped(List<ProcessHandle> plugins, String when) {
    stopped.forEach((plugin, at) -> {
      if (plugin.isAlive() && plugins.contains(plugin)) {
        String note = "pid " + plugin.pid() + " still stopped " + (System.nanoTime() - at) / 1_000_000_000L + " s after "
            + "SIGSTOP, " + when;
        hungUndetected.add(note);
        Drill.say("the SIGSTOPped plugin was not detected as hung: " + note);
      }
    });
  }

  /** Live plugin processes other than the stopped ones, waiting a little for one to be started. */
  private List<ProcessHandle> findPlugins() throws InterruptedException {
    long until = System.nanoTime() + FIND_PLUGIN_TIMEOUT.toNanos();
    while (true) {
      List<ProcessHandle> candidates = fleet.pluginProcesses().stream().filter(p -> !stopped.containsKey(p)).toList();
      if (!candidates.isEmpty() || System.nanoTime() > until) {
        return candidates;
      }
      Thread.sleep(250);
    }
  }
}
