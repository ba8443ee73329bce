package io.jankrunner.drill;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code scripts/drill}: two workers (separate processes) on a private broker, N commands at a
 * steady rate while faults are injected, then a check that every command was answered. The last
 * line printed is one JSON object with the figures; the exit code is 1 on any loss, phantom or
 * orphan (and duplicate, with --exactly-once), 2 when the drill itself could not run.
 */
public final class Drill {

  private static final Duration STOP_GRACE = Duration.ofSeconds(45);
  private static final Duration REGISTER_TIMEOUT = Duration.ofSeconds(180);
  /** Time past a plugin's timeout for the runner to notice it is hung, before the drill kills its worker. */
  private static final Duration HUNG_DETECTION_MARGIN = Duration.ofSeconds(20);

  private Drill() {}

  public static void main(String[] args) throws Exception {
    // The broker restart is a planned fault: Kafka clients' reconnect warnings would bury the drill's own lines.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.kafka"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    DrillOptions options;
    try {
      options = DrillOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(DrillOptions.USAGE);
      System.exit(2);
      return;
    }
    if (options.workDir() == null) {
      options = withWorkDir(options, Files.createTempDirectory("jank-drill-"));
    }
    Files.createDirectories(options.workDir());
    // Workers started as root run plugins as an unprivileged user, which must reach the plugins copy.
    Files.setPosixFilePermissions(options.workDir(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    say("work dir (logs, state, broker data): " + options.workDir());
    DrillReport report;
    try {
      report = run(options);
    } catch (Exception e) {
      say("the drill could not run: " + e);
      System.exit(2);
      return;
    }
    report.print(System.out);
    System.exit(report.failed() ? 1 : 0);
  }

  static DrillReport run(DrillOptions options) throws Exception {
    String runId = "drill-" + UUID.randomUUID().toString().substring(0, 8);
    Path plugins = DrillPlugins.prepare(options.repo(), options.workDir().resolve("plugins"), options.pluginTimeoutMs());
    LocalBroker broker = options.bootstrap().isPresent() ? null
        : new LocalBroker(options.repo(), options.workDir().resolve("kafka"));
    // Ctrl-C or SIGTERM mid-drill: no worker (hence no plugin) and no broker of ours is left behind.
    Thread cleanup = Thread.ofPlatform().unstarted(() -> {
      ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
      if (broker != null) {
        broker.close();
      }
    });
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      String bootstrap = broker == null ? options.bootstrap().get() : broker.start();
      say("broker " + bootstrap + ", topics " + runId + ".*");
      try (WorkerFleet fleet = new WorkerFleet(options, bootstrap, runId, plugins, 2);
           CommandStream stream = new CommandStream(bootstrap, runId, runId);
           Checker checker = new Checker(bootstrap, runId)) {
        return drill(options, broker, fleet, stream, checker);
      }
    } finally {
      Runtime.getRuntime().removeShutdownHook(cleanup);
      if (broker != null) {
        broker.close();
      }
    }
  }

  private static DrillReport drill(DrillOptions options, LocalBroker broker, WorkerFleet fleet, CommandStream stream,
                                   Checker checker) throws Exception {
    for (int i = 0; i < fleet.size(); i++) {
      fleet.start(i);
    }
    checker.start();
    Set<String> registers = stream.register();
    waitFor(() -> "the plugins to be registered", REGISTER_TIMEOUT, () -> checker.complete(registers, Set.of()));
    for (String id : registers) {
      if (!"ok".equals(checker.status(id))) {
        throw new IllegalStateException("register " + id + " answered " + checker.status(id) + "; see the worker logs");
      }
    }

    Duration window = Duration.ofMillis(1000L * options.commands() / options.rate());
    Map<FaultSchedule.Kind, Integer> counts = FaultSchedule.counts(options, broker != null);
    FaultSchedule faults = new FaultSchedule(FaultSchedule.plan(counts, window), fleet, broker,
        Duration.ofMillis(options.pluginTimeoutMs()).plus(HUNG_DETECTION_MARGIN));
    if (broker == null && options.brokerRestarts() > 0) {
      faults.skipped.add("broker_restart: KAFKA_BOOTSTRAP_SERVERS is set, the drill does not restart a broker it "
          + "did not start");
    }
    say("sending " + options.commands() + " commands at " + options.rate() + "/s over " + window.toSeconds()
        + " s, faults " + counts);
    Instant start = Instant.now();
    Thread faultThread = Thread.ofPlatform().name("drill-faults").start(faults);
    stream.run(options.commands(), options.rate());
    say("all commands sent (" + Duration.between(start, Instant.now()).toSeconds() + " s)");
    faultThread.join(Duration.ofMinutes(10));
    if (faultThread.isAlive()) {
      faultThread.interrupt();
      faults.skipped.add("the fault schedule did not finish within 10 minutes after the last command");
    }

    Set<String> expected = new HashSet<>(stream.expectResult);
    expected.removeAll(stream.unsent.keySet());
    Set<String> deadLetters = new HashSet<>(stream.expectDeadLetter);
    deadLetters.removeAll(stream.unsent.keySet());
    boolean complete = waitFor(() -> "results: " + expected.stream().filter(checker.results::containsKey).count()
            + " of " + expected.size() + " ids answered", Duration.ofSeconds(options.waitSeconds()),
        () -> checker.complete(expected, deadLetters));
    Duration answeredIn = Duration.between(start, Instant.now());
    long answeredInWait = expected.stream().filter(checker.results::containsKey).count();
    if (!complete) {
      say("not every command was answered within " + options.waitSeconds() + " s after the last was sent");
    }
    faults.awaitHungGrace();
    for (int i = 0; i < fleet.size(); i++) {
      faults.noteStillStopped(fleet.pluginsOf(i), "when the workers were stopped at the end");
    }
    faults.noteLateExits();
    say("stopping the workers (SIGTERM, SIGKILL after " + STOP_GRACE.toSeconds() + " s)");
    List<String> forced = fleet.stopAll(STOP_GRACE);
    List<String> orphans = fleet.orphans(Duration.ofSeconds(5));
    boolean drained = checker.drain();
    long answeredAfterWait = expected.stream().filter(checker.results::containsKey).count() - answeredInWait;
    return DrillReport.of(options, stream, checker, registers, faults, forced, orphans,
        List.copyOf(faults.hungUndetected), answeredAfterWait, drained,
        complete ? answeredIn : Duration.between(start, Instant.now()));
  }

  /** Polls {@code done} once a second up to {@code timeout}, with progress every 15 s. */
  private static boolean waitFor(Supplier<String> what, Duration timeout, BooleanSupplier done)
      throws InterruptedException {
    Instant until = Instant.now().plus(timeout);
    Instant nextNote = Instant.now().plus(Duration.ofSeconds(15));
    while (!done.getAsBoolean()) {
      if (Instant.now().isAfter(until)) {
        return false;
      }
      if (Instant.now().isAfter(nextNote)) {
        say("waiting for " + what.get());
        nextNote = nextNote.plus(Duration.ofSeconds(15));
      }
      Thread.sleep(1000);
    }
    return true;
  }

  private static DrillOptions withWorkDir(DrillOptions o, Path workDir) {
    return new DrillOptions(o.commands(), o.mode(), o.exactlyOnce(), o.rate(), o.workerKills(), o.pluginKills(),
        o.pluginStops(), o.brokerRestarts(), o.pluginTimeoutMs(), o.waitSeconds(), o.repo(), workDir, o.bootstrap());
  }

  static void say(String message) {
    System.err.println("drill " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + message);
  }
}
