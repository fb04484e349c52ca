"""TLS 1.3 contexts for sft-pki/1 and the certificate checks OpenSSL does not make.

OpenSSL verifies the chain to the organisation root, validity dates, the CRL
(`VERIFY_CRL_CHECK_LEAF`) and, when present, EKU. `check_peer_certificate` adds
what the specification demands beyond that (PKI-CERT-1/5/6: EKU present with the
right purpose, CA:FALSE, a valid alias as CN), and is called right after the
handshake, before any application frame.

Contexts are immutable once built: a CRL reload builds a new context and swaps it
in (`ServerContextHolder`), because OpenSSL's store keeps every CRL ever added and
would not drop an older one.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reference.closing import close_gracefully
from reference.pki.alias import ALIAS_RE

__all__ = [
    "ALPN",
    "CertificateRefused",
    "Identity",
    "ServerContextHolder",
    "TLS13_CIPHERSUITES",
    "TLS13_GROUPS",
    "TLS13_SIGALGS",
    "check_crl",
    "check_peer_certificate",
    "client_context",
    "close_tls",
    "describe_tls_error",
    "https_client_context",
    "https_server_context",
    "peer_alias",
    "server_context",
    "server_handshake",
]

ALPN: Final = "sft-pki/1"  # [PKI-TLS-2]
# [PKI-TLS-9]: the only TLS 1.3 parameters either side negotiates (OpenSSL's names).
TLS13_CIPHERSUITES: Final = (
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
)
TLS13_GROUPS: Final = "X25519:P-256:P-384"
TLS13_SIGALGS: Final = (
    "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512"
)
MAX_CRL_VALIDITY: Final = dt.timedelta(days=7)  # [PKI-CERT-12], [CA-ENR-16]
_SSL_CTRL_SET_GROUPS_LIST: Final = 92  # ssl.h
_SSL_CTRL_SET_SIGALGS_LIST: Final = 98
_SSL_CTRL_SET_CLIENT_SIGALGS_LIST: Final = 102


class CertificateRefused(Exception):
    """The peer's certificate fails a check of §4.2; the message is for a person."""


@dataclass(frozen=True, slots=True)
class Identity:
    """An enrolled identity directory (IDDIR) as written by `sft enroll`."""

    directory: Path

    @property
    def key(self) -> Path:
        return self.directory / "key.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def root(self) -> Path:
        return self.directory / "root.pem"

    @property
    def crl_cache(self) -> Path:
        return self.directory / "crl.der"

    @property
    def ca_url_file(self) -> Path:
        return self.directory / "ca-url"

    def alias(self) -> str:
        cert = x509.load_pem_x509_certificate(self.cert.read_bytes())
        return _common_name(cert)

    def ca_url(self) -> str | None:
        try:
            return self.ca_url_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    def check(self) -> None:
        for path in (self.key, self.cert, self.root):
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: run `sft enroll` first")


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1 or not isinstance(names[0].value, str):
        raise CertificateRefused("the certificate has no single common name")
    return names[0].value


def _base_context(protocol: int) -> ssl.SSLContext:
    ctx = ssl.SSLContext(protocol)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3  # [PKI-TLS-1], [CA-ENR-1]
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    # No session tickets: a resumed session skips the client certificate and CRL
    # checks, so a revoked employee could resume; and no tickets means no 0-RTT
    # [PKI-TLS-5] (Python's ssl never sends or accepts early data either).
    if protocol == ssl.PROTOCOL_TLS_SERVER:
        ctx.num_tickets = 0
    ctx.options |= ssl.OP_NO_TICKET
    # [PKI-TLS-8]: never write TLS secrets. ssl.create_default_context() would open
    # $SSLKEYLOGFILE; a bare SSLContext does not, and this says so for the next editor.
    ctx.keylog_filename = None  # type: ignore[assignment]
    _pin_tls13_parameters(ctx)
    return ctx


