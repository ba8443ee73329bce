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
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The host side of go-plugin's auto-mTLS for one plugin process: the worker's certificate, whose
 * PEM goes to the plugin in {@code PLUGIN_CLIENT_CERT}, and a TLS context that trusts exactly the
 * certificate the plugin printed in its handshake (never the system trust store) and presents
 * the worker's.
 *
 * <p><b>One host certificate per worker, not per instance</b> (go-plugin's client makes one per
 * plugin process). This is as safe as go-plugin's scheme, and cheaper (no key generation, no
 * key store built per start):
 * <ul>
 *   <li>the private key never leaves the worker's memory: it is not written to disk, not put in
 *       any environment, and not readable by a plugin, which runs under a uid of its own (see
 *       SECURITY.md, a uid per plugin) and cannot read the worker's memory;
 *   <li>a plugin receives only the public certificate, which every plugin of the worker
 *       receives alike: knowing it lets no plugin <em>be</em> the host, since a TLS handshake
 *       proves possession of the private key;
 *   <li>a plugin cannot impersonate another plugin to the host: the host trusts, per instance,
 *       exactly the one certificate that instance printed on its own stdout (a pipe only the
 *       worker reads), and that plugin's key stays in that plugin's process; reaching another
 *       plugin's socket at all is prevented by the uid and network namespace per plugin;
 *   <li>a plugin cannot impersonate the host to another plugin: that needs the host's private
 *       key, not its certificate.
 * </ul>
 * What a per-instance host certificate would add is only unlinkability (two plugins cannot tell
 * they are talking to the same host), which is no secret: they are started by the same worker.
 *
 * <p>The pin is an exact match of the certificate's encoding, stricter than PKIX with the
 * announced certificate as the only anchor (go-plugin's client): go-plugin's certificates are
 * CAs, so PKIX would also accept any other certificate the plugin signs with that key.
 *
 * <p>Provider: the JDK's TLS. The BoringSSL that grpc-netty-shaded bundles does not offer the
 * signature scheme of go-plugin's P-521 certificates ({@code ecdsa_secp521r1_sha512} is not in
 * BoringSSL's default verify list, and netty-tcnative exposes no way to add it), so a Go plugin
 * aborts its handshake with {@code handshake_failure} (measured with {@code MtlsStages}). The
 * worker's certificate is P-256, the cheapest curve for us to sign with, which go-plugin's server
 * accepts (it trusts our certificate as given, any curve Go's TLS knows).
 */
final class AutoMtls {

  private final HostIdentity host;
  private final PinnedTrustManager trust = new PinnedTrustManager();
  private SslContext context;
  private SSLException contextFailure;

  AutoMtls() {
    this(HostIdentity.worker());
  }

  AutoMtls(HostIdentity host) {
    this.host = host;
  }

  Map<String, String> environment(Map<String, String> environment) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put(Handshake.CLIENT_CERT_ENV, host.pem());
    return env;
  }

  /**
   * Builds the TLS context before the plugin's certificate is known (the pin is set by
   * {@link #clientContext}): called while the plugin starts, so the build costs the start nothing.
   */
  void prepare() {
    if (context == null && contextFailure == null) {
      try {
        context = pinnedContext(trust, host);
      } catch (SSLException e) {
        contextFailure = e;
      }
    }
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
    trust.pin(EphemeralCertificate.parseHandshakeField(field));
    prepare();
    if (contextFailure != null) {
      throw contextFailure;
    }
    return context;
  }

  /** A client TLS context that trusts only {@code pinned} and presents {@code own}; also used by the warm-up. */
  static SslContext pinnedContext(X509Certificate pinned, HostIdentity own) throws SSLException {
    PinnedTrustManager trust = new PinnedTrustManager();
    trust.pin(pinned);
    return pinnedContext(trust, own);
  }

  private static SslContext pinnedContext(PinnedTrustManager trust, HostIdentity own) throws SSLException {
    return GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
        .trustManager(trust)
        .keyManager(own.keyManagers())
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

  /**
   * The worker's side of auto-mTLS: one P-256 certificate and its key, made once per worker JVM
   * (see the class comment for why that is as safe as one per instance), and the key managers
   * that present it, built once too (building them means a key store, which costs more than the
   * rest of a TLS context).
   */
  static final class HostIdentity {

    private final EphemeralCertificate certificate;
    private final KeyManagerFactory keyManagers;
    private final String pem;

    private HostIdentity(EphemeralCertificate certificate) {
      this.certificate = certificate;
      this.pem = certificate.pem();
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        // In memory only; a key store entry needs some password.
        char[] password = java.util.UUID.randomUUID().toString().toCharArray();
        store.setKeyEntry("host", certificate.privateKey(), password, new X509Certificate[] {certificate.certificate()});
        keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, password);
      } catch (GeneralSecurityException | java.io.IOException e) {
        throw new IllegalStateException("could not set up the auto-mTLS host key: " + e.getMessage(), e);
      }
    }

    /** The worker's identity, made on first use (the gRPC warm-up uses it first, in the background). */
    static HostIdentity worker() {
      return WorkerHolder.IDENTITY;
    }

    /** A fresh identity, for the warm-up's throwaway server and for tests. */
    static HostIdentity generate() {
      return new HostIdentity(EphemeralCertificate.generate());
    }

    X509Certificate certificate() {
      return certificate.certificate();
    }

    EphemeralCertificate ephemeral() {
      return certificate;
    }

    String pem() {
      return pem;
    }

    KeyManagerFactory keyManagers() {
      return keyManagers;
    }

    private static final class WorkerHolder {
      static final HostIdentity IDENTITY = generate();
    }
  }

  /**
   * Trusts exactly one certificate, compared by its encoding ({@link X509Certificate#equals}), set
   * once the plugin's handshake names it; until then, and for anything else, the handshake fails.
   */
  static final class PinnedTrustManager extends X509ExtendedTrustManager {

    private volatile X509Certificate pinned;

    /** Once: an instance's pin never changes, so a context cannot be re-aimed at another plugin. */
    synchronized void pin(X509Certificate certificate) {
      if (pinned != null) {
        throw new IllegalStateException("this plugin instance's certificate is already pinned");
      }
      pinned = certificate;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      X509Certificate expected = pinned;
      if (expected == null) {
        throw new CertificateException("no plugin certificate pinned yet");
      }
      if (chain == null || chain.length == 0 || !chain[0].equals(expected)) {
        throw new CertificateException("the plugin presented a certificate other than the one in its handshake");
      }
      expected.checkValidity();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the host side of auto-mTLS is a TLS client only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      X509Certificate expected = pinned;
      return expected == null ? new X509Certificate[0] : new X509Certificate[] {expected};
    }
  }
}
