"""The organisation CA's store and certificate recipes (docs/SPEC.md §4.2, §4.4).

A CA lives in one directory:

    root.key, root.pem        the organisation root (key mode 0600) [PKI-CERT-8]
    ca-tls.key, ca-tls.pem    the CA's own HTTPS certificate, issued by the root
    ca.db                     SQLite (mode 0600): users with scrypt hashes, issued
                              certificates, revocations, settings

Every certificate is built here by named recipes (`make_root`, `issue_employee`,
`issue_tls_server`, `make_crl`); callers never touch X.509 builders. Public functions
read the clock themselves; `now=` lets tests pin it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import ipaddress
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reference.pki.alias import ALIAS_RE

__all__ = [
    "DB_WAIT",
    "ALIAS_RE",
    "CertificateAuthority",
    "CaError",
    "IssuedCertificate",
    "PrivateKey",
    "REVOKED_MEANWHILE",
    "User",
    "check_alias",
    "generate_key",
    "issue_employee",
    "issue_tls_server",
    "load_private_key",
    "make_crl",
    "make_root",
    "key_is_encrypted",
    "private_key_pem",
    "write_private",
]

# Seconds a statement waits for another connection's write lock (the admin CLI's, another
# thread's) before it fails: SQLite's default of 5 s turns a machine busy for a moment into
# `internal` answers to logins that did nothing wrong.
DB_WAIT = 30.0

DEFAULT_VALIDITY: Final = dt.timedelta(days=30)  # [CA-ENR-10]
ROOT_VALIDITY: Final = dt.timedelta(days=3650)
CRL_VALIDITY: Final = dt.timedelta(days=7)
# Backdating absorbs small clock differences between the CA and the peers.
_BACKDATE: Final = dt.timedelta(minutes=5)
# scrypt parameters for enrolment passwords [CA-ENR-5]: 32 MiB, ~0.1 s here.
_SCRYPT_N: Final = 2**15
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


# The alias was revoked between its login and the recording of its certificate:
# answered like a wrong password (the certificate is never handed out).
REVOKED_MEANWHILE = "revoked_meanwhile"


class CaError(Exception):
    """A CA operation that cannot be done; the message is for a person."""


def check_alias(alias: str) -> str:
    """Returns `alias` if it is a valid alias [PKI-CERT-2], else raises CaError."""
    if not ALIAS_RE.fullmatch(alias):
        raise CaError(
            f"invalid alias {alias[:64]!r}: 1-64 of a-z 0-9 . _ -, starting with a letter or digit"
        )
    return alias


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def generate_key(kind: str = "ec") -> PrivateKey:
    """A fresh private key: ECDSA P-256 (default) or RSA 3072."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise CaError(f"unknown key type {kind!r} (ec or rsa)")


