"""go-plugin's auto-mTLS, the plugin's side: a throwaway self-signed certificate per process,
never written to disk, and server credentials that accept only the host's certificate.

The certificate is shaped as go-plugin makes its own and as the runner makes the host's (CN and
DNS name localhost, its own CA, for client and server auth), with an EC P-256 key, so the host,
which pins exactly this certificate and connects with the authority localhost, accepts it.
"""

import base64
import datetime

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST_NAME = "localhost"
_VALIDITY = datetime.timedelta(days=3650)


class EphemeralCertificate:
    """A fresh key and the self-signed certificate over it."""

    def __init__(self):
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST_NAME),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jank-runner")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self._certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            # a little in the past: the host's clock is the same, but not to the microsecond
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST_NAME)]), critical=False)
            .sign(self._key, hashes.SHA256()))

    def certificate_pem(self):
        return self._certificate.public_bytes(serialization.Encoding.PEM)

    def private_key_pem(self):
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    def handshake_field(self):
        """The certificate as go-plugin's handshake carries it: DER in base64 without padding."""
        der = self._certificate.public_bytes(serialization.Encoding.DER)
        return base64.b64encode(der).decode("ascii").rstrip("=")


def server_credentials(client_certificate_pem, server_certificate):
    """TLS that requires a client certificate and trusts only the host's (PLUGIN_CLIENT_CERT):
    being self-signed, it is the one root, so only a peer holding its key gets in.

    Raises ValueError when PLUGIN_CLIENT_CERT is not a PEM certificate."""
    pem = client_certificate_pem.encode("ascii") if isinstance(client_certificate_pem, str) else client_certificate_pem
    try:
        x509.load_pem_x509_certificate(pem)
    except ValueError as e:
        raise ValueError(f"PLUGIN_CLIENT_CERT is not a PEM certificate: {e}") from e
    return grpc.ssl_server_credentials(
        [(server_certificate.private_key_pem(), server_certificate.certificate_pem())],
        root_certificates=pem, require_client_auth=True)
