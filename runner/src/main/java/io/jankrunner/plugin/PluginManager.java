package io.jankrunner.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.api.BuildFailedException;
import io.jankrunner.plugin.api.BuildResult;
import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginInfo;
import io.jankrunner.plugin.api.PluginNotFoundException;
import io.jankrunner.plugin.api.PluginReply;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.build.PluginBuilder;
import io.jankrunner.plugin.grpc.PluginChannels;
import io.jankrunner.plugin.grpc.PluginProcess;
import io.jankrunner.plugin.isolation.Isolation;
import io.jankrunner.plugin.isolation.PluginEnvironment;
import io.jankrunner.plugin.manifest.DiscoveredPlugin;
import io.jankrunner.plugin.manifest.DiscoveredPlugin.Availability;
import io.jankrunner.plugin.manifest.PluginDiscovery;
import io.jankrunner.plugin.manifest.PluginId;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.pool.PluginPool;
import io.jankrunner.plugin.pool.PoolClock;
import io.jankrunner.plugin.pool.StateEvents;
import io.jankrunner.plugin.process.ProcessJournal;
import io.jankrunner.plugin.process.ProcessSpawner;
import io.jankrunner.plugin.process.StateDirs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local plugin manager, as Jank's: discovers the plugins directory, builds, registers,
 * starts, calls, stops. A registered plugin is a pool of 0..{@code max_instances} processes
 * ({@link PluginPool}), started cold on demand unless {@code auto_start} or {@code min_instances}.
 *
 * <p>Thread-safe. No lock is global: each plugin has its own, never held while a process starts,
 * stops or answers, nor while the state listener runs. Calls are asynchronous and bounded by
 * their deadlines; {@link #close()} is bounded by the stop grace.
 */
public final class PluginManager implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PluginManager.class);

  private final PluginManagerConfig config;
  private final PluginDiscovery discovery;
  private final StateDirs dirs;
  private final ProcessJournal journal;
  private final Isolation isolation;
  private final ProcessSpawner spawner;
  private final PluginBuilder builder;
  private final PluginChannels channels;
  private final Map<String, PluginPool> registered = new ConcurrentHashMap<>();
  private static final Duration UPKEEP_INTERVAL = Duration.ofMillis(250);
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("plugin-upkeep").daemon(true).factory());
  private final StateEvents events;
  private final PoolClock clock = PoolClock.SYSTEM;
  private volatile boolean closed;

  public PluginManager(PluginManagerConfig config, PluginStateListener listener) throws IOException {
    requireLinux();
    this.config = config;
    this.events = new StateEvents(listener);
    this.discovery = new PluginDiscovery(config.pluginsDir());
    this.dirs = StateDirs.open(config.stateDir());
    this.journal = new ProcessJournal(dirs.journal());
    journal.sweepOrphans();
    this.isolation = Isolation.of(config.cgroupRoot(), config.pluginUser(), config.separation(), dirs.instances());
    isolation.sweepLeftoverCgroups();
    this.spawner = new ProcessSpawner(journal);
    this.builder = new PluginBuilder(spawner, config.hostEnvironment(), config.buildTimeout(), isolation,
        config.limits());
    this.channels = new PluginChannels();
    scheduler.scheduleWithFixedDelay(this::upkeep, UPKEEP_INTERVAL.toMillis(), UPKEEP_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Plugins are forked with a parent-death signal ({@code setpriv}), spoken to over epoll and
   * limited by cgroups: Linux only, said plainly rather than failing somewhere deeper.
   */
  private static void requireLinux() {
    String os = System.getProperty("os.name", "unknown");
    if (!os.toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
      throw new UnsupportedOperationException("jank-runner's plugin host runs on Linux only (it uses setpriv, epoll "
          + "and cgroups); this is " + os);
    }
  }

  /** Where this machine remembers which build of each plugin it last made: the state dir's private {@code builds/}. */
  public Path buildsDir() {
    return dirs.builds();
  }

  /** Every plugin directory and every registered plugin, registered state first where there is one. */
  public List<PluginInfo> list() {
    List<PluginInfo> infos = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (DiscoveredPlugin plugin : discovery.scan()) {
      Optional<PluginPool> live = plugin.id().map(registered::get)
          .filter(pool -> pool.directory().equals(plugin.directory()));
      if (live.isPresent()) {
        infos.add(live.get().info());
        seen.add(live.get().id());
      } else {
        infos.add(info(reachable(plugin)));
      }
    }
    registered.values().stream().filter(pool -> !seen.contains(pool.id())).map(PluginPool::info).forEach(infos::add);
    return infos;
  }

  /** One plugin by id: its registered state, else what discovery says of it. */
  public Optional<PluginInfo> get(String id) {
    PluginPool pool = registered.get(id);
    if (pool != null) {
      return Optional.of(pool.info());
    }
    return discovery.scan().stream().filter(plugin -> plugin.id().filter(id::equals).isPresent())
        .findFirst().map(this::reachable).map(PluginManager::info);
  }

  /**
   * Registers a discovered plugin, building it first when asked to or when it has no binary yet,
   * and starts {@code max(1, min_instances)} instances when its manifest says {@code auto_start}
   * or {@code min_instances} ≥ 1. Registering a registered plugin again is a hot swap: the new
   * version's instances are started first (as many as were warm, at least its
   * {@code min_instances}), then new calls go to them, and the old instances are stopped in the
   * background once their calls in flight have finished (each up to its deadline). A failed
   * build or a failed start of the new version leaves the old one registered and serving.
   */
  public PluginInfo register(String id, boolean rebuild, Consumer<String> buildOutput) throws RunnerException {
    ensureOpen();
    if (!registered.containsKey(id) && registered.size() >= config.maxPlugins()) {
      throw new RunnerException(ErrorCode.INVALID_COMMAND, id, "cannot register " + id + ": " + registered.size()
          + " plugins are registered, the most this worker allows (max_plugins " + config.maxPlugins() + ")");
    }
    DiscoveredPlugin plugin = discover(id);
    if (rebuild || plugin.availability() == Availability.SOURCE_ONLY) {
      build(plugin, buildOutput);
      plugin = discover(id);
    }
    if (plugin.availability() != Availability.AVAILABLE) {
      throw new PluginNotFoundException(id, "plugin " + id + " cannot be registered: "
          + plugin.reason().orElse(plugin.availability().jsonName()));
    }
    // Certain before any start: refused now rather than found by every start failing into quarantine.
    Optional<String> unreachable = isolation.startRefusal(id, plugin.binary().orElseThrow());
    if (unreachable.isPresent()) {
      throw new RunnerException(ErrorCode.INVALID_COMMAND, id, "cannot register " + id + ": " + unreachable.get());
    }
    List<String> clamped = new ArrayList<>();
    PluginManifest manifest = config.limits().apply(plugin.manifest().orElseThrow(), clamped);
    Optional<String> network = isolation.hostNetworkRefusal(manifest);
    if (network.isPresent()) {
      throw new RunnerException(ErrorCode.INVALID_COMMAND, id, "cannot register " + id + ": " + network.get());
    }
    clamped.forEach(note -> log.warn("plugin {}: runner.{}", id, note));
    PluginPool fresh = new PluginPool(manifest, plugin.directory(), plugin.binary().orElseThrow(), config.poolSettings(), events,
        this::launch, clock, scheduler);
    PluginPool current = registered.get(id);
    if (current != null) {
      fresh.numberAfter(current);
    }
    int warm = manifest.autoStart() || manifest.runner().minInstances() > 0
        ? Math.max(1, manifest.runner().minInstances()) : 0;
    if (current != null && current.info().instances().stream().anyMatch(i -> i.state().equals("ready"))) {
      warm = Math.max(warm, 1);
    }
    Instant readyBy = clock.instant().plus(manifest.startTimeout()).plusSeconds(1);
    if (current == null) {
      fresh.announce();
    }
    if (current != null && warm > 0) {
      fresh.warmUp(warm, "new version, before the swap");
      try {
        fresh.awaitReady(readyBy);
      } catch (RunnerException e) {
        fresh.shutDown(false, Optional.of(clock.instant()), "the new version did not start; the old one keeps serving");
        throw e;
      }
    }
    PluginPool old = registered.put(id, fresh);
    if (old != null) {
      Thread.ofVirtual().name("plugin-swap-" + id).start(() -> old.shutDown(true, Optional.empty(),
          "replaced by re-register"));
    }
    log.info("registered {} {} from {}", id, manifest.version(), plugin.directory());
    if (current == null && warm > 0) {
      fresh.warmUp(warm, manifest.autoStart() ? "auto_start" : "min_instances " + manifest.runner().minInstances());
      fresh.awaitReady(readyBy);
    }
    return fresh.info();
  }

  public PluginInfo register(String id) throws RunnerException {
    return register(id, false, null);
  }

  /** Stops and forgets a registered plugin. Calls in flight get up to the stop grace to finish. */
  public void unregister(String id) throws PluginNotFoundException {
    PluginPool pool = registered.remove(id);
    if (pool == null) {
      throw new PluginNotFoundException(id, "plugin " + id + " is not registered");
    }
    pool.shutDown(false, Optional.of(clock.instant().plus(config.stopGrace())), "unregistered");
    log.info("unregistered {}", id);
  }

  /** Runs the plugin's {@code scripts/build.sh}; never two builds of one id at once. */
  public BuildResult build(String id, Consumer<String> output) throws RunnerException {
    ensureOpen();
    return build(discover(id), output);
  }

  private BuildResult build(DiscoveredPlugin plugin, Consumer<String> output) throws BuildFailedException {
    return builder.build(plugin, output);
  }

  /** Registers and starts every discovered plugin whose manifest says {@code auto_start}. */
  public void startAutoPlugins() {
    for (DiscoveredPlugin plugin : discovery.scan()) {
      if (plugin.availability() == Availability.AVAILABLE && plugin.manifest().orElseThrow().autoStart()
          && !registered.containsKey(plugin.id().orElseThrow())) {
        try {
          register(plugin.id().orElseThrow());
        } catch (RunnerException e) {
          log.warn("auto_start of {} failed: {}", plugin.id().orElseThrow(), e.getMessage());
        }
      }
    }
  }

  /**
   * Calls {@code method} on a registered plugin: on its least-loaded warm instance, or on one
   * cold-started for it. Every wait (for a slot, a start, a restart backoff, the answer) ends at
   * the earliest of {@code deadline}, the plugin's {@code runner.timeout_ms} and the default.
   * A call that passes its deadline gets its instance health-checked: hung ones are replaced.
   *
   * <p>No thread waits for the plugin: a free slot on a warm instance is taken at once and the
   * call goes out on the asynchronous stub. Only a call that must wait (for a slot, a cold start
   * or a backoff) waits, on a virtual thread of its own. The future completes on the plugin
   * channel's event loop: work that depends on it and is not cheap belongs on another executor.
   *
   * @return the plugin's data and the cold start the call waited for, if it waited for one; or a
   *     failed future: {@link PluginNotFoundException} when the plugin is not registered,
   *     {@link PluginStartException} when the start it waited for failed,
   *     {@link PluginCallException} PLUGIN_ERROR, PLUGIN_UNAVAILABLE (also: quarantined) or TIMEOUT
   */
  public CompletableFuture<PluginReply> executeAsync(String id, String method, ObjectNode args,
                                                     Optional<Instant> deadline, Optional<String> traceparent) {
    PluginPool pool;
    try {
      pool = lookup(id);
    } catch (PluginNotFoundException e) {
      return CompletableFuture.failedFuture(e);
    }
    Instant bound = Instant.now().plus(pool.manifest().runner().timeout().orElse(config.defaultCallTimeout()));
    Instant effective = deadline.filter(d -> d.isBefore(bound)).orElse(bound);
    Optional<PluginPool.Lease> warm = pool.tryAcquire(effective);
    if (warm.isPresent()) {
      return call(pool, warm.get(), method, args, effective, traceparent);
    }
    PluginPool first = pool;
    CompletableFuture<PluginReply> reply = new CompletableFuture<>();
    Thread.ofVirtual().name("plugin-wait-" + id).start(() -> {
      try {
        PluginPool.Lease lease = PluginPool.acquire(first, () -> lookup(id), effective);
        call(lease.pool(), lease, method, args, effective, traceparent).whenComplete((value, error) -> {
          if (error != null) {
            reply.completeExceptionally(error);
          } else {
            reply.complete(value);
          }
        });
      } catch (RunnerException | RuntimeException e) {
        reply.completeExceptionally(e);
      }
    });
    return reply;
  }

  /** One call on a leased slot; the slot is given back however the call ends. */
  private static CompletableFuture<PluginReply> call(PluginPool pool, PluginPool.Lease lease, String method,
                                                     ObjectNode args, Instant deadline, Optional<String> traceparent) {
    CompletableFuture<ObjectNode> answer;
    try {
      answer = lease.process().executeAsync(method, args, deadline, traceparent);
    } catch (RuntimeException e) {
      pool.release(lease);
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<PluginReply> reply = new CompletableFuture<>();
    answer.whenComplete((data, error) -> {
      pool.release(lease);
      if (error == null) {
        reply.complete(new PluginReply(data, lease.coldStart()));
        return;
      }
      if (error instanceof PluginCallException call && call.code() == ErrorCode.TIMEOUT) {
        pool.callTimedOut(lease);
      }
      reply.completeExceptionally(error);
    });
    return reply;
  }

  /** {@link #executeAsync}, waited for: for callers that have a thread to spare (the CLI, tests). */
  public PluginReply execute(String id, String method, ObjectNode args, Optional<Instant> deadline,
                             Optional<String> traceparent) throws RunnerException {
    return RunnerException.await(executeAsync(id, method, args, deadline, traceparent));
  }

  public PluginReply execute(String id, String method, ObjectNode args) throws RunnerException {
    return execute(id, method, args, Optional.empty(), Optional.empty());
  }

  private PluginPool lookup(String id) throws PluginNotFoundException {
    PluginPool pool = registered.get(id);
    if (pool == null) {
      throw new PluginNotFoundException(id, "plugin " + id + " is not registered");
    }
    return pool;
  }

  /** The manifest a registered plugin was registered with. */
  public Optional<PluginManifest> manifest(String id) {
    return Optional.ofNullable(registered.get(id)).map(PluginPool::manifest);
  }

  /** How many plugins are registered here (no scan of the plugins directory). */
  public int registeredCount() {
    return registered.size();
  }

  /** Whether {@code id} is registered here. */
  public boolean isRegistered(String id) {
    return registered.containsKey(id);
  }

  /** Asks a ready instance of a registered plugin whether it is healthy. */
  public boolean healthy(String id, Duration timeout) {
    PluginPool pool = registered.get(id);
    return pool != null && pool.anyReadyProcess().map(process -> process.healthy(timeout)).orElse(false);
  }

  /** The cold start (launch to ready) of a ready instance of {@code id}. */
  public Optional<Duration> coldStart(String id) {
    return Optional.ofNullable(registered.get(id)).flatMap(PluginPool::anyReadyProcess).map(InstanceHandle::coldStart);
  }

  /** The one place a plugin process is launched: pin check, clean environment, handshake. */
  private PluginProcess launch(PluginPool pool) throws PluginStartException {
    verifyPin(pool);
    return PluginProcess.start(pool.manifest(), pool.directory(), pool.binary(),
        PluginEnvironment.forPlugin(pool.manifest(), config.hostEnvironment()), spawner, channels,
        isolation, config.limits());
  }

  private static void verifyPin(PluginPool reg) throws PluginStartException {
    Optional<String> pin = reg.manifest().runner().sha256();
    if (pin.isEmpty()) {
      return;
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(reg.binary()), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      String actual = HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
      if (!actual.equals(pin.get())) {
        throw new PluginStartException(reg.id(), "binary " + reg.binary() + " has sha256 " + actual
            + ", but plugin.json pins " + pin.get());
      }
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new PluginStartException(reg.id(), "could not hash binary " + reg.binary() + ": " + e.getMessage(), e);
    }
  }

  private DiscoveredPlugin discover(String id) throws PluginNotFoundException {
    if (!PluginId.isValid(id)) {
      throw new PluginNotFoundException(id, "invalid plugin id '" + id + "'");
    }
    List<DiscoveredPlugin> matches = discovery.scan().stream()
        .filter(plugin -> plugin.id().filter(id::equals).isPresent()).toList();
    if (matches.isEmpty()) {
      throw new PluginNotFoundException(id, "no plugin with id " + id + " in " + discovery.pluginsDir());
    }
    DiscoveredPlugin plugin = matches.getFirst();
    if (plugin.availability() == Availability.INCOMPLETE) {
      throw new PluginNotFoundException(id, "plugin " + id + " is incomplete: " + plugin.reason().orElse("?"));
    }
    return plugin;
  }

  private void ensureOpen() throws RunnerException {
    if (closed) {
      throw new RunnerException(ErrorCode.INTERNAL, null, "the plugin manager is shut down");
    }
  }

  /**
   * {@code plugin}, or it as incomplete when no instance of it could start here whatever is
   * retried (its user cannot reach it, say): what {@link #register} would refuse, shown by list.
   */
  private DiscoveredPlugin reachable(DiscoveredPlugin plugin) {
    Optional<Path> path = switch (plugin.availability()) {
      case AVAILABLE -> plugin.binary();
      case SOURCE_ONLY -> Optional.of(plugin.directory());
      case INCOMPLETE -> Optional.empty();
    };
    return path.flatMap(p -> isolation.startRefusal(plugin.id().orElseThrow(), p)).map(plugin::incomplete)
        .orElse(plugin);
  }

  private static PluginInfo info(DiscoveredPlugin plugin) {
    Optional<PluginManifest> m = plugin.manifest();
    return new PluginInfo(plugin.id(), m.map(PluginManifest::name), m.map(PluginManifest::version),
        m.map(PluginManifest::description), plugin.directory(), plugin.availability().jsonName(), false,
        plugin.reason(), OptionalLong.empty(), 0, List.of(), m);
  }

  /** Scale to zero and back to min_instances, backoff and quarantine ends, periodic health checks. */
  private void upkeep() {
    for (PluginPool pool : registered.values()) {
      try {
        pool.maintain();
      } catch (RuntimeException e) {
        log.warn("upkeep of plugin {} failed: {}", pool.id(), e.toString());
      }
    }
  }

  /** Stops every plugin (in parallel), then releases threads and the process journal. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    scheduler.shutdownNow();
    Instant drainLimit = clock.instant().plus(config.stopGrace());
    // Bounded whatever a plugin does: a drain up to the grace, SIGTERM, SIGKILL after the grace.
    try (ExecutorService stops = Executors.newVirtualThreadPerTaskExecutor()) {
      for (PluginPool pool : List.copyOf(registered.values())) {
        stops.submit(() -> pool.shutDown(false, Optional.of(drainLimit), "worker shutdown"));
      }
    }
    registered.clear();
    channels.close();
    spawner.close();
    journal.close();
  }
}
