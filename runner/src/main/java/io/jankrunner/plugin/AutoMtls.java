package io.jankrunner.plugin;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
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
    X509Certificate pinned = EphemeralCertificate.parseHandshakeField(field);
    // The JDK's TLS, not the bundled BoringSSL: go-plugin's certificates are ECDSA P-521, whose
    // signature scheme BoringSSL does not offer by default, so a Go plugin would refuse the handshake.
    return GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
        .trustManager(pinned)
        .keyManager(client.privateKey(), client.certificate())
        .build();
  }
}
