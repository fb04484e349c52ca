"""The seeds' cryptography, as named recipes (pyca/cryptography).

Every recipe here is part of what makes the legacy profiles insecure: RSA-OAEP
per 100-byte piece with no MAC, certificates checked by signature only, AES-CBC
with a zero IV and a key made of decimal digits, SHA-1 sent in clear. They are
kept in one module so that nothing in the v1 code can call them by accident.
"""

from __future__ import annotations

__all__ = [
    "RSA_BITS",
    "OAEP_MAX_PLAINTEXT",
    "generate_rsa_key",
    "private_key_pem",
    "load_private_key_pem",
    "public_key_pem",
    "load_public_key_pem",
    "oaep_encrypt",
    "oaep_decrypt",
    "make_root",
    "issue_certificate",
    "load_certificate",
    "certificate_pem",
    "certificate_alias",
    "certificate_public_key",
    "signed_by",
    "aes_cbc_zero_iv_encrypt",
    "aes_cbc_zero_iv_decrypt",
    "sha1_hex",
]

import datetime
import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

from reference.legacy.errors import LegacyRemoteError

RSA_BITS = 2048
# RSA-OAEP with SHA-256 and a 2048-bit modulus: 256 - 2*32 - 2 bytes of plaintext.
OAEP_MAX_PLAINTEXT = RSA_BITS // 8 - 2 * 32 - 2
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def generate_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    # The seed stored keys unencrypted; so does the legacy CLI (files are 0600).
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key_pem(data: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise LegacyRemoteError("the key is not an RSA private key")
    return key


def public_key_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key_pem(data: bytes) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise LegacyRemoteError("public_key is not a PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise LegacyRemoteError("public_key is not an RSA key")
    return key


def oaep_encrypt(key: rsa.RSAPublicKey, plaintext: bytes) -> bytes:
    if len(plaintext) > OAEP_MAX_PLAINTEXT:
        raise ValueError(f"RSA-OAEP plaintext longer than {OAEP_MAX_PLAINTEXT} bytes")
    return key.encrypt(plaintext, _OAEP)


def oaep_decrypt(key: rsa.RSAPrivateKey, ciphertext: bytes) -> bytes:
    try:
        return key.decrypt(ciphertext, _OAEP)
    except ValueError as exc:
        raise LegacyRemoteError("RSA-OAEP decryption failed") from exc


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_root(
    common_name: str = "sft-pki/0 legacy root",
    *,
    key: rsa.RSAPrivateKey | None = None,
    now: datetime.datetime | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed root for the legacy CA (the seed's "auth server")."""
    key = key if key is not None else generate_rsa_key()
    now = now if now is not None else datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_certificate(
    root_key: rsa.RSAPrivateKey,
    root_cert: x509.Certificate,
    alias: str,
    public_key: rsa.RSAPublicKey,
    *,
    now: datetime.datetime | None = None,
    days: int = 365,
) -> x509.Certificate:
    """What the seed's auth server signs: CN = alias, SHA-256, no EKU, no constraints."""
    now = now if now is not None else datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(alias))
        .issuer_name(root_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(root_key, hashes.SHA256())
    )


def load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise LegacyRemoteError("not a PEM certificate") from exc


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def certificate_alias(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return ""
    value = names[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def certificate_public_key(cert: x509.Certificate) -> rsa.RSAPublicKey:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise LegacyRemoteError("the certificate's key is not RSA")
    return key


def signed_by(cert: x509.Certificate, root_cert: x509.Certificate) -> bool:
    """The seed's whole certificate check: the root's signature, nothing else.

    Validity dates, key usage, the alias and revocation are NOT checked: that
    is LEG-PKI-3 (docs/SPEC.md §7), reproduced on purpose.
    """
    root_key = root_cert.public_key()
    if not isinstance(root_key, rsa.RSAPublicKey) or cert.signature_hash_algorithm is None:
        return False
    try:
        root_key.verify(
            cert.signature,
            cert.tbs_certificate_bytes,
            padding.PKCS1v15(),
            cert.signature_hash_algorithm,
        )
    except InvalidSignature:
        return False
    return True


def _aes_cbc(key: bytes) -> Cipher[modes.CBC]:
    if len(key) not in (16, 24, 32):
        # The seed's str(Kas)[:32] is shorter than 16/24/32 digits for small Kas:
        # pycrypto raised and the seed crashed. We raise a typed error instead.
        raise LegacyRemoteError(f"AES key of {len(key)} bytes (the 32-digit key is too short)")
    return Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16))


def aes_cbc_zero_iv_encrypt(key: bytes, plaintext: bytes) -> bytes:
    """AES-CBC, IV = 16 zero bytes, no padding (the seed's nonces are whole blocks)."""
    if len(plaintext) % 16:
        raise LegacyRemoteError("AES-CBC plaintext is not a multiple of 16 bytes")
    enc = _aes_cbc(key).encryptor()
    return enc.update(plaintext) + enc.finalize()


def aes_cbc_zero_iv_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    if len(ciphertext) % 16 or not ciphertext:
        raise LegacyRemoteError("AES-CBC ciphertext is not a whole number of blocks")
    dec = _aes_cbc(key).decryptor()
    return dec.update(ciphertext) + dec.finalize()


def sha1_hex(data: bytes) -> str:
    # SHA-1 of the file, sent in clear next to the file: no integrity against
    # anyone who can change both (LEG-EKE-9). usedforsecurity=False: it is not.
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
