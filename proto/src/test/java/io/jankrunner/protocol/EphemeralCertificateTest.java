package io.jankrunner.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import org.junit.jupiter.api.Test;

class EphemeralCertificateTest {

  @Test
  void defaultIsP256AndRoundTripsThroughTheHandshakeField() throws Exception {
    EphemeralCertificate cert = EphemeralCertificate.generate();
    X509Certificate parsed = EphemeralCertificate.parseHandshakeField(cert.handshakeField());
    assertEquals(cert.certificate(), parsed);
    assertEquals(256, ((ECPublicKey) parsed.getPublicKey()).getParams().getCurve().getField().getFieldSize());
    parsed.verify(parsed.getPublicKey());
  }

  @Test
  void goPluginShapeIsP521SignedWithSha512() throws Exception {
    EphemeralCertificate cert = EphemeralCertificate.generate("secp521r1", "SHA512withECDSA");
    X509Certificate parsed = EphemeralCertificate.parsePem(cert.pem());
    assertEquals(521, ((ECPublicKey) parsed.getPublicKey()).getParams().getCurve().getField().getFieldSize());
    assertEquals("SHA512withECDSA", parsed.getSigAlgName());
    parsed.verify(parsed.getPublicKey());
  }
}
