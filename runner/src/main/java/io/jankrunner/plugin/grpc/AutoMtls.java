package io.jankrunner.plugin.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The host side of go-plugin's auto-mTLS for one plugin process: a fresh certificate whose PEM
 * goes to the plugin in {@code PLUGIN_CLIENT_CERT}, and a TLS context that trusts exactly the
 * certificate the plugin printed in its handshake (never the system trust store) and presents
 * ours.
 */
final class AutoMtls {

  private final EphemeralCertificate client = EphemeralCertificate.generate();

  Map<String, String> environment(Map<String, String> environment) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put(Handshake.CLIENT_CERT_ENV, client.pem());
    return env;
  }

  /**
   * The client TLS context pinned to the handshake's certificate.
   *
   * @throws IllegalArgumentException when the handshake carries no certificate or a malformed one
   */
  SslContext clientContext(Handshake handshake) throws SSLException {
    String field = handshake.serverCert().orElseThrow(() -> new IllegalArgumentException(
        "plugin.json sets auto_mtls, but the handshake has no server certificate (sixth field):"
            + " the plugin does not do auto-mTLS"));
    return pinnedContext(EphemeralCertificate.parseHandshakeField(field), client);
  }

  /** A client TLS context that trusts only {@code pinned} and presents {@code own}; also used by the warm-up. */
  static SslContext pinnedContext(X509Certificate pinned, EphemeralCertificate own) throws SSLException {
    // The JDK's TLS, not the bundled BoringSSL: go-plugin's certificates are ECDSA P-521, whose
    // signature scheme BoringSSL does not offer by default, so a Go plugin would refuse the handshake.
    return GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
        .trustManager(pinned)
        .keyManager(own.privateKey(), own.certificate())
        .build();
  }

  /**
   * A TLS channel connects lazily: one health check now, so a plugin whose certificate is not
   * the one in its handshake (or that does not speak TLS) is a start failure, not a failed call.
   */
  static void verify(String id, ManagedChannel channel, long startDeadlineNanos)
      throws PluginStartException {
    // At least a few seconds: the first TLS handshake in a JVM loads and initialises a lot.
    long remaining = Math.max(startDeadlineNanos - System.nanoTime(), TimeUnit.SECONDS.toNanos(5));
    try {
      PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(remaining, TimeUnit.NANOSECONDS)
          .healthCheck(HealthCheckRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      channel.shutdownNow();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new PluginStartException(id, "auto_mtls: TLS with the plugin failed, its certificate is not the one"
          + " in its handshake or it does not speak TLS: " + e.getStatus().getCode() + " " + cause.getMessage(), e);
    }
  }
}
