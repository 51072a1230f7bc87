"""Key material for key pairs: fingerprints of imported keys (what ``ssh-keygen -l -E md5``
prints, or a certificate's SHA-1) and freshly generated RSA keys. Generation is the
expensive step, so callers check quota before asking for a key."""
from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from onestack.core.errors import BadRequest


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def invalid(reason: str) -> BadRequest:
    return BadRequest(f"Keypair data is invalid: {reason}")


def ssh_fingerprint(public_key: str) -> str:
    """MD5 of the key blob as colon-hex; 400 when the text is not an OpenSSH public key
    cryptography can load."""
    text = public_key.strip()
    try:
        serialization.load_ssh_public_key(text.encode())
        blob = base64.b64decode(text.split()[1], validate=True)
    except (ValueError, IndexError, binascii.Error, UnicodeEncodeError,
            UnsupportedAlgorithm) as exc:
        raise invalid("failed to generate fingerprint") from exc
    return colon_hex(hashlib.md5(blob).digest())  # noqa: S324 - the format is MD5


def x509_fingerprint(pem: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError as exc:
        raise invalid("failed to generate fingerprint") from exc
    return colon_hex(cert.fingerprint(hashes.SHA1()))  # noqa: S303 - Nova's x509 format


def fingerprint(kind: str, public_key: str) -> str:
    return x509_fingerprint(public_key) if kind == "x509" else ssh_fingerprint(public_key)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def generate_ssh() -> tuple[str, str]:
    """(private key PEM, OpenSSH public key) of a new RSA 2048 key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return _private_pem(key), public + " Generated-by-onestack"


def generate_x509(common_name: str) -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM) valid for ten years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "onestack"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return _private_pem(key), cert.public_bytes(serialization.Encoding.PEM).decode()


def generate(kind: str, name: str) -> tuple[str, str]:
    """(private key, public key or certificate) of a new key pair of ``kind``."""
    return generate_x509(name) if kind == "x509" else generate_ssh()
