package io.jankrunner.plugin.grpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.isolation.Isolation;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.Sandbox;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.process.ProcessSpawner;
import io.jankrunner.protocol.Handshake;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;

/**
 * One started plugin as its pool sees it ({@link InstanceHandle}): the {@link LaunchedProcess}
 * (the child in its sandbox) and the {@link PluginClient} (the gRPC channel to it), made by
 * {@link #start}, which returns only once the go-plugin handshake is done and the channel is
 * built.
 */
public final class PluginProcess implements InstanceHandle {

  private final LaunchedProcess process;
  private final PluginClient client;
  private final Duration coldStart;

  private PluginProcess(LaunchedProcess process, PluginClient client, Duration coldStart) {
    this.process = process;
    this.client = client;
    this.coldStart = coldStart;
  }

  /**
   * Launches the plugin in a {@link Sandbox} (its cgroups, user and temp dir, released when the
   * process exits), waits for its handshake (at most {@code start_timeout}) and connects.
   *
   * @throws PluginStartException with the captured output when the process exits early, prints
   *     something other than a valid handshake, or prints nothing in time; the process is gone then
   */
  public static PluginProcess start(PluginManifest manifest, Path directory, Path binary, Map<String, String> environment,
                             ProcessSpawner spawner, PluginChannels channels, Isolation isolation,
                             PluginLimits limits)
      throws PluginStartException {
    String id = manifest.id();
    long launched = System.nanoTime();
    Sandbox sandbox = isolation.sandbox(manifest, binary, limits);
    Optional<AutoMtls> mtls = manifest.autoMtls() ? Optional.of(new AutoMtls()) : Optional.empty();
    Map<String, String> env = sandbox.environment(environment);
    LaunchedProcess process = LaunchedProcess.spawn(id, sandbox, sandbox.command(binary), binary, directory,
        mtls.map(m -> m.environment(env)).orElse(env), spawner);
    // Every step after the spawn fails as a PluginStartException; this is the one place a failed
    // start ends its process.
    try {
      mtls.ifPresent(AutoMtls::prepare); // while the plugin starts up: the TLS context is ready for its handshake
      Handshake handshake = process.awaitHandshake(manifest.startTimeout());
      Optional<SslContext> tls = mtls.isPresent() ? Optional.of(clientTls(mtls.get(), handshake, process))
          : Optional.empty();
      PluginClient client = PluginClient.connect(id, process.tag(), handshake, sandbox, channels.eventLoop(), tls,
          process::unreachablePrefix);
      if (mtls.isPresent()) {
        AutoMtls.verify(id, client.channel(), launched + manifest.startTimeout().toNanos());
      }
      Duration coldStart = Duration.ofNanos(System.nanoTime() - launched);
      LaunchedProcess.log.info("[{}] started: {} {} in {} ms", process.tag(), handshake.network(), handshake.address(),
          coldStart.toMillis());
      client.streamStdio();
      return new PluginProcess(process, client, coldStart);
    } catch (PluginStartException e) {
      process.abortStart();
      throw e;
    }
  }

  /** The TLS context pinned to the certificate the plugin printed (checked before anything connects). */
  private static SslContext clientTls(AutoMtls mtls, Handshake handshake, LaunchedProcess process)
      throws PluginStartException {
    try {
      return mtls.clientContext(handshake);
    } catch (IllegalArgumentException | SSLException e) {
      throw process.failed(new LaunchFailure("auto_mtls: " + e.getMessage(), false, true, e));
    }
  }

  /**
   * One {@code Execute} call, bounded by {@code deadline}, on the asynchronous stub: no thread
   * waits for the answer. The returned future completes on the channel's event loop (the channel
   * has a direct executor), so what depends on it must be cheap or hop to another executor.
   *
   * @return the plugin's data, or a failed future with a {@link io.jankrunner.plugin.api.PluginCallException}:
   *     PLUGIN_ERROR, PLUGIN_UNAVAILABLE, TIMEOUT, RESULT_TOO_LARGE, or INVALID_COMMAND for args it cannot carry
   */
  @Override
  public CompletableFuture<ObjectNode> executeAsync(String method, ObjectNode args, Instant deadline,
                                             Optional<String> traceparent) {
    return client.executeAsync(method, args, deadline, traceparent);
  }

  /** Asks the plugin whether it is healthy; false when it says otherwise or does not answer in time. */
  @Override
  public boolean healthy(Duration timeout) {
    return client.healthy(timeout);
  }

  /**
   * Whether the process answers a {@code HealthCheck} at all within {@code timeout}, whatever it
   * says (an error status is an answer too): what tells a slow plugin from a hung one.
   */
  @Override
  public boolean answers(Duration timeout) {
    return client.answers(timeout);
  }

  @Override
  public long pid() {
    return process.pid();
  }

  @Override
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Launch to handshake done and channel built. */
  @Override
  public Duration coldStart() {
    return coldStart;
  }

  /** Completes when the process has exited, with its exit code. */
  @Override
  public CompletableFuture<Integer> onExit() {
    return process.onExit();
  }

  /**
   * Why the process ended, for status events and error messages: the exit code or signal and
   * the last lines it printed, led by the resource limit it hit when its cgroup counted one
   * (e.g. "killed: memory limit 256 MiB exceeded: plugin process 42 exited with code 137; …").
   */
  @Override
  public String exitDescription(int exitCode) {
    return process.exitDescription(exitCode);
  }

  /**
   * Stops the plugin as go-plugin's own client does, then as any process: lets in-flight calls
   * finish for up to {@code grace}; asks go-plugin's {@code plugin.GRPCController/Shutdown}
   * (go-plugin's server stops at once on it, cancelling what still runs, hence the wait first)
   * and gives the process {@code grace} to exit by itself; then closes the channel and sends
   * SIGTERM to its process tree and SIGKILL after another {@code grace}. A plugin without the
   * controller (UNIMPLEMENTED) goes straight to the signals.
   */
  @Override
  public void stop(Duration grace) {
    client.awaitInFlight(grace);
    if (process.isAlive() && client.askToShutDown(grace)) {
      process.awaitExit(grace);
    }
    client.close(process.isAlive() ? grace : Duration.ZERO);
    process.terminate(grace);
  }

  /** A hung process: fail its calls, SIGKILL its tree (a stopped process cannot act on SIGTERM). */
  @Override
  public void kill() {
    client.closeNow();
    process.terminate(Duration.ZERO);
  }

  /** After a crash: fail whatever is still waiting on the channel at once. */
  @Override
  public void abandon() {
    client.closeNow();
  }

  @Override
  public String toString() {
    return process.tag();
  }
}
