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
import io.jankrunner.plugin.api.PluginCallException;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.isolation.Sandbox;
import io.jankrunner.plugin.process.OutputDrain;
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
import java.io.InputStream;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The gRPC client of one plugin process: its channel (plaintext or auto-mTLS, to the address its
 * handshake named, once checked), the {@code Execute} and health calls, go-plugin's stdio stream
 * and its {@code Shutdown}. Knows the process only through {@code unreachable}: what a call that
 * could not reach the plugin is led by.
 */
final class PluginClient {

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
  private final String tag;
  private final ManagedChannel channel;
  private final PluginServiceGrpc.PluginServiceBlockingStub stub;
  private final PluginServiceGrpc.PluginServiceStub asyncStub;
  private final Supplier<String> unreachable;
  /** go-plugin's stdio stream (see {@link #streamStdio}): what the plugin writes to its stdout and stderr. */
  private final OutputDrain stdioOut;
  private final OutputDrain stdioErr;
  /** Calls sent and not yet answered: a stop lets them finish before go-plugin's Shutdown. */
  private final Set<CompletableFuture<ObjectNode>> inFlight = ConcurrentHashMap.newKeySet();

  private PluginClient(String pluginId, String tag, ManagedChannel channel, Supplier<String> unreachable) {
    this.pluginId = pluginId;
    this.tag = tag;
    this.channel = channel;
    this.stub = PluginServiceGrpc.newBlockingStub(channel);
    this.asyncStub = PluginServiceGrpc.newStub(channel);
    this.unreachable = unreachable;
    this.stdioOut = new OutputDrain(InputStream.nullInputStream(), LaunchedProcess.log, tag + " stdout", null, null);
    this.stdioErr = new OutputDrain(InputStream.nullInputStream(), LaunchedProcess.log, tag + " stderr", null, null);
  }

  /**
   * A channel to where {@code handshake} says the plugin serves, after {@link HandshakeAddress}'s
   * checks (before anything connects anywhere), with {@code tls} when auto-mTLS. A channel
   * connects lazily: nothing is sent until the first call (or {@link #streamStdio}).
   */
  static PluginClient connect(String pluginId, String tag, Handshake handshake, Sandbox sandbox,
                              EventLoopGroup eventLoop, Optional<SslContext> tls, Supplier<String> unreachable)
      throws PluginStartException {
    SocketAddress address = handshake.network().equals("unix")
        ? new DomainSocketAddress(HandshakeAddress.unixSocket(pluginId, handshake.address(), sandbox).toString())
        : HandshakeAddress.tcp(pluginId, handshake.address(), sandbox);
    return new PluginClient(pluginId, tag, channel(address, eventLoop, tls), unreachable);
  }

  private static ManagedChannel channel(SocketAddress address, EventLoopGroup eventLoop, Optional<SslContext> tls) {
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

  ManagedChannel channel() {
    return channel;
  }

  /**
   * Reads go-plugin's {@code plugin.GRPCStdio/StreamStdio} for the process's life, as go-plugin's
   * own client does right after the handshake: since go-plugin 1.4 a Go plugin's stdout and
   * stderr are pipes whose only reader is this stream, so a host that does not read it leaves
   * the plugin blocked on its next write once a pipe's worth is buffered. The data goes to drains
   * bounded and rate limited like the process's own output. A plugin that does not serve the
   * service (UNIMPLEMENTED: not go-plugin, or an older one) just has nothing to read here.
   */
  void streamStdio() {
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
          LaunchedProcess.log.debug("[{}] stdio stream ended: {}", tag, Status.fromThrowable(error));
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

  /** See {@link io.jankrunner.plugin.api.InstanceHandle#executeAsync}: on the asynchronous stub, no thread waits. */
  CompletableFuture<ObjectNode> executeAsync(String method, ObjectNode args, Instant deadline,
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
          unreachable.get() + description);
      default -> new PluginCallException(ErrorCode.PLUGIN_ERROR, pluginId, description);
    };
  }

  /** Asks the plugin whether it is healthy; false when it says otherwise or does not answer in time. */
  boolean healthy(Duration timeout) {
    try {
      return "healthy".equals(stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .healthCheck(HealthCheckRequest.getDefaultInstance()).getStatus());
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the plugin answers a {@code HealthCheck} at all within {@code timeout}, whatever it
   * says (an error status is an answer too): what tells a slow plugin from a hung one.
   */
  boolean answers(Duration timeout) {
    try {
      stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS).healthCheck(HealthCheckRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      return code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE
          && code != Status.Code.CANCELLED;
    }
  }

  /** Lets the calls in flight finish, for up to {@code grace}. */
  void awaitInFlight(Duration grace) {
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
  boolean askToShutDown(Duration grace) {
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

  /** Closes the channel, waiting up to {@code wait} for its calls to end, then fails what is left. */
  void close(Duration wait) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
  }

  /** Fails whatever still waits on the channel, at once. */
  void closeNow() {
    channel.shutdownNow();
  }
}