def _pin_tls13_parameters(ctx: ssl.SSLContext) -> None:
    """Pins the TLS 1.3 suites, groups and signature algorithms [PKI-TLS-9].

    Python's ssl (before 3.15) can set none of them for TLS 1.3 (`set_ciphers` is TLS
    1.2 only, `set_ecdh_curve` keeps a single group), and OpenSSL's defaults accept
    ffdhe2048..8192, x448 and secp521r1. So this calls libssl through the `_ssl`
    extension that owns the context: `SSL_CTX *` is the first field after the object
    header of CPython's PySSLContext. Fails closed: if a call is refused, or the
    suites read back differ, no context is made.
    """
    import _ssl  # the extension module whose libssl owns `ctx`

    lib = ctypes.CDLL(_ssl.__file__)
    handle = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    set_suites = lib.SSL_CTX_set_ciphersuites
    set_suites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    set_suites.restype = ctypes.c_int
    control = lib.SSL_CTX_ctrl
    control.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
    control.restype = ctypes.c_long
    ok = set_suites(handle, TLS13_CIPHERSUITES.encode()) == 1
    for command, value in (
        (_SSL_CTRL_SET_GROUPS_LIST, TLS13_GROUPS),
        (_SSL_CTRL_SET_SIGALGS_LIST, TLS13_SIGALGS),
        (_SSL_CTRL_SET_CLIENT_SIGALGS_LIST, TLS13_SIGALGS),
    ):
        ok = ok and control(handle, command, 0, value.encode()) == 1
    suites = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.3"]
    if not ok or ":".join(suites) != TLS13_CIPHERSUITES:
        raise ssl.SSLError("cannot pin the TLS 1.3 parameters of PKI-TLS-9")


def _load_trust(ctx: ssl.SSLContext, root_pem: bytes, crl_der: bytes | None) -> None:
    """Trusts only the organisation root [PKI-TLS-4], with its CRL [PKI-CERT-7]."""
    bundle = root_pem
    if crl_der is not None:
        crl = x509.load_der_x509_crl(crl_der)
        bundle += crl.public_bytes(serialization.Encoding.PEM)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    # `cadata` only accepts certificates; a file loads certificates and CRLs alike.
    fd, name = tempfile.mkstemp(prefix="sft-trust-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(bundle)
        ctx.load_verify_locations(cafile=name)
    finally:
        os.unlink(name)


def server_context(identity: Identity, crl_der: bytes) -> ssl.SSLContext:
    """A peer's responder context: client certificate required, CRL checked."""
    ctx = _base_context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(identity.cert, identity.key)
    ctx.verify_mode = ssl.CERT_REQUIRED  # [PKI-TLS-3]
    _load_trust(ctx, identity.root.read_bytes(), crl_der)
    ctx.set_alpn_protocols([ALPN])
    return ctx


def client_context(identity: Identity, crl_der: bytes) -> ssl.SSLContext:
    """An initiator's context. The host name is not checked: the alias is (PKI-ID-1)."""
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(identity.cert, identity.key)
    _load_trust(ctx, identity.root.read_bytes(), crl_der)
    ctx.set_alpn_protocols([ALPN])
    return ctx


def https_server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The CA's HTTPS context (no client certificates: employees log in by password)."""
    ctx = _base_context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def https_client_context(root_pem: bytes) -> ssl.SSLContext:
    """Talks to the CA: trusts only the organisation root and checks the host name."""
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = True
    # [CA-ENR-18]: the CA's name must be in its certificate's subjectAltName; an
    # employee certificate (CN = alias, no SAN) never matches, whatever the alias.
    ctx.hostname_checks_common_name = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    _load_trust(ctx, root_pem, None)
    return ctx


class ServerContextHolder:
    """The current server context; a CRL reload swaps in a new one atomically."""

    def __init__(self, build: Callable[[bytes], ssl.SSLContext], crl_der: bytes) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._context = build(crl_der)

    @property
    def context(self) -> ssl.SSLContext:
        with self._lock:
            return self._context

    def reload(self, crl_der: bytes) -> None:
        context = self._build(crl_der)  # build outside the lock: it reads files
        with self._lock:
            self._context = context


def check_crl(crl_der: bytes, root_pem: bytes, *, now: dt.datetime | None = None) -> None:
    """Refuses a CRL not signed by the root, past its nextUpdate or valid for longer than
    MAX_CRL_VALIDITY (fail closed) [PKI-CERT-12]."""
    try:
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError:
        raise CertificateRefused("the CRL is not a DER CRL") from None
    root = x509.load_pem_x509_certificate(root_pem)
    if crl.issuer != root.subject or not crl.is_signature_valid(root.public_key()):  # type: ignore[arg-type]
        raise CertificateRefused("the CRL is not signed by the organisation root")
    next_update = crl.next_update_utc
    if next_update is None or next_update < (now or dt.datetime.now(dt.UTC)):
        raise CertificateRefused("the CRL has expired: the CA must be reachable to refresh it")
    if next_update - crl.last_update_utc > MAX_CRL_VALIDITY:
        raise CertificateRefused("the CRL is valid for more than 7 days: refusing to rely on it")


def _check_algorithms(cert: x509.Certificate, alias: str) -> None:
    """PKI-CERT-9: SHA-256 signature, ECDSA P-256 or RSA >= 2048 key, whatever OpenSSL's
    configured security level (a system at level 0 or 1 accepts SHA-1 or RSA-1024)."""
    try:  # a kind `cryptography` does not know is refused, never a traceback (ERR-6)
        cert.signature_hash_algorithm, cert.public_key()
    except UnsupportedAlgorithm:
        raise CertificateRefused(
            f"{alias}'s certificate uses an algorithm outside PKI-CERT-1"
        ) from None
    if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):
        raise CertificateRefused(f"{alias}'s certificate is not signed with SHA-256")
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CertificateRefused(f"{alias}'s certificate has an RSA key below 2048 bits")
    elif not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        raise CertificateRefused(f"{alias}'s certificate key is neither ECDSA P-256 nor RSA")


