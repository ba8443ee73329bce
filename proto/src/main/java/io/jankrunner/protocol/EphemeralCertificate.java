package io.jankrunner.protocol;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway self-signed certificate for go-plugin's auto-mTLS: one per plugin process on each
 * side, never written to disk. Shaped as go-plugin makes its own (CN and DNS name
 * {@code localhost}, usable as its own CA, for client and server auth) so a Go plugin accepts
 * ours and we accept its, with EC P-256 keys.
 *
 * <p>The host passes its certificate as PEM in {@code PLUGIN_CLIENT_CERT}; the plugin answers
 * with its certificate as unpadded base64 DER in the handshake's sixth field.
 */
public record EphemeralCertificate(X509Certificate certificate, PrivateKey privateKey) {

  public static final String HOST_NAME = "localhost";
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final SecureRandom RANDOM = new SecureRandom();

  public static EphemeralCertificate generate() {
    return generate("secp256r1", "SHA256withECDSA");
  }

  /**
   * The same shape on another curve: go-plugin's own certificates are P-521 signed with
   * SHA-512 ({@code generate("secp521r1", "SHA512withECDSA")}), which the worker's TLS warm-up
   * uses so the JDK's P-521 code is loaded before the first Go plugin's handshake.
   */
  public static EphemeralCertificate generate(String curve, String signatureAlgorithm) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec(curve), RANDOM);
      KeyPair keys = generator.generateKeyPair();
      X500Name name = new X500Name("CN=" + HOST_NAME + ",O=jank-runner");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(128, RANDOM),
          Date.from(now.minusSeconds(30)), Date.from(now.plus(VALIDITY)), name, keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
          | KeyUsage.keyEncipherment | KeyUsage.keyAgreement | KeyUsage.keyCertSign));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, HOST_NAME)));
      X509Certificate certificate = new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(keys.getPrivate())));
      return new EphemeralCertificate(certificate, keys.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException("could not generate an auto-mTLS certificate: " + e.getMessage(), e);
    }
  }

  /** The certificate as PEM, for {@code PLUGIN_CLIENT_CERT}. */
  public String pem() {
    try {
      String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
          .encodeToString(certificate.getEncoded());
      return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The certificate as go-plugin's handshake carries it: DER in base64 without padding (no newlines allowed). */
  public String handshakeField() {
    try {
      return Base64.getEncoder().withoutPadding().encodeToString(certificate.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a PEM certificate ({@code PLUGIN_CLIENT_CERT}). */
  public static X509Certificate parsePem(String pem) {
    return parse(pem.getBytes(StandardCharsets.US_ASCII));
  }

  /** Reads a handshake's sixth field. */
  public static X509Certificate parseHandshakeField(String base64Der) {
    try {
      return parse(Base64.getDecoder().decode(base64Der.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("server certificate is not base64: " + e.getMessage(), e);
    }
  }

  private static X509Certificate parse(byte[] encoded) {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(encoded));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X.509 certificate: " + e.getMessage(), e);
    }
  }
}