def private_key_pem(key: PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM; encrypted under `passphrase` when one is given [CA-ENR-22]."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if passphrase is None
        else serialization.BestAvailableEncryption(passphrase)
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def key_is_encrypted(path: Path) -> bool:
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in path.read_bytes()


def load_private_key(path: Path, passphrase: bytes | None = None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except TypeError:  # cryptography's way of saying "encrypted" or "not encrypted"
        if passphrase is None:
            raise CaError(
                f"{path} is encrypted: give its passphrase (--passphrase-file FILE)"
            ) from None
        raise CaError(f"{path} is not encrypted: no passphrase is needed") from None
    except ValueError:
        raise CaError(f"{path}: wrong passphrase, or not a private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CaError(f"{path}: unsupported key type")
    return key


def write_private(path: Path, data: bytes) -> None:
    """Writes a secret file with mode 0600 from its creation on (no chmod window).

    The file is written under a temporary name and renamed, so a crash never leaves
    a truncated key under the final name.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _serial() -> int:
    # [CA-ENR-10]: at least 64 random bits; 159 bits keeps it positive and < 20 bytes.
    return secrets.randbits(159) | (1 << 158)


# CSR signatures the CA accepts [CA-ENR-13]: SHA-1 and MD5 are refused.
_CSR_DIGESTS: Final = (hashes.SHA256, hashes.SHA384, hashes.SHA512)


def _signing_hash(key: PrivateKey) -> hashes.SHA256:
    return hashes.SHA256()


# --- certificate recipes ---------------------------------------------------------------


def make_root(key: PrivateKey, org: str, *, now: dt.datetime | None = None) -> x509.Certificate:
    """The self-signed organisation root [PKI-CERT-8]."""
    now = now or _utcnow()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org} sft root"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, _signing_hash(key))
    )


def _leaf_builder(
    root: x509.Certificate,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    common_name: str,
    eku: Sequence[x509.ObjectIdentifier],
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,  # [PKI-CERT-1]: TLS 1.3 only signs, RSA too
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _check_public_key(public_key: object) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    """The keys of PKI-CERT-1 only [CA-ENR-13]: ECDSA P-256 or RSA >= 2048."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise CaError("unsupported curve: use P-256")
        return public_key
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise CaError("RSA keys must have at least 2048 bits")
        return public_key
    raise CaError("unsupported key type: use ECDSA P-256 or RSA >= 2048")


def issue_employee(
    root_key: PrivateKey,
    root: x509.Certificate,
    alias: str,
    public_key: object,
    *,
    validity: dt.timedelta = DEFAULT_VALIDITY,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """An employee certificate [PKI-CERT-1]: CN = alias, CA:FALSE, both EKUs."""
    now = now or _utcnow()
    builder = _leaf_builder(
        root,
        _check_public_key(public_key),
        check_alias(alias),
        [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
        now - _BACKDATE,
        now + validity,
    )
    return builder.sign(root_key, _signing_hash(root_key))


def issue_tls_server(
    root_key: PrivateKey,
    root: x509.Certificate,
    hostnames: Iterable[str],
    public_key: object,
    *,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """The CA's own HTTPS certificate, for its host names and addresses."""
    now = now or _utcnow()
    names = list(hostnames)
    sans: list[x509.GeneralName] = []
    for host in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    builder = _leaf_builder(
        root,
        _check_public_key(public_key),
        names[0],
        [ExtendedKeyUsageOID.SERVER_AUTH],
        now - _BACKDATE,
        now + ROOT_VALIDITY,
    ).add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(root_key, _signing_hash(root_key))


def make_crl(
    root_key: PrivateKey,
    root: x509.Certificate,
    revoked: Iterable[tuple[int, dt.datetime]],
    *,
    now: dt.datetime | None = None,
    validity: dt.timedelta = CRL_VALIDITY,
) -> x509.CertificateRevocationList:
    """The CRL [CA-ENR-8], [CA-ENR-11], signed by the root, with a nextUpdate."""
    now = now or _utcnow()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now - _BACKDATE)
        # nextUpdate - thisUpdate is exactly `validity` (at most 7 days) [CA-ENR-16]
        .next_update(now - _BACKDATE + validity)
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(root_key, _signing_hash(root_key))


# --- password hashes [CA-ENR-5] --------------------------------------------------------


def _hash_password(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # "surrogatepass": a lone surrogate (a JSON `\ud800` escape) is hashed like any other
    # password at the same cost, as bytes no UTF-8 text has — a wrong password, not an
    # exception [CA-ENR-6].
    secret = password.encode("utf-8", "surrogatepass")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def _new_password_record(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _hash_password(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def _verify_password_record(record: str, password: str) -> bool:
    _, n, r, p, salt, digest = record.split("$")
    candidate = _hash_password(password, bytes.fromhex(salt), int(n), int(r), int(p))
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


@functools.cache
def _dummy_record() -> str:
    """A record for a password nobody knows: unknown aliases are hashed against it so
    that they cost the same time as a wrong password [CA-ENR-6]. Made on first use, not
    at import: scrypt's 32 MiB would otherwise count in every peer's peak memory."""
    return _new_password_record(secrets.token_urlsafe(24))


# --- the store -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    alias: str
    created: str
    certificates: int
    revoked: bool


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    alias: str
    serial: int
    not_after: dt.datetime
    pem: bytes


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    alias TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS certificates (
    serial TEXT PRIMARY KEY,
    alias TEXT NOT NULL,
    not_after TEXT NOT NULL,
    pem BLOB NOT NULL,
    revoked_at TEXT
);
"""


def _host_key(name: str) -> str:
    """A host name as DNS compares it: case-insensitive, one trailing dot ignored."""
    return name.lower().removesuffix(".")


def _host_names(tls_cert: x509.Certificate) -> frozenset[str]:
    """Every name the CA's TLS certificate answers to: its CN, SAN DNS names and IPs."""
    names = [
        str(attr.value) for attr in tls_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    try:
        san = tls_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        names += san.get_values_for_type(x509.DNSName)
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return frozenset(_host_key(name) for name in names)


class CertificateAuthority:
    """The CA directory: root, store, issuing and revocation. Thread-safe."""

    ROOT_KEY: Final = "root.key"
    ROOT_CERT: Final = "root.pem"
    TLS_KEY: Final = "ca-tls.key"
    TLS_CERT: Final = "ca-tls.pem"
    DB: Final = "ca.db"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for name in (self.ROOT_KEY, self.ROOT_CERT, self.TLS_KEY, self.TLS_CERT, self.DB):
            if not (directory / name).is_file():
                raise CaError(
                    f"{directory} is not a CA directory (missing {name}): run `sft ca init`"
                )
        # The signing key is read when first needed (or by `unlock`): commands that
        # only manage users never ask for its passphrase [CA-ENR-22].
        self._root_key: PrivateKey | None = None
        self.root = x509.load_pem_x509_certificate((directory / self.ROOT_CERT).read_bytes())
        self._lock = threading.Lock()
        # One connection shared by the server's threads, serialised by _lock: SQLite
        # writes are serialised anyway, and the CA's load is a few requests a second.
        self._db = sqlite3.connect(directory / self.DB, check_same_thread=False, timeout=DB_WAIT)
        self._db.executescript(_SCHEMA)
        self.host_names = _host_names(
            x509.load_pem_x509_certificate((directory / self.TLS_CERT).read_bytes())
        )

    @property
    def root_key(self) -> PrivateKey:
        if self._root_key is None:
            self.unlock(None)
        assert self._root_key is not None
        return self._root_key

    @property
    def key_encrypted(self) -> bool:
        return key_is_encrypted(self.directory / self.ROOT_KEY)

    def unlock(self, passphrase: bytes | None) -> None:
        """Reads the signing key, decrypting it with `passphrase` [CA-ENR-22]."""
        self._root_key = load_private_key(self.directory / self.ROOT_KEY, passphrase)

    @classmethod
    def init(
        cls,
        directory: Path,
        *,
        org: str = "Example Org",
        hostnames: Sequence[str] = ("localhost", "127.0.0.1"),
        now: dt.datetime | None = None,
        passphrase: bytes | None = None,
    ) -> CertificateAuthority:
        """Creates a new CA in `directory` (which must not already hold one); its signing
        key is encrypted under `passphrase` (None: in clear, for a throwaway CA)."""
        if passphrase is not None and not passphrase:
            raise CaError("the passphrase is empty")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if (directory / cls.ROOT_KEY).exists() or (directory / cls.DB).exists():
            raise CaError(f"{directory} already holds a CA; refusing to overwrite it")
        if not hostnames:
            raise CaError("the CA needs at least one host name")
        root_key = generate_key("ec")
        root = make_root(root_key, org, now=now)
        tls_key = generate_key("ec")
        tls = issue_tls_server(root_key, root, hostnames, tls_key.public_key(), now=now)
        write_private(directory / cls.ROOT_KEY, private_key_pem(root_key, passphrase))
        write_private(directory / cls.TLS_KEY, private_key_pem(tls_key))
        _write_public(directory / cls.ROOT_CERT, root.public_bytes(serialization.Encoding.PEM))
        _write_public(directory / cls.TLS_CERT, tls.public_bytes(serialization.Encoding.PEM))
        db_path = directory / cls.DB
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        db = sqlite3.connect(db_path)
        try:
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO settings VALUES ('org', ?)", (org,))
            db.commit()
        finally:
            db.close()
        ca = cls(directory)
        ca._root_key = root_key
        return ca

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # users

    def check_not_host_name(self, alias: str) -> None:
        """Refuses an alias that is one of the CA's own names [CA-ENR-17]."""
        if _host_key(alias) in self.host_names:
            raise CaError(f"the alias {alias} is a host name of the CA; choose another")

    def add_user(self, alias: str, password: str) -> None:
        check_alias(alias)
        if not password:
            raise CaError("the password must not be empty")
        record = _new_password_record(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (alias, password, created) VALUES (?, ?, ?)",
                    (alias, record, _utcnow().isoformat(timespec="seconds")),
                )
                self._db.commit()
            except sqlite3.IntegrityError:
                raise CaError(f"user {alias} already exists") from None

    def list_users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute(
                "SELECT u.alias, u.created, u.revoked_at IS NOT NULL,"
                " (SELECT COUNT(*) FROM certificates c WHERE c.alias = u.alias)"
                " FROM users u ORDER BY u.alias"
            ).fetchall()
        return [
            User(alias, created, certs, bool(revoked)) for alias, created, revoked, certs in rows
        ]

    def prepare_logins(self) -> None:
        """Makes the dummy hash now, so the first unknown alias is not slower than later ones."""
        _dummy_record()

    def authenticate(self, alias: str, password: str) -> bool:
        """Checks a password in constant time; unknown aliases cost the same [CA-ENR-6]."""
        with self._lock:
            row = self._db.execute(
                "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        record = row[0] if row is not None else _dummy_record()
        ok = _verify_password_record(record, password)
        # A revoked user cannot enrol again until re-added; same answer as a bad password.
        return ok and row is not None and row[1] is None

    def revoke(self, alias: str, *, now: dt.datetime | None = None) -> int:
        """Revokes every unexpired certificate of `alias` [CA-ENR-11]; returns how many."""
        check_alias(alias)
        when = (now or _utcnow()).isoformat(timespec="seconds")
        with self._lock:
            if self._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone() is None:
                raise CaError(f"no user {alias}")
            cur = self._db.execute(
                "UPDATE certificates SET revoked_at = ? WHERE alias = ? AND revoked_at IS NULL",
                (when, alias),
            )
            self._db.execute("UPDATE users SET revoked_at = ? WHERE alias = ?", (when, alias))
            self._db.commit()
            return cur.rowcount

    # certificates

    def enroll(
        self,
        alias: str,
        csr_pem: bytes,
        *,
        validity: dt.timedelta = DEFAULT_VALIDITY,
        now: dt.datetime | None = None,
    ) -> x509.Certificate:
        """Issues a certificate for an authenticated alias from a PKCS#10 CSR.

        The CSR's signature must verify (proof of possession) [CA-ENR-3]; its subject
        and extensions are ignored: CN and extensions are the CA's [CA-ENR-4].
        """
        # [CA-ENR-17] here, where a certificate naming the alias is made, not at `user
        # add`: the CA's host names may change after a user was added.
        self.check_not_host_name(alias)
        # [CA-ENR-13] one PEM CERTIFICATE REQUEST: the loader takes the first PEM block
        # and ignores what follows, so a second block (another request) is refused here.
        if csr_pem.count(b"-----BEGIN ") != 1:
            raise CaError("bad_csr")
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
            valid = csr.is_signature_valid
            digest = csr.signature_hash_algorithm
            # A key PKI-CERT-1 does not allow is a bad CSR too [CA-ENR-13].
            public_key = _check_public_key(csr.public_key())
        except (ValueError, InvalidSignature, TypeError, UnsupportedAlgorithm, CaError):
            raise CaError("bad_csr") from None
        # [CA-ENR-3] proof of possession; [CA-ENR-13] no hash weaker than SHA-256.
        if not valid or not isinstance(digest, _CSR_DIGESTS):
            raise CaError("bad_csr")
        cert = issue_employee(
            self.root_key, self.root, alias, public_key, validity=validity, now=now
        )
        with self._lock:
            # [CA-ENR-11] The password was checked before the signing; `sft ca revoke`
            # (another process) may have committed since. Check again and record the
            # certificate in ONE write transaction (BEGIN IMMEDIATE: the database's write
            # lock), so a revocation either comes first and refuses this enrolment, or
            # comes after and revokes this certificate too — never an unlisted one.
            if self._db.in_transaction:
                self._db.commit()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT revoked_at FROM users WHERE alias = ?", (alias,)
                ).fetchone()
                if row is not None and row[0] is not None:
                    raise CaError(REVOKED_MEANWHILE)
                self._db.execute(
                    "INSERT INTO certificates (serial, alias, not_after, pem) VALUES (?, ?, ?, ?)",
                    (
                        str(cert.serial_number),
                        alias,
                        cert.not_valid_after_utc.isoformat(),
                        cert.public_bytes(serialization.Encoding.PEM),
                    ),
                )
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
        return cert

    def crl(self, *, now: dt.datetime | None = None) -> x509.CertificateRevocationList:
        """A fresh CRL listing every revoked certificate not yet expired."""
        now = now or _utcnow()
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, revoked_at, not_after FROM certificates"
                " WHERE revoked_at IS NOT NULL"
            ).fetchall()
        revoked = [
            (int(serial), dt.datetime.fromisoformat(when))
            for serial, when, not_after in rows
            if dt.datetime.fromisoformat(not_after) > now - _BACKDATE
        ]
        return make_crl(self.root_key, self.root, revoked, now=now)

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)