def _decoded(der: bytes) -> x509.Certificate:
    """The peer's certificate with its subject and every extension decoded now: one that
    OpenSSL verified but whose fields `cryptography` cannot decode is refused like any
    other departure (fail closed, with the refusal's close_notify of PKI-TLS-7), never an
    exception past the refusal path or an error about our own identity."""
    try:
        cert = x509.load_der_x509_certificate(der)
        _ = cert.subject, cert.extensions
    except ValueError as exc:
        raise CertificateRefused(f"the peer's certificate cannot be decoded: {exc}") from None
    return cert


def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
    """The checks of PKI-CERT-1/2/5/6/9 that OpenSSL leaves out; returns the alias.

    `as_server=True` means we are the responder checking a client certificate
    (clientAuth required); False means the initiator checking a server
    certificate (serverAuth required).
    """
    if der is None:
        raise CertificateRefused("no certificate was presented")
    cert = _decoded(der)
    alias = _common_name(cert)
    if not ALIAS_RE.fullmatch(alias):
        raise CertificateRefused("the certificate's common name is not a valid alias")
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        raise CertificateRefused(f"{alias}'s certificate lacks BasicConstraints") from None
    if bc.value.ca or not bc.critical:
        raise CertificateRefused(f"{alias}'s certificate is a CA certificate, not an employee's")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        raise CertificateRefused(f"{alias}'s certificate has no extended key usage") from None
    wanted = ExtendedKeyUsageOID.CLIENT_AUTH if as_server else ExtendedKeyUsageOID.SERVER_AUTH
    if wanted not in eku:
        purpose = "clientAuth" if as_server else "serverAuth"
        raise CertificateRefused(f"{alias}'s certificate is not valid for {purpose}")
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise CertificateRefused(f"{alias}'s certificate has no key usage") from None
    if not ku.digital_signature:
        raise CertificateRefused(f"{alias}'s certificate does not allow digital signatures")
    _check_algorithms(cert, alias)
    return alias


def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
    """ALPN and certificate checks on an established connection; returns the alias."""
    if sock.selected_alpn_protocol() != ALPN:
        raise CertificateRefused(f"the peer did not negotiate ALPN {ALPN}")
    if sock.version() != "TLSv1.3":
        raise CertificateRefused("the peer did not negotiate TLS 1.3")
    return check_peer_certificate(sock.getpeercert(binary_form=True), as_server=as_server)


# OpenSSL verify codes (x509_vfy.h) worth a specific sentence.
_VERIFY_MESSAGES: Final = {
    9: "{who} certificate is not yet valid",
    10: "{who} certificate has expired",
    12: "the CRL has expired: refresh it from the CA",
    3: "no CRL is available for {who} certificate",
    18: "{who} certificate is self-signed, not issued by your organisation's CA",
    19: "{who} certificate was not issued by your organisation's CA",
    20: "{who} certificate was not issued by your organisation's CA",
    21: "{who} certificate was not issued by your organisation's CA",
    23: "{who} certificate was revoked",
    26: "{who} certificate is not valid for this purpose",
    7: "{who} certificate has an invalid signature",
}

