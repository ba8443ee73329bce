package io.jankrunner.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.DiscoveredPlugin.Availability;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local plugin manager, as Jank's: discovers the plugins directory, builds, registers,
 * starts, calls, stops. Plugins start cold on their first call unless {@code auto_start}.
 *
 * <p>Thread-safe. No lock is global: starting one plugin holds only that plugin's start lock, so
 * calls to other plugins go on; many calls to one plugin run at once over its gRPC channel.
 */
public final class PluginManager implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PluginManager.class);

  private final PluginManagerConfig config;
  private final PluginStateListener listener;
  private final PluginDiscovery discovery;
  private final ProcessJournal journal;
  private final ProcessSpawner spawner;
  private final PluginBuilder builder;
  private final EventLoopGroup eventLoop;
  private final Map<String, RegisteredPlugin> registered = new ConcurrentHashMap<>();
  private static final Duration REAP_INTERVAL = Duration.ofMillis(250);
  private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("plugin-reaper").daemon(true).factory());
  private volatile boolean closed;

  public PluginManager(PluginManagerConfig config, PluginStateListener listener) throws IOException {
    this.config = config;
    this.listener = listener;
    this.discovery = new PluginDiscovery(config.pluginsDir());
    this.journal = new ProcessJournal(config.stateDir());
    journal.sweepOrphans();
    this.spawner = new ProcessSpawner(journal);
    this.builder = new PluginBuilder(spawner, PluginEnvironment.forBuild(config.hostEnvironment()),
        config.buildTimeout());
    // One small event loop serves every plugin channel; calls block on virtual threads, not here.
    this.eventLoop = new EpollEventLoopGroup(2, Thread.ofPlatform().name("plugin-grpc-", 0).daemon(true).factory());
    reaper.scheduleWithFixedDelay(this::reapIdle, REAP_INTERVAL.toMillis(), REAP_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Every plugin directory and every registered plugin, registered state first where there is one. */
  public List<PluginInfo> list() {
    List<PluginInfo> infos = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (DiscoveredPlugin plugin : discovery.scan()) {
      Optional<RegisteredPlugin> live = plugin.id().map(registered::get)
          .filter(reg -> reg.directory().equals(plugin.directory()));
      if (live.isPresent()) {
        infos.add(info(live.get()));
        seen.add(live.get().id());
      } else {
        infos.add(info(plugin));
      }
    }
    registered.values().stream().filter(reg -> !seen.contains(reg.id())).map(PluginManager::info).forEach(infos::add);
    return infos;
  }

  /** One plugin by id: its registered state, else what discovery says of it. */
  public Optional<PluginInfo> get(String id) {
    RegisteredPlugin reg = registered.get(id);
    if (reg != null) {
      return Optional.of(info(reg));
    }
    return discovery.scan().stream().filter(plugin -> plugin.id().filter(id::equals).isPresent())
        .findFirst().map(PluginManager::info);
  }

  /**
   * Registers a discovered plugin, building it first when asked to or when it has no binary yet,
   * and starts it when its manifest says {@code auto_start}. Registering a registered plugin
   * again swaps it: the new registration takes calls at once, the old process is drained and
   * stopped in the background.
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
    PluginManifest manifest = plugin.manifest().orElseThrow();
    RegisteredPlugin fresh = new RegisteredPlugin(manifest, plugin.directory(), plugin.binary().orElseThrow(), listener);
    RegisteredPlugin old = registered.put(id, fresh);
    fresh.announce();
    if (old != null) {
      old.markUnregistered();
      Thread.ofVirtual().name("plugin-swap-" + id).start(() -> old.stop(config.stopGrace(), "replaced by re-register"));
    }
    log.info("registered {} {} from {}", id, manifest.version(), plugin.directory());
    // auto_start, or min_instances ≥ 1: warm from registration, not from the first call.
    if (manifest.autoStart() || manifest.runner().minInstances() > 0) {
      ensureStarted(fresh, Instant.now().plus(manifest.startTimeout()).plusSeconds(1));
    }
    return info(fresh);
  }

  public PluginInfo register(String id) throws RunnerException {
    return register(id, false, null);
  }

  /** Stops and forgets a registered plugin. Calls in flight get up to the stop grace to finish. */
  public void unregister(String id) throws PluginNotFoundException {
    RegisteredPlugin reg = registered.remove(id);
    if (reg == null) {
      throw new PluginNotFoundException(id, "plugin " + id + " is not registered");
    }
    reg.markUnregistered();
    reg.stop(config.stopGrace(), "unregistered");
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
   * Calls {@code method} on a registered plugin, cold-starting it if needed. The call is bounded
   * by the earliest of {@code deadline}, the plugin's {@code runner.timeout_ms} and the default.
   *
   * @throws PluginNotFoundException when the plugin is not registered
   * @throws PluginStartException when it cannot be started
   * @throws PluginCallException PLUGIN_ERROR, PLUGIN_UNAVAILABLE or TIMEOUT
   */
  public ObjectNode execute(String id, String method, ObjectNode args, Optional<Instant> deadline,
                            Optional<String> traceparent) throws RunnerException {
    RegisteredPlugin reg = registered.get(id);
    if (reg == null) {
      throw new PluginNotFoundException(id, "plugin " + id + " is not registered");
    }
    Instant now = Instant.now();
    Instant bound = now.plus(reg.manifest().runner().timeout().orElse(config.defaultCallTimeout()));
    Instant effective = deadline.filter(d -> d.isBefore(bound)).orElse(bound);
    PluginProcess process = ensureStarted(reg, effective);
    while (!reg.tryReserveCall(process)) {
      // Reaped as idle or crashed between the lookup and the call: start it again.
      process = ensureStarted(reg, effective);
    }
    try {
      return process.execute(method, args, effective, traceparent);
    } finally {
      reg.callFinished();
    }
  }

  public ObjectNode execute(String id, String method, ObjectNode args) throws RunnerException {
    return execute(id, method, args, Optional.empty(), Optional.empty());
  }

  /** The manifest a registered plugin was registered with. */
  public Optional<PluginManifest> manifest(String id) {
    return Optional.ofNullable(registered.get(id)).map(RegisteredPlugin::manifest);
  }

  /** How many plugins are registered here (no scan of the plugins directory). */
  public int registeredCount() {
    return registered.size();
  }

  /** Whether {@code id} is registered here. */
  public boolean isRegistered(String id) {
    return registered.containsKey(id);
  }

  /** Asks a registered, running plugin whether it is healthy. */
  public boolean healthy(String id, Duration timeout) {
    RegisteredPlugin reg = registered.get(id);
    return reg != null && reg.process().map(process -> process.healthy(timeout)).orElse(false);
  }

  /** The cold start (launch to ready) of the process now serving {@code id}. */
  public Optional<Duration> coldStart(String id) {
    return Optional.ofNullable(registered.get(id)).flatMap(RegisteredPlugin::process).map(PluginProcess::coldStart);
  }

  private PluginProcess ensureStarted(RegisteredPlugin reg, Instant deadline) throws RunnerException {
    Optional<PluginProcess> running = reg.process();
    if (running.isPresent()) {
      return running.get();
    }
    long waitMs = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
    try {
      if (!reg.startLock().tryLock(waitMs, TimeUnit.MILLISECONDS)) {
        throw new PluginCallException(ErrorCode.TIMEOUT, reg.id(), "plugin " + reg.id() + " did not start in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PluginCallException(ErrorCode.INTERNAL, reg.id(), "interrupted while waiting for the plugin to start");
    }
    try {
      running = reg.process();
      if (running.isPresent()) {
        return running.get();
      }
      if (reg.unregistered() || closed) {
        throw new PluginNotFoundException(reg.id(), "plugin " + reg.id() + " was unregistered");
      }
      return start(reg);
    } finally {
      reg.startLock().unlock();
    }
  }

  private PluginProcess start(RegisteredPlugin reg) throws PluginStartException {
    reg.moveTo(PluginState.STARTING, null);
    PluginProcess process;
    try {
      verifyPin(reg);
      process = PluginProcess.start(reg.manifest(), reg.directory(), reg.binary(),
          PluginEnvironment.forPlugin(reg.manifest(), config.hostEnvironment()), spawner, eventLoop,
          Isolation.of(config));
    } catch (PluginStartException e) {
      reg.moveTo(PluginState.ERROR, e.getMessage());
      throw e;
    }
    reg.started(process);
    process.onExit().thenAccept(code -> reg.exited(process, code));
    return process;
  }

  private static void verifyPin(RegisteredPlugin reg) throws PluginStartException {
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
    if (!ManifestParser.isValidId(id)) {
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

  private static PluginInfo info(RegisteredPlugin reg) {
    PluginManifest m = reg.manifest();
    OptionalLong pid = reg.process().map(p -> OptionalLong.of(p.pid())).orElse(OptionalLong.empty());
    return new PluginInfo(Optional.of(m.id()), Optional.of(m.name()), Optional.of(m.version()),
        Optional.of(m.description()), reg.directory(), reg.state().jsonName(), true, reg.reason(), pid, reg.inFlight());
  }

  private static PluginInfo info(DiscoveredPlugin plugin) {
    Optional<PluginManifest> m = plugin.manifest();
    return new PluginInfo(plugin.id(), m.map(PluginManifest::name), m.map(PluginManifest::version),
        m.map(PluginManifest::description), plugin.directory(), plugin.availability().jsonName(), false,
        plugin.reason(), OptionalLong.empty(), 0);
  }

  /**
   * Serverless scale to zero: a plugin idle for its {@code runner.idle_ttl_ms} is stopped, unless
   * it asks to be kept warm ({@code min_instances} ≥ 1, or an idle TTL of 0).
   */
  private void reapIdle() {
    for (RegisteredPlugin reg : registered.values()) {
      PluginManifest.RunnerSettings settings = reg.manifest().runner();
      if (settings.minInstances() > 0 || settings.idleTtl().isZero()) {
        continue;
      }
      try {
        if (reg.stopIfIdle(settings.idleTtl(), config.stopGrace())) {
          log.info("stopped {}: idle for {} ms", reg.id(), settings.idleTtl().toMillis());
        }
      } catch (RuntimeException e) {
        log.warn("could not reap idle plugin {}: {}", reg.id(), e.toString());
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
    reaper.shutdownNow();
    try (ExecutorService stops = Executors.newVirtualThreadPerTaskExecutor()) {
      for (RegisteredPlugin reg : List.copyOf(registered.values())) {
        stops.submit(() -> reg.stop(config.stopGrace(), "worker shutdown"));
      }
    }
    registered.clear();
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    spawner.close();
    journal.close();
  }
}
