package io.jankrunner.plugin.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.jankrunner.proto.HealthCheckRequest;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where an auto-mTLS cold start's time goes, stage by stage, against the built Go example
 * launched by hand (go-plugin's P-521 server certificate): run with the test classpath,
 * {@code java ... io.jankrunner.plugin.grpc.MtlsStages ROUNDS /abs/plugins/hello-go JDK,JDK_PKIX,OPENSSL}. Variants are
 * interleaved round by round, so a loaded machine slows them alike; prints medians in ms.
 */
public final class MtlsStages {

  private MtlsStages() {}

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[0]);
    Path goDir = Path.of(args[1]);
    GrpcWarmup.run();
    EventLoopGroup loop = new EpollEventLoopGroup(1);
    Map<String, double[]> figures = new LinkedHashMap<>();
    AutoMtls.HostIdentity host = AutoMtls.HostIdentity.worker();
    EphemeralCertificate p521 = EphemeralCertificate.generate("secp521r1", "SHA512withECDSA");
    byte[] message = new byte[130];
    java.security.Signature signer521 = java.security.Signature.getInstance("SHA512withECDSA");
    signer521.initSign(p521.privateKey());
    signer521.update(message);
    byte[] signature521 = signer521.sign();
    boolean reported = false;
    for (int i = 0; i < rounds; i++) {
      time(figures, i, rounds, "jdk verify P-521", () -> {
        java.security.Signature verifier = java.security.Signature.getInstance("SHA512withECDSA");
        verifier.initVerify(p521.certificate().getPublicKey());
        verifier.update(message);
        return verifier.verify(signature521);
      });
      time(figures, i, rounds, "jdk sign P-256", () -> {
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(host.ephemeral().privateKey());
        signer.update(message);
        return signer.sign();
      });
      time(figures, i, rounds, "jdk x25519 keygen+agree", () -> {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("X25519");
        java.security.KeyPair a = generator.generateKeyPair();
        java.security.KeyPair b = generator.generateKeyPair();
        javax.crypto.KeyAgreement agreement = javax.crypto.KeyAgreement.getInstance("X25519");
        agreement.init(a.getPrivate());
        agreement.doPhase(b.getPublic(), true);
        return agreement.generateSecret();
      });
      time(figures, i, rounds, "keygen+cert P-256", () -> EphemeralCertificate.generate());
      time(figures, i, rounds, "keygen+cert P-521", () -> EphemeralCertificate.generate("secp521r1", "SHA512withECDSA"));
      time(figures, i, rounds, "go launch->handshake plaintext", () -> launch(goDir, null).destroy());
      time(figures, i, rounds, "go launch->handshake mtls", () -> launch(goDir, host).destroy());
      for (String provider : args.length > 2 ? args[2].split(",") : new String[] {"JDK"}) {
        Launched plugin = launch(goDir, host);
        try {
          long start = System.nanoTime();
          SslContext context = context(provider, plugin, host);
          record(figures, i, rounds, provider + " context", start);
          start = System.nanoTime();
          ManagedChannel channel = channel(plugin, loop, context);
          try {
            PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .healthCheck(HealthCheckRequest.getDefaultInstance());
            record(figures, i, rounds, provider + " handshake+health", start);
            start = System.nanoTime();
            PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .healthCheck(HealthCheckRequest.getDefaultInstance());
            record(figures, i, rounds, provider + " second health", start);
          } finally {
            channel.shutdownNow();
          }
        } catch (Exception e) {
          if (!reported) {
            reported = true;
            e.printStackTrace(System.out);
          }
        } finally {
          plugin.process.destroy();
        }
      }
      Launched plain = launch(goDir, null);
      long start = System.nanoTime();
      ManagedChannel channel = channel(plain, loop, null);
      PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .healthCheck(HealthCheckRequest.getDefaultInstance());
      record(figures, i, rounds, "plaintext connect+health", start);
      channel.shutdownNow();
      plain.process.destroy();
    }
    figures.forEach((name, values) -> {
      double[] sorted = values.clone();
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "%-34s median %7.2f ms  min %7.2f%n", name, sorted[sorted.length / 2], sorted[0]);
    });
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  static SslContext context(String provider, Launched plugin, AutoMtls.HostIdentity host) throws Exception {
    java.security.cert.X509Certificate pinned =
        EphemeralCertificate.parseHandshakeField(plugin.handshake.serverCert().orElseThrow());
    if (provider.equals("JDK")) {
      return AutoMtls.pinnedContext(pinned, host);
    }
    // "JDK_PKIX": the context as it was built before (per start: a key store for our key, PKIX
    // trust in the announced certificate); "OPENSSL": the same on the bundled BoringSSL.
    return io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
            io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forClient(),
            io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider.valueOf(provider.replace("_PKIX", "")))
        .trustManager(pinned).keyManager(host.ephemeral().privateKey(), host.certificate()).build();
  }

  record Launched(Process process, Handshake handshake) {
    Object destroy() {
      process.destroy();
      return null;
    }
  }

  static Launched launch(Path goDir, AutoMtls.HostIdentity host) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(goDir.resolve("bin/hello-world").toString())
        .directory(goDir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put(Handshake.MAGIC_COOKIE_KEY, Handshake.MAGIC_COOKIE_VALUE);
    builder.environment().put(Handshake.PROTOCOL_VERSIONS_ENV, "1");
    if (host != null) {
      builder.environment().put(Handshake.CLIENT_CERT_ENV, host.pem());
    }
    Process process = builder.start();
    String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
        .readLine();
    return new Launched(process, Handshake.parse(line));
  }

  static ManagedChannel channel(Launched plugin, EventLoopGroup loop, SslContext tls) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(new DomainSocketAddress(plugin.handshake.address()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).directExecutor()
        .overrideAuthority(EphemeralCertificate.HOST_NAME);
    return (tls == null ? builder.usePlaintext() : builder.sslContext(tls)).build();
  }

  @FunctionalInterface
  interface Step {
    Object run() throws Exception;
  }

  static void time(Map<String, double[]> figures, int i, int rounds, String name, Step step) throws Exception {
    long start = System.nanoTime();
    step.run();
    record(figures, i, rounds, name, start);
  }

  static void record(Map<String, double[]> figures, int i, int rounds, String name, long start) {
    figures.computeIfAbsent(name, n -> new double[rounds])[i] = (System.nanoTime() - start) / 1e6;
  }

}