# Alerts the other side sends when it refuses *our* certificate.
_ALERT_MESSAGES: Final = {
    "CERTIFICATE_REVOKED": "{me} certificate was revoked (refused by {peer})",
    "CERTIFICATE_EXPIRED": "{me} certificate has expired (refused by {peer}): enrol again",
    "UNKNOWN_CA": "{peer} does not trust {me} certificate (different organisation CA?)",
    "BAD_CERTIFICATE": "{peer} refused {me} certificate",
    "UNSUPPORTED_CERTIFICATE": "{peer} refused {me} certificate",
    "CERTIFICATE_REQUIRED": "{peer} requires a certificate",
    "NO_APPLICATION_PROTOCOL": "{peer} does not speak sft-pki/1",
    "PROTOCOL_VERSION": "{peer} does not speak TLS 1.3",
    # A close without an alert: what a responder over its connection limits (LIM-4,
    # LIM-8, LIM-9) does during the handshake.
    "UNEXPECTED_EOF": "{peer} closed the connection abruptly (server busy?): try again later",
}


def server_handshake(context: ssl.SSLContext, raw: socket.socket, timeout: float) -> ssl.SSLSocket:
    """A server-side TLS handshake under a total deadline [LIM-1].

    A per-read timeout alone would let a client trickle one byte every few seconds
    and hold a connection slot for hours; a watchdog shuts the socket down when the
    deadline passes. On failure the socket is closed without losing our alert.
    """
    raw.settimeout(timeout)
    tls = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
    watchdog = threading.Timer(timeout, _abort, (tls,))
    watchdog.daemon = True
    watchdog.start()
    try:
        tls.do_handshake()
    except BaseException:
        watchdog.cancel()
        _lingering_close(tls)
        raise
    finally:
        watchdog.cancel()
    return tls


def _abort(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown: wake the blocked handshake by
    # shutting the descriptor down, without touching the TLS object under it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _lingering_close(sock: socket.socket, linger: float = 1.0) -> None:
    """Closes after a refused handshake without losing our alert.

    A TLS 1.3 client learns that its certificate was refused only when it reads the
    alert, usually after it has sent its first request. Closing at once would
    answer that request with a TCP reset, which can discard the alert still queued
    at the client: it would see "connection reset" instead of "certificate
    revoked". So: shut down our sending side, read and drop what the client still
    sends for a moment, then close.
    """
    deadline = time.monotonic() + linger
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_WR)
        for _ in range(64):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            socket.socket.settimeout(sock, remaining)
            if not socket.socket.recv(sock, 65536):
                break
    with contextlib.suppress(OSError):
        sock.close()


def close_tls(sock: ssl.SSLSocket, timeout: float = 1.0) -> None:
    """Ends a TLS stream cleanly [PKI-TLS-6]: close_notify both ways, then FIN.

    `unwrap` sends our close_notify and reads until the peer's arrives (bounded by
    `timeout`), so neither side closes with unread data — which would make its
    kernel answer with a TCP reset instead of a FIN, and the peer could lose our last
    records (an EROR) with it. When application data arrives instead (a peer still
    sending the transfer we refused), `unwrap` fails; our close_notify is out by then,
    so we send our FIN and read and drop the rest until the peer's FIN, within the same
    `timeout` and `_DRAIN_LIMIT` bytes — never processing it [ERR-3].
    """
    deadline = time.monotonic() + timeout
    try:
        sock.settimeout(timeout)
        sock.unwrap()
    except (OSError, ValueError):
        # shutdown() drops the TLS layer, so the drain reads raw bytes.
        close_gracefully(sock, max(0.0, deadline - time.monotonic()), limit=_DRAIN_LIMIT)
        return
    with contextlib.suppress(OSError):
        sock.close()


_DRAIN_LIMIT = 4 * 1024 * 1024  # bytes read and dropped at most while closing


def describe_tls_error(exc: ssl.SSLError, *, peer: str, me: str = "your") -> str:
    """One line a person can act on, for a TLS failure talking to `peer`."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        template = _VERIFY_MESSAGES.get(exc.verify_code)
        if template is not None:
            return template.format(who=f"{peer}'s")
        return f"{peer}'s certificate was refused: {exc.verify_message}"
    reason = (exc.reason or "").upper()
    for key, template in _ALERT_MESSAGES.items():
        if key in reason:
            return template.format(me=me, peer=peer)
    return f"TLS failure with {peer}: {exc.reason or exc}"
