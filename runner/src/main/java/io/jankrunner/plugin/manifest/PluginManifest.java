package io.jankrunner.plugin.manifest;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A plugin's {@code plugin.json}: Jank's fields, and the runner's optional additions under
 * {@code "runner"}. Unknown fields are ignored. Built only by {@link ManifestParser}, which
 * guarantees a valid id, a {@code binary} that stays inside the plugin directory, and sane
 * numbers.
 */
public record PluginManifest(
    String id,
    String name,
    String version,
    String author,
    String description,
    String repository,
    PluginType type,
    String binary,
    boolean autoStart,
    Duration startTimeout,
    int minPort,
    int maxPort,
    boolean autoMtls,
    /** Jank's "managed" flag, shown by the HTTP API as Jank shows it; nothing in the runner depends on it. */
    boolean managed,
    RunnerSettings runner) {

  /** Jank's plugin types. */
  public enum PluginType { PROVIDER, FILTER, HANDLER, NOTIFIER }

  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MIN_PORT = 10_000;
  public static final int DEFAULT_MAX_PORT = 25_000;

  /** The {@code "runner": {…}} block; every field optional. */
  public record RunnerSettings(
      Optional<Duration> timeout,
      int maxConcurrency,
      int minInstances,
      int maxInstances,
      Duration idleTtl,
      OptionalLong memoryMb,
      OptionalInt maxProcesses,
      List<String> env,
      Optional<String> sha256,
      Retry retry,
      List<String> idempotentMethods,
      OptionalInt cpuMillis,
      Lifecycle lifecycle,
      // methods: per-method argument schemas, checked before a call reaches the plugin.
      MethodSchemas methods,
      Network network) {

    public static final int DEFAULT_MAX_CONCURRENCY = 64;
    public static final int DEFAULT_MAX_INSTANCES = 4;
    public static final Duration DEFAULT_IDLE_TTL = Duration.ofMinutes(5);
    /** The most {@code max_concurrency} and {@code max_instances} plugin.json may ask for (the operator's ceilings are lower). */
    public static final int MAX_CONCURRENCY_LIMIT = 10_000;
    public static final int MAX_INSTANCES_LIMIT = 64;

    /**
     * Retry policy for retriable errors. The bounds are the parser's, and within what resilience4j
     * accepts (it refuses fewer than one attempt and a wait under 1 ms).
     */
    public record Retry(int maxAttempts, Duration backoff) {
      public static final Retry DEFAULT = new Retry(3, Duration.ofMillis(100));
      public static final int MIN_ATTEMPTS = 1;
      public static final int MAX_ATTEMPTS = 20;
      public static final Duration MIN_BACKOFF = Duration.ofMillis(1);
      public static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    }

    /**
     * Crash restart and quarantine ({@code crash_limit}, {@code crash_window_ms},
     * {@code quarantine_ms}, {@code backoff_initial_ms}, {@code backoff_max_ms}); each empty one
     * takes the worker's default ({@link RestartPolicy}).
     */
    public record Lifecycle(OptionalInt crashLimit, Optional<Duration> crashWindow, Optional<Duration> quarantine,
                            Optional<Duration> backoffInitial, Optional<Duration> backoffMax) {
      public static final Lifecycle DEFAULT = new Lifecycle(OptionalInt.empty(), Optional.empty(), Optional.empty(),
          Optional.empty(), Optional.empty());
    }

    /**
     * {@code runner.network}: {@code "isolated"} (the default), a network namespace of the
     * instance's own with only loopback; {@code "host"}, the worker's network, where the operator
     * permits it.
     */
    public enum Network {
      ISOLATED, HOST;

      public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }
    }

    public static final RunnerSettings DEFAULT = new RunnerSettings(Optional.empty(), DEFAULT_MAX_CONCURRENCY, 0,
        DEFAULT_MAX_INSTANCES, DEFAULT_IDLE_TTL, OptionalLong.empty(), OptionalInt.empty(), List.of(), Optional.empty(),
        Retry.DEFAULT, List.of(), OptionalInt.empty(), Lifecycle.DEFAULT, MethodSchemas.NONE,
        Network.ISOLATED);

    public RunnerSettings {
      network = network == null ? Network.ISOLATED : network;
    }

    /** Settings in a network namespace of the instance's own. */
    public RunnerSettings(Optional<Duration> timeout, int maxConcurrency, int minInstances, int maxInstances,
                          Duration idleTtl, OptionalLong memoryMb, OptionalInt maxProcesses, List<String> env,
                          Optional<String> sha256, Retry retry, List<String> idempotentMethods, OptionalInt cpuMillis,
                          Lifecycle lifecycle, MethodSchemas methods) {
      this(timeout, maxConcurrency, minInstances, maxInstances, idleTtl, memoryMb, maxProcesses, env, sha256, retry,
          idempotentMethods, cpuMillis, lifecycle, methods, Network.ISOLATED);
    }
  }
}
