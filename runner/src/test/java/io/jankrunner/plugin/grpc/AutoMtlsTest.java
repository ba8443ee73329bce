package io.jankrunner.plugin.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AutoMtlsTest {

  private static Handshake handshake(EphemeralCertificate server) {
    return Handshake.parse("1|1|unix|/tmp/p.sock|grpc|" + server.handshakeField());
  }

  @Test
  void everyInstanceOfAWorkerPresentsTheSameHostCertificateMadeOnce() {
    AutoMtls.HostIdentity worker = AutoMtls.HostIdentity.worker();

    String first = new AutoMtls().environment(Map.of()).get(Handshake.CLIENT_CERT_ENV);
    String second = new AutoMtls().environment(Map.of()).get(Handshake.CLIENT_CERT_ENV);

    assertSame(worker, AutoMtls.HostIdentity.worker());
    assertEquals(worker.pem(), first);
    assertEquals(first, second);
    assertEquals(worker.certificate(), EphemeralCertificate.parsePem(first));
    // Only the certificate goes to the plugin, never the key.
    assertTrue(first.startsWith("-----BEGIN CERTIFICATE-----") && !first.contains("PRIVATE KEY"), first);
  }

  @Test
  void theHostKeyIsP256AndItsKeyManagersPresentIt() throws Exception {
    AutoMtls.HostIdentity host = AutoMtls.HostIdentity.generate();

    assertEquals("EC", host.certificate().getPublicKey().getAlgorithm());
    assertEquals("SHA256withECDSA", host.certificate().getSigAlgName());
    javax.net.ssl.X509KeyManager keys = (javax.net.ssl.X509KeyManager) host.keyManagers().getKeyManagers()[0];
    String alias = keys.chooseClientAlias(new String[] {"EC"}, null, null);
    assertArrayEquals(new X509Certificate[] {host.certificate()}, keys.getCertificateChain(alias));
    assertNotEquals(AutoMtls.HostIdentity.worker().pem(), host.pem());
  }

  @Test
  void thePinAcceptsOnlyTheAnnouncedCertificateAndNothingBeforeItIsSet() {
    EphemeralCertificate announced = EphemeralCertificate.generate("secp521r1", "SHA512withECDSA");
    EphemeralCertificate other = EphemeralCertificate.generate("secp521r1", "SHA512withECDSA");
    AutoMtls.PinnedTrustManager trust = new AutoMtls.PinnedTrustManager();
    X509Certificate[] announcedChain = {announced.certificate()};

    assertThrows(CertificateException.class, () -> trust.checkServerTrusted(announcedChain, "ECDHE_ECDSA"));
    trust.pin(announced.certificate());

    assertDoesNotThrow(() -> trust.checkServerTrusted(announcedChain, "ECDHE_ECDSA"));
    // Same subject, same shape, another key: refused.
    assertThrows(CertificateException.class,
        () -> trust.checkServerTrusted(new X509Certificate[] {other.certificate()}, "ECDHE_ECDSA"));
    assertThrows(CertificateException.class, () -> trust.checkServerTrusted(new X509Certificate[0], "ECDHE_ECDSA"));
    // The host is never the TLS server.
    assertThrows(CertificateException.class, () -> trust.checkClientTrusted(announcedChain, "ECDHE_ECDSA"));
  }

  @Test
  void aContextPreparedBeforeTheHandshakeIsClientSideAndPinnedOnce() throws Exception {
    AutoMtls mtls = new AutoMtls(AutoMtls.HostIdentity.generate());
    mtls.prepare();

    SslContext context = mtls.clientContext(handshake(EphemeralCertificate.generate("secp521r1", "SHA512withECDSA")));

    assertTrue(context.isClient());
    assertThrows(IllegalStateException.class, () -> mtls.clientContext(handshake(EphemeralCertificate.generate())));
  }

  @Test
  void aHandshakeWithoutACertificateIsRefused() {
    AutoMtls mtls = new AutoMtls(AutoMtls.HostIdentity.generate());

    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> mtls.clientContext(Handshake.parse("1|1|unix|/tmp/p.sock|grpc")));

    assertTrue(error.getMessage().contains("no server certificate"), error.getMessage());
  }
}
