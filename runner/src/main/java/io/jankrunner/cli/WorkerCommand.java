package io.jankrunner.cli;

import io.jankrunner.config.ApiTokens;
import io.jankrunner.http.HttpAddress;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.PluginSeparation;
import io.jankrunner.plugin.isolation.UidRange;
import io.jankrunner.worker.Worker;
import io.jankrunner.config.WorkerConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import sun.misc.Signal;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code runner worker}: consume commands from Kafka until SIGTERM, then shut down gracefully. */
@Command(name = "worker", mixinStandardHelpOptions = true, defaultValueProvider = WorkerCommand.LimitDefaults.class,
    description = "Run a worker: consume commands from Kafka, run them on local plugins, publish results.")
final class WorkerCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(names = "--plugins-dir", paramLabel = "DIR", defaultValue = "${env:JANK_PLUGINS_DIR}",
      description = "The plugins directory (env JANK_PLUGINS_DIR; default: the repo's plugins/).")
  Path pluginsDir;

  @Option(names = "--worker-id", paramLabel = "ID", defaultValue = "${env:JANK_WORKER_ID}",
      description = "This worker's id in results and status events (env JANK_WORKER_ID; default: host-pid).")
  String workerId;

  @Option(names = "--mode", paramLabel = "share|group", defaultValue = "${env:JANK_MODE:-share}",
      description = "share: a KIP-932 share group (default); group: a consumer group with per-key order "
          + "(env JANK_MODE).")
  WorkerConfig.Mode mode;

  @Option(names = "--exactly-once", defaultValue = "${env:JANK_EXACTLY_ONCE:-false}",
      description = "Group mode: results and offsets in one transaction (env JANK_EXACTLY_ONCE).")
  boolean exactlyOnce;

  @Option(names = "--consumers", paramLabel = "N", defaultValue = "${env:JANK_CONSUMERS:-1}",
      description = "Execute consumers always open in this worker (env JANK_CONSUMERS; default ${DEFAULT-VALUE}). "
          + "Group mode: that many poll loops. Share mode: while one is stalled by a running command (no command of its "
          + "fetch finishing for 1 s), the worker opens more, up to one more than the execute topic's partitions, and "
          + "closes them after a quiet minute.")
  int consumers;

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "${env:JANK_MAX_IN_FLIGHT:-256}",
      description = "Execute commands in progress at once: per consumer in group mode (it pauses at that number), "
          + "for all of the worker's share consumers in share mode (env JANK_MAX_IN_FLIGHT; default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--execute-partitions", paramLabel = "N", defaultValue = "${env:JANK_EXECUTE_PARTITIONS:-12}",
      description = "Partitions of the execute and results topics, when this worker creates them; existing topics "
          + "are left as they are (env JANK_EXECUTE_PARTITIONS; default ${DEFAULT-VALUE}).")
  int executePartitions;

  @Option(names = "--max-command-bytes", paramLabel = "N", defaultValue = "1048576",
      description = "Larger records are dead-lettered (default ${DEFAULT-VALUE}).")
  int maxCommandBytes;

  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:JANK_STATE_DIR}",
      description = "The worker's private directory: the journal of plugin processes, build stamps and instance temp"
          + " dirs (env JANK_STATE_DIR; default /run/jank-runner as root, else $TMPDIR/jank-runner-<uid>). It must"
          + " be the worker's, not a link, not writable by others; keep it short (42 bytes at most) so socket paths fit.")
  Path stateDir;

  @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "${env:JANK_HTTP}",
      description = "Serve the HTTP API, /metrics, /healthz and /readyz here, e.g. 127.0.0.1:8080 (env JANK_HTTP; "
          + "default off). Bearer tokens come from env JANK_HTTP_TOKENS or JANK_HTTP_TOKENS_FILE, Jank's JWT secret from "
          + "JANK_HTTP_JWT_SECRET or JANK_HTTP_JWT_SECRET_FILE, allowed browser origins from JANK_HTTP_CORS_ORIGINS.")
  String http;

  @Option(names = "--reply-topics", paramLabel = "REGEX", defaultValue = "${env:JANK_REPLY_TOPICS}",
      description = "Only reply topics this Java regex matches in full may be named in reply_to (env "
          + "JANK_REPLY_TOPICS; default: any topic but the deployment's own and '__' ones). Refused commands are "
          + "dead-lettered, not run.")
  String replyTopics;

  @Option(names = "--plugin-memory-mb", paramLabel = "MIB",
      description = "Memory of each plugin instance whose manifest sets no runner.memory_mb (env JANK_PLUGIN_MEMORY_MB; "
          + "default ${DEFAULT-VALUE}).")
  long pluginMemoryMb;

  @Option(names = "--plugin-memory-mb-max", paramLabel = "MIB",
      description = "Ceiling on runner.memory_mb: a manifest asking more is clamped to it, with a WARN "
          + "(env JANK_PLUGIN_MEMORY_MB_MAX; default ${DEFAULT-VALUE}).")
  long pluginMemoryMbMax;

  @Option(names = "--plugin-max-processes", paramLabel = "N",
      description = "Processes and threads of each instance whose manifest sets no runner.max_processes "
          + "(env JANK_PLUGIN_MAX_PROCESSES; default ${DEFAULT-VALUE}).")
  int pluginMaxProcesses;

  @Option(names = "--plugin-max-processes-max", paramLabel = "N",
      description = "Ceiling on runner.max_processes (env JANK_PLUGIN_MAX_PROCESSES_MAX; default ${DEFAULT-VALUE}).")
  int pluginMaxProcessesMax;

  @Option(names = "--plugin-cpu-millis", paramLabel = "N",
      description = "CPU of each instance whose manifest sets no runner.cpu_millis, in thousandths of a core "
          + "(env JANK_PLUGIN_CPU_MILLIS; default ${DEFAULT-VALUE}).")
  int pluginCpuMillis;

  @Option(names = "--plugin-cpu-millis-max", paramLabel = "N",
      description = "Ceiling on runner.cpu_millis (env JANK_PLUGIN_CPU_MILLIS_MAX; default ${DEFAULT-VALUE}).")
  int pluginCpuMillisMax;

  @Option(names = "--plugin-max-instances-max", paramLabel = "N",
      description = "Ceiling on runner.max_instances (env JANK_PLUGIN_MAX_INSTANCES_MAX; default ${DEFAULT-VALUE}).")
  int pluginMaxInstancesMax;

  @Option(names = "--plugin-max-concurrency-max", paramLabel = "N",
      description = "Ceiling on runner.max_concurrency (env JANK_PLUGIN_MAX_CONCURRENCY_MAX; default ${DEFAULT-VALUE}).")
  int pluginMaxConcurrencyMax;

  @Option(names = "--plugin-file-size-mb", paramLabel = "MIB",
      description = "Largest file a plugin instance may write, in its TMPDIR or anywhere (RLIMIT_FSIZE; "
          + "env JANK_PLUGIN_FILE_SIZE_MB; default ${DEFAULT-VALUE}).")
  long pluginFileSizeMb;

  @Option(names = "--plugin-open-files", paramLabel = "N",
      description = "File descriptors a plugin process may hold (RLIMIT_NOFILE; env JANK_PLUGIN_OPEN_FILES; "
          + "default ${DEFAULT-VALUE}).")
  int pluginOpenFiles;

  @Option(names = "--require-cgroups",
      description = "Refuse to start plugins where the memory, pids and cpu cgroup controllers (and the freezer on "
          + "cgroup v1) cannot be used, instead of falling back to rlimits (env JANK_REQUIRE_CGROUPS).")
  boolean requireCgroups;

  @Option(names = "--plugin-user", paramLabel = "USER", defaultValue = "${env:JANK_PLUGIN_USER:-auto}",
      description = "Who plugins run as when the worker is root: auto (a uid of their own each, from --plugin-uids), "
          + "a user name or UID:GID (one user all plugins share; never root nor the worker's own uid), or worker "
          + "(the worker's own user) (env JANK_PLUGIN_USER; default ${DEFAULT-VALUE}).")
  String pluginUser;

  @Option(names = "--plugin-uids", paramLabel = "FIRST-LAST", defaultValue = "${env:JANK_PLUGIN_UIDS}",
      description = "The uids (gid the same number) plugins get one each of with --plugin-user auto; ids in "
          + "/etc/passwd or /etc/group are skipped (env JANK_PLUGIN_UIDS; default 61000-61999).")
  String pluginUids;

  @Option(names = "--plugin-network-host", defaultValue = "${env:JANK_PLUGIN_NETWORK_HOST:-false}",
      description = "Let plugins whose manifest says runner.network \"host\" share the worker's network; without "
          + "it they are refused and every instance runs in a network namespace of its own with only loopback "
          + "(env JANK_PLUGIN_NETWORK_HOST).")
  boolean pluginNetworkHost;

  @Option(names = "--require-netns", defaultValue = "${env:JANK_REQUIRE_NETNS:-false}",
      description = "Refuse to start plugins where a network namespace cannot be created for them (the worker is "
          + "not root, or lacks CAP_SYS_ADMIN), instead of running them in the host's network with a WARN "
          + "(env JANK_REQUIRE_NETNS).")
  boolean requireNetns;

  @Option(names = "--rebuild-interval", paramLabel = "SECONDS",
      description = "At most one build per plugin in this long that new build_ids in the registry make this worker "
          + "run; newer ones meanwhile are coalesced into one build of the latest when it has passed "
          + "(env JANK_REBUILD_INTERVAL_SECONDS; default ${DEFAULT-VALUE}).")
  long rebuildIntervalSeconds;

  /**
   * The plugin limits' defaults: {@link PluginLimits#fromEnvironment}'s, so the variables and
   * built-in values live in one place and {@code --help} shows what applies here.
   */
  static final class LimitDefaults implements IDefaultValueProvider {
    /** Read once: picocli asks for every option's default. */
    private final PluginLimits limits = PluginLimits.fromEnvironment(System.getenv());

    @Override
    public String defaultValue(ArgSpec arg) {
      if (!(arg instanceof OptionSpec option)) {
        return null;
      }
      Object value = switch (option.longestName()) {
        case "--plugin-memory-mb" -> limits.memoryMbDefault();
        case "--plugin-memory-mb-max" -> limits.memoryMbMax();
        case "--plugin-max-processes" -> limits.maxProcessesDefault();
        case "--plugin-max-processes-max" -> limits.maxProcessesMax();
        case "--plugin-cpu-millis" -> limits.cpuMillisDefault();
        case "--plugin-cpu-millis-max" -> limits.cpuMillisMax();
        case "--plugin-max-instances-max" -> limits.maxInstancesMax();
        case "--plugin-max-concurrency-max" -> limits.maxConcurrencyMax();
        case "--plugin-file-size-mb" -> limits.fileSizeMb();
        case "--plugin-open-files" -> limits.openFiles();
        case "--require-cgroups" -> limits.requireCgroups();
        case "--rebuild-interval" -> limits.rebuildInterval().toSeconds();
        default -> null;
      };
      return value == null ? null : value.toString();
    }
  }

  @Override
  public Integer call() throws Exception {
    WorkerConfig config = new WorkerConfig(kafka.bootstrap, pluginsDir != null ? pluginsDir : PluginsCommand.defaultPluginsDir(),
        workerId != null && !workerId.isBlank() ? workerId : defaultWorkerId(), mode, exactlyOnce, kafka.topics(),
        consumers, maxInFlight, maxCommandBytes, WorkerConfig.DEFAULT_HEARTBEAT, WorkerConfig.DEFAULT_SHUTDOWN_GRACE,
        stateDir != null ? stateDir : PluginManagerConfig.defaultStateDir(), WorkerConfig.DEFAULT_MAX_POLL_INTERVAL)
        .withKafkaClient(kafka.properties()).withExecutePartitions(executePartitions)
        .withReplyTopicsAllowed(replyTopicsPattern(replyTopics))
        .withPluginLimits(new PluginLimits(pluginMemoryMb, pluginMemoryMbMax, pluginMaxProcesses, pluginMaxProcessesMax,
            pluginCpuMillis, pluginCpuMillisMax, pluginMaxInstancesMax, pluginMaxConcurrencyMax, pluginFileSizeMb,
            pluginOpenFiles, requireCgroups, java.time.Duration.ofSeconds(rebuildIntervalSeconds)))
        .withPluginSeparation(pluginUser, new PluginSeparation(
            pluginUids == null || pluginUids.isBlank() ? Optional.empty() : Optional.of(UidRange.parse(pluginUids)),
            pluginNetworkHost, requireNetns));
    if (http != null && !http.isBlank()) {
      config = config.withHttp(HttpAddress.parse(http), ApiTokens.fromEnvironment(System.getenv()));
    }
    Worker worker = Worker.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    // SIGTERM / Ctrl-C: a graceful shutdown and exit 0. Handled as signals, not a shutdown hook,
    // so the JVM is not already exiting while in-flight commands finish.
    Runnable shutdown = () -> Thread.ofPlatform().name("worker-shutdown").start(() -> {
      worker.close();
      stopped.countDown();
    });
    Signal.handle(new Signal("TERM"), signal -> shutdown.run());
    Signal.handle(new Signal("INT"), signal -> shutdown.run());
    stopped.await();
    return 0;
  }

  private static Optional<Pattern> replyTopicsPattern(String regex) {
    if (regex == null || regex.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("--reply-topics: not a regular expression: " + e.getMessage(), e);
    }
  }

  private static String defaultWorkerId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "worker";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
