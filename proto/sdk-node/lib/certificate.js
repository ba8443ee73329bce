'use strict';
// go-plugin's auto-mTLS, plugin side: a throwaway self-signed certificate per process, never
// written to disk, shaped as go-plugin and the Java SDK make theirs (CN and DNS name localhost,
// its own CA, client and server auth, EC P-256). The host trusts exactly this certificate
// (it comes back in the handshake's sixth field) and we trust exactly the host's (PLUGIN_CLIENT_CERT).
const { webcrypto, randomBytes } = require('node:crypto');

const HOST_NAME = 'localhost';
const VALIDITY_MS = 3650 * 24 * 3600 * 1000;

/** Resolves to {keyPem, certPem, handshakeField}: PEMs for grpc-js, unpadded base64 DER for the handshake. */
async function ephemeralCertificate() {
  // Loaded here, not at the top: a plaintext plugin does not pay for the X.509 library at start.
  require('reflect-metadata'); // the X.509 library's dependency injection needs it loaded first
  const x509 = require('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = Date.now();
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // a positive serial number
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${HOST_NAME}, O=jank-runner`,
    notBefore: new Date(now - 30_000),
    notAfter: new Date(now + VALIDITY_MS),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
        | x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: HOST_NAME }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const der = Buffer.from(cert.rawData);
  return {
    keyPem: pem('PRIVATE KEY', pkcs8),
    certPem: pem('CERTIFICATE', der),
    handshakeField: der.toString('base64').replace(/=+$/, ''),
  };
}

function pem(label, der) {
  const body = der.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

module.exports = { ephemeralCertificate, HOST_NAME };
