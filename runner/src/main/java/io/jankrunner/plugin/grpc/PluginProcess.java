package io.jankrunner.plugin.grpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.jankrunner.ErrorCode;
import io.jankrunner.plugin.api.InstanceHandle;
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.isolation.Isolation;
import io.jankrunner.plugin.isolation.PluginLimits;
import io.jankrunner.plugin.isolation.Sandbox;
import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.plugin.process.OutputDrain;
import io.jankrunner.plugin.process.ProcessSpawner;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.proto.goplugin.Empty;
import io.jankrunner.proto.goplugin.GRPCControllerGrpc;
import io.jankrunner.proto.goplugin.GRPCStdioGrpc;
import io.jankrunner.proto.goplugin.StdioData;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import io.jankrunner.protocol.JsonValues;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running plugin process and the gRPC channel to it. Created by {@link #start}, which
 * returns only once the go-plugin handshake is done; after that stdout and stderr are drained
 * into the worker's log, tagged with plugin id and pid.
 */
public final class PluginProcess implements InstanceHandle {

  private static final Logger log = LoggerFactory.getLogger("io.jankrunner.plugin.output");
  private static final Duration SHUTDOWN_ANSWER = Duration.ofSeconds(2);
  /**
   * The largest answer taken from a plugin: a result is at most 8 MiB on its topic, so a bigger
   * answer could never be delivered; 1 MiB more for protobuf's framing of the same data. gRPC
   * buffers each message whole, so this bounds the heap a plugin can make the worker hold per
   * call in flight (it was 64 MiB).
   */
  static final int MAX_ANSWER_BYTES = 9 * 1024 * 1024;
  static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

  private final String pluginId;
  private final Process process;
  private final ManagedChannel channel;
  private final PluginServiceGrpc.PluginServiceBlockingStub stub;
  private final PluginServiceGrpc.PluginServiceStub asyncStub;
  private final OutputDrain stdout;
  private final OutputDrain stderr;
  private final Duration coldStart;
  private final Sandbox sandbox;
  /** go-plugin's stdio stream (see {@link #streamStdio}): what the plugin writes to its stdout and stderr. */
  private final OutputDrain stdioOut;
  private final OutputDrain stdioErr;
  /** Calls sent and not yet answered: {@link #stop} lets them finish before go-plugin's Shutdown. */
  private final Set<CompletableFuture<ObjectNode>> inFlight = ConcurrentHashMap.newKeySet();

  private PluginProcess(String pluginId, Process process, ManagedChannel channel, OutputDrain stdout,
                        OutputDrain stderr, Duration coldStart, Sandbox sandbox) {
    this.pluginId = pluginId;
    this.process = process;
    this.channel = channel;
    this.stub = PluginServiceGrpc.newBlockingStub(channel);
    this.asyncStub = PluginServiceGrpc.newStub(channel);
    this.stdout = stdout;
    this.stderr = stderr;
    this.coldStart = coldStart;
    this.sandbox = sandbox;
    String tag = pluginId + " pid=" + process.pid();
    this.stdioOut = new OutputDrain(java.io.InputStream.nullInputStream(), log, tag + " stdout", null, null);
    this.stdioErr = new OutputDrain(java.io.InputStream.nullInputStream(), log, tag + " stderr", null, null);
  }

  /**
   * Reads go-plugin's {@code plugin.GRPCStdio/StreamStdio} for the process's life, as go-plugin's
   * own client does right after the handshake: since go-plugin 1.4 a Go plugin's stdout and
   * stderr are pipes whose only reader is this stream, so a host that does not read it leaves
   * the plugin blocked on its next write once a pipe's worth is buffered. The data goes to drains
   * bounded and rate limited like the process's own output. A plugin that does not serve the
   * service (UNIMPLEMENTED: not go-plugin, or an older one) just has nothing to read here.
   */
  private void streamStdio() {
    // directExecutor (the channel's): feeding a drain never blocks, it only assembles lines and
    // logs at a bounded rate, so the event loop is not held up.
    GRPCStdioGrpc.newStub(channel).streamStdio(com.google.protobuf.Empty.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(StdioData data) {
        OutputDrain drain = data.getChannel() == StdioData.Channel.STDERR ? stdioErr : stdioOut;
        byte[] bytes = data.getData().toByteArray();
        drain.feed(bytes, bytes.length);
      }

      @Override
      public void onError(Throwable error) {
        Status.Code code = Status.fromThrowable(error).getCode();
        if (code != Status.Code.UNIMPLEMENTED && code != Status.Code.UNAVAILABLE && code != Status.Code.CANCELLED) {
          log.debug("[{}] stdio stream ended: {}", PluginProcess.this, Status.fromThrowable(error));
        }
        finishStdio();
      }

      @Override
      public void onCompleted() {
        finishStdio();
      }
    });
  }

  private synchronized void finishStdio() {
    stdioOut.finish();
    stdioErr.finish();
  }

  /**
   * Launches the plugin in a {@link Sandbox} (its cgroups, user and temp dir, released when the
   * process exits), waits for its handshake (at most {@code start_timeout}) and connects.
   *
   * @throws PluginStartException with the captured output when the process exits early, prints
   *     something other than a valid handshake, or prints nothing in time
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
    Process process;
    try {
      process = spawner.spawn(sandbox.command(binary), directory, mtls.map(m -> m.environment(env)).orElse(env),
          sandbox.rlimits());
    } catch (IOException e) {
      sandbox.release();
      throw new PluginStartException(id, "could not launch " + binary + ": " + e.getMessage(), e);
    }
    // Not on the exit-notification thread: release waits for the cgroup's last members to go.
    process.onExit().thenRun(() -> Thread.ofVirtual().name("plugin-release-" + process.pid()).start(sandbox::release));
    String tag = id + " pid=" + process.pid();
    CompletableFuture<Optional<String>> firstLine = new CompletableFuture<>();
    OutputDrain stdout = new OutputDrain(process.getInputStream(), log, tag + " stdout", firstLine, null)
        .start("plugin-stdout-" + process.pid());
    OutputDrain stderr = new OutputDrain(process.getErrorStream(), log, tag + " stderr", null, null)
        .start("plugin-stderr-" + process.pid());
    Handshake handshake;
    try {
      Optional<String> line = firstLine.get(manifest.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
      if (line.isEmpty()) {
        int code = waitForExit(process);
        throw new PluginStartException(id, "plugin exited before its handshake"
            + (code >= 0 ? " (exit code " + code + ")" : "") + output(stdout, stderr));
      }
      handshake = Handshake.parse(line.get());
    } catch (TimeoutException e) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw new PluginStartException(id, "no handshake within start_timeout " + manifest.startTimeout().toMillis()
          + " ms" + output(stdout, stderr));
    } catch (IllegalArgumentException e) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw new PluginStartException(id, "invalid handshake: " + e.getMessage() + output(stdout, stderr));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw new PluginStartException(id, "interrupted while waiting for the handshake");
    } catch (ExecutionException e) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw new PluginStartException(id, "could not read the handshake: " + e.getCause(), e.getCause());
    } catch (PluginStartException e) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw e;
    }
    Optional<SslContext> tls;
    try {
      tls = mtls.isPresent() ? Optional.of(mtls.get().clientContext(handshake)) : Optional.empty();
    } catch (IllegalArgumentException | SSLException e) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw new PluginStartException(id, "auto_mtls: " + e.getMessage() + output(stdout, stderr), e);
    }
    // After the certificate checks (what the plugin printed), before anything connects anywhere.
    java.net.SocketAddress address;
    try {
      address = handshake.network().equals("unix")
          ? new DomainSocketAddress(HandshakeAddress.unixSocket(id, handshake.address(), sandbox).toString())
          : HandshakeAddress.tcp(id, handshake.address(), sandbox);
    } catch (PluginStartException e) {
      ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
      throw e;
    }
    ManagedChannel channel = connect(address, channels.eventLoop(), tls);
    if (mtls.isPresent()) {
      try {
        AutoMtls.verify(id, channel, launched + manifest.startTimeout().toNanos());
      } catch (PluginStartException e) {
        ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
        throw e;
      }
    }
    Duration coldStart = Duration.ofNanos(System.nanoTime() - launched);
    log.info("[{}] started: {} {} in {} ms", tag, handshake.network(), handshake.address(), coldStart.toMillis());
    PluginProcess started = new PluginProcess(id, process, channel, stdout, stderr, coldStart, sandbox);
    started.streamStdio();
    return started;
  }

  private static ManagedChannel connect(java.net.SocketAddress address, EventLoopGroup eventLoop,
                                        Optional<SslContext> tls) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address).channelType(
        address instanceof DomainSocketAddress ? EpollDomainSocketChannel.class : EpollSocketChannel.class);
    // directExecutor: answers complete the caller's future on the event loop, no extra thread hop.
    // The authority is the name in go-plugin's (and our) auto-mTLS certificates.
    builder.eventLoopGroup(eventLoop).overrideAuthority(EphemeralCertificate.HOST_NAME);
    if (tls.isPresent()) {
      builder.sslContext(tls.get());
    } else {
      builder.usePlaintext();
    }
    // disableRetry: the guards retry what may be retried (by idempotent_methods); gRPC's own
    // transparent retries would only buffer every call's messages for nothing.
    return builder.directExecutor().disableRetry().maxInboundMessageSize(MAX_ANSWER_BYTES).build();
  }

  private static int waitForExit(Process process) {
    try {
      return process.waitFor(2, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String output(OutputDrain stdout, OutputDrain stderr) {
    // Give the drains a moment to read what a dying process printed last.
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String out = stdout.tail();
    String err = stderr.tail();
    StringBuilder text = new StringBuilder();
    if (!out.isBlank()) {
      text.append("; stdout: ").append(out);
    }
    if (!err.isBlank()) {
      text.append("; stderr: ").append(err);
    }
    return text.isEmpty() ? "; no output" : text.toString();
  }

  /**
   * One {@code Execute} call, bounded by {@code deadline}, on the asynchronous stub: no thread
   * waits for the answer. The returned future completes on the channel's event loop (the channel
   * has a direct executor), so what depends on it must be cheap or hop to another executor.
   *
   * @return the plugin's data, or a failed future with a {@link PluginCallException}:
   *     PLUGIN_ERROR, PLUGIN_UNAVAILABLE, TIMEOUT, or INVALID_COMMAND for args it cannot carry
   */
  public CompletableFuture<ObjectNode> executeAsync(String method, ObjectNode args, Instant deadline,
                                             Optional<String> traceparent) {
    long remainingNanos = Duration.between(Instant.now(), deadline).toNanos();
    if (remainingNanos <= 0) {
      return CompletableFuture.failedFuture(new PluginCallException(ErrorCode.TIMEOUT, pluginId,
          "deadline passed before the call was sent"));
    }
    ExecuteRequest request;
    try {
      request = ExecuteRequest.newBuilder().setMethod(method).putAllArgs(JsonValues.toAnyMap(args)).build();
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new PluginCallException(ErrorCode.INVALID_COMMAND, pluginId,
          "args: " + e.getMessage()));
    }
    PluginServiceGrpc.PluginServiceStub call = asyncStub.withDeadlineAfter(remainingNanos, TimeUnit.NANOSECONDS);
    if (traceparent.isPresent()) {
      Metadata headers = new Metadata();
      headers.put(TRACEPARENT, traceparent.get());
      call = call.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
    inFlight.add(answer);
    answer.whenComplete((data, error) -> inFlight.remove(answer));
    call.execute(request, new StreamObserver<>() {
      @Override
      public void onNext(ExecuteResponse response) {
        try {
          answer.complete(JsonValues.fromAnyMap(response.getDataMap()));
        } catch (IllegalArgumentException e) {
          answer.completeExceptionally(new PluginCallException(ErrorCode.PLUGIN_ERROR, pluginId,
              "plugin returned invalid data: " + e.getMessage()));
        }
      }

      @Override
      public void onError(Throwable error) {
        answer.completeExceptionally(translate(Status.fromThrowable(error), method, remainingNanos));
      }

      @Override
      public void onCompleted() {
        if (!answer.isDone()) { // as a rule onNext has completed it: no exception made per call
          answer.completeExceptionally(new PluginCallException(ErrorCode.PLUGIN_ERROR, pluginId,
              "plugin ended the call without an answer"));
        }
      }
    });
    return answer;
  }

  private PluginCallException translate(Status status, String method, long budgetNanos) {
    String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && description.contains("exceeds maximum size")) {
      // gRPC's own refusal of an answer past MAX_ANSWER_BYTES (a plugin's RESOURCE_EXHAUSTED is its own error).
      return new PluginCallException(ErrorCode.RESULT_TOO_LARGE, pluginId, "the plugin's answer to " + method
          + " is larger than the " + MAX_ANSWER_BYTES + " bytes a result may take (" + description + ")");
    }
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED -> new PluginCallException(ErrorCode.TIMEOUT, pluginId,
          "plugin did not answer " + method + " within " + TimeUnit.NANOSECONDS.toMillis(budgetNanos) + " ms");
      case UNAVAILABLE, CANCELLED -> new PluginCallException(ErrorCode.PLUGIN_UNAVAILABLE, pluginId,
          // A limit the cgroup counted names itself even before the exit is reaped.
          sandbox.limitHit().map(limit -> limit + ": ").orElse(process.isAlive() ? "plugin unreachable: "
              : exitCode().map(this::exitDescription).orElse("plugin process exited") + ": ") + description);
      default -> new PluginCallException(ErrorCode.PLUGIN_ERROR, pluginId, description);
    };
  }

  /** Asks the plugin whether it is healthy; false when it says otherwise or does not answer in time. */
  public boolean healthy(Duration timeout) {
    try {
      return "healthy".equals(stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .healthCheck(HealthCheckRequest.getDefaultInstance()).getStatus());
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the process answers a {@code HealthCheck} at all within {@code timeout}, whatever it
   * says (an error status is an answer too): what tells a slow plugin from a hung one.
   */
  public boolean answers(Duration timeout) {
    try {
      stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS).healthCheck(HealthCheckRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      return code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE
          && code != Status.Code.CANCELLED;
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Launch to handshake done and channel built. */
  public Duration coldStart() {
    return coldStart;
  }

  /** Completes when the process has exited, with its exit code. */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  public Optional<Integer> exitCode() {
    return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
  }

  /**
   * Why the process ended, for status events and error messages: the exit code or signal and
   * the last lines it printed, led by the resource limit it hit when its cgroup counted one
   * (e.g. "killed: memory limit 256 MiB exceeded: plugin process 42 exited with code 137; …").
   */
  public String exitDescription(int exitCode) {
    String exit = "plugin process " + process.pid() + " exited with code " + exitCode + recentOutput();
    return sandbox.limitHit().map(limit -> limit + ": " + exit).orElse(exit);
  }

  /** The last lines the plugin printed, for error reasons. */
  public String recentOutput() {
    return output(stdout, stderr);
  }

  /**
   * Stops the plugin as go-plugin's own client does, then as any process: lets in-flight calls
   * finish for up to {@code grace}; asks go-plugin's {@code plugin.GRPCController/Shutdown}
   * (go-plugin's server stops at once on it, cancelling what still runs, hence the wait first)
   * and gives the process {@code grace} to exit by itself; then closes the channel and sends
   * SIGTERM to its process tree and SIGKILL after another {@code grace}. A plugin without the
   * controller (UNIMPLEMENTED) goes straight to the signals.
   */
  public void stop(Duration grace) {
    awaitInFlight(grace);
    if (askToShutDown(grace)) {
      try {
        process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    channel.shutdown();
    try {
      if (!channel.awaitTermination(process.isAlive() ? grace.toMillis() : 0, TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
    ProcessSpawner.terminateTree(process.toHandle(), grace);
    // Now, not only on the exit notification: a worker shutting down must not exit before what
    // the plugin left in its cgroup (children that left its process tree) is killed.
    sandbox.release();
  }

  private void awaitInFlight(Duration grace) {
    CompletableFuture<?>[] calls = inFlight.toArray(CompletableFuture[]::new);
    if (calls.length == 0) {
      return;
    }
    try {
      CompletableFuture.allOf(calls).get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // A failed call is finished too; one still running after grace is stopped with the process.
    }
  }

  /** go-plugin's graceful stop; true when the plugin accepted it (its server is stopping). */
  private boolean askToShutDown(Duration grace) {
    if (!process.isAlive()) {
      return false;
    }
    // Short: the answer is immediate in go-plugin; a hung plugin must not hold up the signals.
    long deadlineMillis = Math.max(100, Math.min(grace.toMillis(), SHUTDOWN_ANSWER.toMillis()));
    try {
      GRPCControllerGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .shutdown(Empty.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      // UNIMPLEMENTED: no go-plugin controller. go-plugin's server may also stop before its
      // answer is sent (UNAVAILABLE, CANCELLED): it did get the request.
      Status.Code code = e.getStatus().getCode();
      return code == Status.Code.UNAVAILABLE || code == Status.Code.CANCELLED;
    }
  }

  /** A hung process: fail its calls, SIGKILL its tree (a stopped process cannot act on SIGTERM). */
  public void kill() {
    channel.shutdownNow();
    ProcessSpawner.terminateTree(process.toHandle(), Duration.ZERO);
    sandbox.release();
  }

  /** After a crash: fail whatever is still waiting on the channel at once. */
  public void abandon() {
    channel.shutdownNow();
  }

  @Override
  public String toString() {
    return pluginId + " pid=" + process.pid();
  }
}
