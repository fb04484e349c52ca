"""Conforming variants of the tenth session (helper FP4): where held-out implementations
differ most and no reading had looked — certificates and identity (PKI-CERT, PKI-ID), the
TLS level (tickets, HelloRetryRequest, KeyUpdate, chains, close), the eke record writes
and exponents, the CA's HTTP and restarts, and the timing cases.

Each `Reading` plants an allowed choice the reference does not make; the suite must PASS
it (conformance/selftest/test_ambig_readings.py). Every description quotes the SPEC
sentence (or the RFC the SPEC defers to) that allows the choice. Planted like the
mutants: a monkeypatch of the reference inside the subprocess that runs it; reference
modules are reached only through `_module`, at apply time.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

_IDENTITY = "test_pki_identity.py"
_IDENTITY_CONCURRENT = "test_pki_identity_concurrent.py"
_ISOLATION = "test_pki_isolation.py"
_CERTS = "test_pki_certs.py"
_TLS = "test_pki_tls.py"
_HARDENING = "test_pki_hardening.py"
_KEYLOG = "test_pki_keylog.py"
_INITIATOR = "test_pki_initiator_transfer.py"
_CLIENT_CERTS = "test_client_pki_certs.py"
_CLIENT_PUT = "test_client_put.py"
_PUT_REQS = ("APP-PUT-1", "APP-PUT-4", "FRM-14", "APP-PUT-10")
_CA_RESTART = ("test_ca_restart.py", "test_ca_restart_spent_backoffs.py")
_CA_SERIAL_RESTART = "test_ca_serial_restart.py"
_TABLES = "test_eke_tables.py"
_SHARED_SECRET = "test_eke_shared_secret.py"  # noqa: S105 (a file name)
_ADDRESS_UNITS = "test_eke_address_units.py"

_PKI_ID = ("PKI-ID-2", "PKI-ID-3", "PKI-ID-4")  # PKI-ID-1 is the initiator's
_PKI_CERT = ("PKI-CERT-1", "PKI-CERT-2", "PKI-CERT-4", "PKI-CERT-5", "PKI-CERT-7", "PKI-CERT-11")
_CA_RESTART_REQS = ("CA-ENR-19", "CA-ENR-20", "CA-ENR-10")
_EKE_NEW = ("EKE-THR-9", "EKE-KS-2", "EKE-THR-10")
_EKE_NEW_FILES = (_TABLES, _SHARED_SECRET, _ADDRESS_UNITS)


# ---------------------------------------------------------------- certificate checks


def _wrap_certificate_check(extra: Callable[[Any, bool], None]) -> None:
    """Runs `extra(certificate, as_server)` before the reference's own checks of a peer
    certificate (both roles: the responder's and the initiator's)."""
    fp1._load_everything()
    _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    original = tls.check_peer_certificate

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        if der is not None:
            extra(x509.load_der_x509_certificate(der), as_server)
        alias: str = original(der, as_server=as_server)
        return alias

    tls.check_peer_certificate = check_peer_certificate


def _strict_leaf_profile() -> None:
    # PKI-CERT-9: "it MAY also refuse other departures from PKI-CERT-1 that the CA should
    # never issue (e.g. a KeyUsage with keyEncipherment beside digitalSignature)": this
    # endpoint refuses a KeyUsage that is not critical or not exactly digitalSignature,
    # an EKU without BOTH clientAuth and serverAuth, and a subject that is not exactly
    # one CN attribute (PKI-CERT-1: "The subject is exactly one attribute, CN").
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    oid = _module("cryptography.x509.oid")

    def extra(cert: Any, _as_server: bool) -> None:
        refused = tls.CertificateRefused
        try:
            ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
        except x509.ExtensionNotFound:
            raise refused("no key usage") from None
        value = ku.value
        others = (
            value.content_commitment,
            value.key_encipherment,
            value.data_encipherment,
            value.key_agreement,
            value.key_cert_sign,
            value.crl_sign,
        )
        if not ku.critical or not value.digital_signature or any(others):
            raise refused("the key usage is not exactly digitalSignature (critical)")
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            raise refused("no extended key usage") from None
        wanted = (oid.ExtendedKeyUsageOID.CLIENT_AUTH, oid.ExtendedKeyUsageOID.SERVER_AUTH)
        if not all(purpose in eku for purpose in wanted):
            raise refused("the EKU lacks clientAuth or serverAuth (PKI-CERT-1 has both)")
        attributes = list(cert.subject)
        if len(attributes) != 1 or attributes[0].oid != oid.NameOID.COMMON_NAME:
            raise refused("the subject is not exactly one CN (PKI-CERT-1)")

    _wrap_certificate_check(extra)


_ROOT_SKI: list[bytes] = []


def _remember_root(identity: Any) -> None:
    if _ROOT_SKI:
        return
    x509 = _module("cryptography.x509")
    root = x509.load_pem_x509_certificate(identity.root.read_bytes())
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    _ROOT_SKI.append(ski.digest)


def _aki_must_match_root() -> None:
    # PKI-CERT-13: "An endpoint MAY refuse a peer certificate without an
    # AuthorityKeyIdentifier, or with one that does not match the root's".
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    for name in ("server_context", "client_context"):
        original = getattr(tls, name)

        def context(identity: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            _remember_root(identity)
            return _original(identity, *args, **kwargs)

        fp1._everywhere("reference.pki.tls", name, context)

    def extra(cert: Any, _as_server: bool) -> None:
        refused = tls.CertificateRefused
        try:
            aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        except x509.ExtensionNotFound:
            raise refused("the certificate has no AuthorityKeyIdentifier") from None
        if _ROOT_SKI and aki.key_identifier != _ROOT_SKI[0]:
            raise refused("the AuthorityKeyIdentifier is not the root's key identifier")

    _wrap_certificate_check(extra)


def _x509_strict() -> None:
    # PKI-CERT-13: "Strict X.509 verifiers refuse a certificate without them (Python ≥
    # 3.13's VERIFY_X509_STRICT, on in ssl.create_default_context)": an endpoint built on
    # such a verifier (RFC 5280 strict) is conforming.
    fp1._load_everything()
    _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    strict = getattr(ssl, "VERIFY_X509_STRICT", 0)
    for name in ("server_context", "client_context"):
        original = getattr(tls, name)

        def context(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            ctx = _original(*args, **kwargs)
            ctx.verify_flags |= strict
            return ctx

        fp1._everywhere("reference.pki.tls", name, context)


def _refusal_abrupt_close() -> None:
    # PKI-TLS-10: "or a TLS alert, or close_notify, and the close, without an EROR ...
    # The initiator sees ... or a TCP reset, when its first request was already on the
    # wire as the responder closed, which is a refusal too": close_notify, then the
    # close at once, without draining what the initiator sent (the kernel may reset).
    ambig = _module("conformance.selftest.mutants_ambig")

    def action(sock: Any) -> None:
        with contextlib.suppress(OSError, ValueError):
            sock.settimeout(0.01)
            sock._sslobj.shutdown()  # our close_notify; the peer's is not awaited
        with contextlib.suppress(OSError):
            sock.close()

    ambig._on_refusal(action)


# ---------------------------------------------------------------- TLS-level choices


def _responder_session_tickets() -> None:
    # RFC 8446 §4.6.1 lets a server send NewSessionTicket after the handshake; PKI-TLS-9
    # pins suites, groups and signatures only, PKI-TLS-5 forbids accepting early data
    # (Python's ssl never does). This responder issues two tickets (it never resumes
    # with a client certificate it has not checked: it accepts no resumption below).
    fp1._load_everything()
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    original = tls.server_context

    def server_context(*args: Any, **kwargs: Any) -> Any:
        ctx = original(*args, **kwargs)
        ctx.options &= ~ssl.OP_NO_TICKET
        ctx.num_tickets = 2
        return ctx

    fp1._everywhere("reference.pki.tls", "server_context", server_context)


def _responder_prefers_p384() -> None:
    # PKI-TLS-9: "key-exchange groups x25519, secp256r1, secp384r1 and the hybrid
    # X25519MLKEM768": this responder supports only secp384r1 (an x25519 or P-256 key
    # share gets a HelloRetryRequest, RFC 8446 §4.1.4).
    fp1._pki_tls_constants(TLS13_GROUPS="P-384")


def _responder_aes128_only() -> None:
    # PKI-TLS-9: "cipher suites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
    # TLS_CHACHA20_POLY1305_SHA256": this responder negotiates the first one only.
    fp1._pki_tls_constants(TLS13_CIPHERSUITES="TLS_AES_128_GCM_SHA256")


def _initiator_identity(wrap_stream: Callable[[Any], Any]) -> None:
    transfer = _module("reference.transfer")
    _module("reference.pki.client")
    init = transfer.Initiator.__init__

    def __init__(self: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        init(self, wrap_stream(stream), *args, **kwargs)

    transfer.Initiator.__init__ = __init__


def _initiator_key_update() -> None:
    # PKI-TLS-1 "The channel MUST be TLS 1.3 (RFC 8446)", whose §4.6.3 lets either side
    # send a KeyUpdate at any time after the handshake: the initiator sends one before
    # each small write (the first with update_requested).
    _initiator_identity(fp1._KeyUpdatingStream)


def _initiator_chain_with_root() -> None:
    # RFC 8446 §4.4.2: "a certificate that specifies a trust anchor MAY be omitted" from
    # the chain (so it MAY be sent): the initiator's Certificate carries the root too.
    _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    tempfile = _module("tempfile")
    os = _module("os")
    original = tls.client_context

    def client_context(identity: Any, *args: Any, **kwargs: Any) -> Any:
        ctx = original(identity, *args, **kwargs)
        folder = tempfile.mkdtemp(prefix="sft-reading-chain-")
        chain = os.path.join(folder, "chain.pem")
        with open(chain, "wb") as out:
            out.write(identity.cert.read_bytes() + identity.root.read_bytes())
        ctx.load_cert_chain(chain, identity.key)
        return ctx

    fp1._everywhere("reference.pki.tls", "client_context", client_context)


def _initiator_mismatch_bare_close() -> None:
    # PKI-ID-1: "How it ends that connection (a TLS alert, close_notify, or a TCP close)
    # is its choice: it sends no frame": on a CN that is not the alias asked for, this
    # initiator closes the TCP connection without close_notify.
    client = _module("reference.pki.client")
    original = client.close_tls

    def close_tls(sock: Any, *args: Any, **kwargs: Any) -> None:
        caller = sys._getframe(1)
        name = caller.f_locals.get("name")
        owner = caller.f_locals.get("self")
        if (
            caller.f_code.co_name == "_connect_once"
            and isinstance(name, str)
            and name != getattr(owner, "alias", name)
        ):
            socket.socket.close(sock)  # the descriptor only: no close_notify
            return
        original(sock, *args, **kwargs)

    client.close_tls = close_tls


def _crl_refresh_every_second() -> None:
    # PKI-CERT-7: "The responder MUST load the CRL at start and SHOULD refetch it
    # periodically (default every 300 s) from the CA": this one refetches every second.
    fp1._load_everything()
    config = _module("reference.pki.peer").PeerConfig
    post_init = config.__post_init__

    def __post_init__(self: Any) -> None:
        post_init(self)
        object.__setattr__(self, "crl_refresh", 1.0)

    config.__post_init__ = __post_init__


def _initiator_go_sigalgs() -> None:
    # PKI-TLS-11: "An initiator SHOULD offer in signature_algorithms only the signature
    # algorithms of PKI-TLS-9 ... Only a recommendation: some TLS stacks send a fixed
    # list (Go's crypto/tls offers Ed25519, P-384/P-521 ECDSA, rsa_pkcs1_* ...)": this
    # initiator offers such a list (its own CertificateVerify stays P-256 ECDSA).
    _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    tls.TLS13_SIGALGS = (
        "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512"
        ":ed25519:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512"
        ":rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512"
    )


def _initiator_x509_strict() -> None:
    _x509_strict()


# ---------------------------------------------------------------- eke: writes, exponents


def _eke_split_tcp_writes() -> None:
    # FRM-4: "a header split from its payload MUST ... be processed identically": the
    # server writes every message in three pieces (1 byte, 7 bytes, the rest), each its
    # own TCP segment (TCP_NODELAY and a pause), RECD headers split from their ciphertext.
    sendall = socket.socket.sendall

    def sendall_(self: Any, data: Any, *args: Any) -> None:
        view = memoryview(data).cast("B")
        if len(view) <= 8:
            sendall(self, view, *args)
            return
        for piece in (view[:1], view[1:8]):
            sendall(self, piece, *args)
            time.sleep(0.002)
        sendall(self, view[8:], *args)

    socket.socket.sendall = sendall_  # type: ignore[method-assign]


def _eke_server_full_exponent() -> None:
    # EKE-X-1: "a fresh secret exponent x with 1 < x < q carrying at least 320 random
    # bits": this server draws y uniformly in 2..q-1 (a full 3071-bit exponent).
    crypto = _module("reference.eke.crypto")
    _module("reference.eke.handshake")

    def new_ephemeral() -> Any:
        return crypto._ephemeral_from_parts(exponent=2 + secrets.randbelow(crypto.Q - 2))

    fp1._everywhere("reference.eke.crypto", "new_ephemeral", new_ephemeral)


def _eke_euler_residuosity() -> None:
    # EKE-SEC-4: "blinding it ... or a fixed-schedule computation is not [value-
    # dependent]": the residuosity of EKE-X-3 by Euler's criterion, X'^((p-1)/2) mod p,
    # with pycryptodome's constant-time natural numbers (Crypto.Math, IntegerNat), instead
    # of the reference's blinded Jacobi loop.
    crypto = _module("reference.eke.crypto")
    numbers = _module("Crypto.Math.Numbers")
    half = (crypto.P - 1) // 2

    def is_residue(value: int) -> bool:
        power = numbers.Integer(value % crypto.P)
        power.inplace_pow(half, crypto.P)
        return bool(int(power) == 1)

    crypto._is_residue_blinded = is_residue


# ---------------------------------------------------------------- the CA


def _ca_serial_64_bits() -> None:
    # CA-ENR-10: "Certificates MUST have a random serial of at least 64 bits ... The
    # serial is positive, at most 20 octets": exactly 64 random bits (never 0), so some
    # serials are shorter than 64 bits, as a CSPRNG's 64-bit draw is.
    ca = _module("reference.pki.ca")

    def serial() -> int:
        return secrets.randbits(64) or 1

    ca._serial = serial


def _ca_http10() -> None:
    # RFC 9110 §2.5: a server answers with the highest version it conforms to, not above
    # the request's: this CA is an HTTP/1.0 server (Python's http.server default), which
    # closes after every answer. The SPEC says HTTPS and JSON bodies, not HTTP/1.1.
    handler = fp2._ca_handler()
    handler.protocol_version = "HTTP/1.0"


# ---------------------------------------------------------------- the readings


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    files: tuple[str, ...],
    text: str,
    apply: Callable[[], None],
    **kw: Any,
) -> Reading:
    return Reading(name, profile, requirements, files, text, apply, **kw)


READINGS: tuple[Reading, ...] = (
    # --- certificates and identity (responder)
    _r(
        "s10-pki-strict-leaf-profile",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-CERT-9", "PKI-TLS-10", "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION, _TLS),
        "PKI-CERT-9: 'it MAY also refuse other departures from PKI-CERT-1 that the CA should "
        "never issue ... a conformance case MUST NOT judge that choice either way': KeyUsage "
        "exactly digitalSignature and critical, EKU with both purposes, subject one CN",
        _strict_leaf_profile,
    ),
    _r(
        "s10-pki-aki-must-match-root",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-TLS-10", "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION, _TLS),
        "PKI-CERT-13: 'An endpoint MAY refuse a peer certificate without an "
        "AuthorityKeyIdentifier, or with one that does not match the root's'",
        _aki_must_match_root,
    ),
    _r(
        "s10-pki-x509-strict",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-TLS-10", "PKI-TLS-4", "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION, _TLS),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them (Python >= "
        "3.13's VERIFY_X509_STRICT, on in ssl.create_default_context)': the responder "
        "verifies with VERIFY_X509_STRICT",
        _x509_strict,
    ),
    _r(
        "s10-pki-refusal-close-notify-identity",
        "pki",
        (*_PKI_ID, "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _ISOLATION, _HARDENING),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR': a "
        "refused certificate (no CN, two CNs, ...) gets close_notify only",
        lambda: _module("conformance.selftest.mutants_ambig")._refusal_close_notify_only(),
    ),
    _r(
        "s10-pki-cert-after-handshake-identity",
        "pki",
        (*_PKI_ID, "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _ISOLATION),
        "PKI-TLS-3: 'A stack that completes the handshake without a certificate and refuses "
        "then is conforming'",
        fp1._pki_certificate_checked_after_handshake,
    ),
    # --- TLS level (responder)
    _r(
        "s10-pki-session-tickets",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-TLS-1", "PKI-TLS-7", "PKI-TLS-10", "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION, _TLS),
        "RFC 8446 §4.6.1 NewSessionTicket after the handshake; PKI-TLS-9 pins 'only these "
        "TLS 1.3 parameters' (suites, groups, signatures), PKI-TLS-5 only forbids early data",
        _responder_session_tickets,
    ),
    _r(
        "s10-pki-key-update-identity",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION),
        "PKI-TLS-1: 'The channel MUST be TLS 1.3 (RFC 8446)': a KeyUpdate (§4.6.3) before "
        "every small write",
        fp1._pki_key_update,
    ),
    _r(
        "s10-pki-chain-with-root-identity",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION),
        "RFC 8446 §4.4.2 'a certificate that specifies a trust anchor MAY be omitted': the "
        "responder's Certificate carries the root after its own",
        fp1._pki_chain_with_root,
    ),
    _r(
        "s10-pki-hrr-p384-only",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-TLS-9", "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION, _HARDENING),
        "PKI-TLS-9: 'key-exchange groups x25519, secp256r1, secp384r1 ...' (any subset): "
        "secp384r1 only, so x25519 and P-256 key shares get a HelloRetryRequest",
        _responder_prefers_p384,
    ),
    _r(
        "s10-pki-aes128-only",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-TLS-9", "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _CERTS, _ISOLATION, _HARDENING),
        "PKI-TLS-9: 'cipher suites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
        "TLS_CHACHA20_POLY1305_SHA256': TLS_AES_128_GCM_SHA256 only",
        _responder_aes128_only,
    ),
    _r(
        "s10-pki-close-without-waiting-identity",
        "pki",
        (*_PKI_ID, "LIM-5"),
        (_IDENTITY, _IDENTITY_CONCURRENT, _ISOLATION),
        "PKI-TLS-7: 'MUST send a TLS close_notify before closing the TCP connection': sent, "
        "and the close within 50 ms, without waiting for the peer's",
        fp1._pki_close_without_waiting,
    ),
    # --- the initiator
    _r(
        "s10-pki-initiator-mismatch-bare-close",
        "pki",
        ("PKI-ID-1", "PKI-CERT-5"),
        (_IDENTITY, _TLS, _CLIENT_CERTS),
        "PKI-ID-1: 'How it ends that connection (a TLS alert, close_notify, or a TCP close) "
        "is its choice: it sends no frame': a TCP close without close_notify",
        _initiator_mismatch_bare_close,
        client=True,
    ),
    _r(
        "s10-pki-initiator-key-update",
        "pki",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-2", "PKI-TLS-7", "PKI-TLS-8", *_PUT_REQS),
        (_INITIATOR, _KEYLOG, _CLIENT_PUT),
        "PKI-TLS-1 (RFC 8446 §4.6.3): the initiator sends a KeyUpdate before each small write",
        _initiator_key_update,
        client=True,
    ),
    _r(
        "s10-pki-initiator-chain-with-root",
        "pki",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-2", "PKI-TLS-7", "PKI-CERT-5"),
        (_INITIATOR, _CLIENT_CERTS),
        "RFC 8446 §4.4.2 'a certificate that specifies a trust anchor MAY be omitted': the "
        "initiator's Certificate carries the root too",
        _initiator_chain_with_root,
        client=True,
    ),
    _r(
        "s10-pki-initiator-x509-strict",
        "pki",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-2", "PKI-CERT-5"),
        (_INITIATOR, _CLIENT_CERTS),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them (Python >= "
        "3.13's VERIFY_X509_STRICT ...)': the initiator verifies strictly",
        _initiator_x509_strict,
        client=True,
    ),
    _r(
        "s10-pki-initiator-strict-leaf-profile",
        "pki",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-2", "PKI-CERT-5"),
        (_INITIATOR, _CLIENT_CERTS),
        "PKI-CERT-9: 'it MAY also refuse other departures from PKI-CERT-1': the initiator "
        "refuses a KeyUsage not exactly digitalSignature, an EKU without both purposes, "
        "a subject that is not one CN",
        _strict_leaf_profile,
        client=True,
    ),
    # --- the CA
    _r(
        "s10-ca-serial-64-bits",
        "pki",
        ("CA-ENR-10", "CA-ENR-11"),
        ("test_ca_csr.py", _CA_SERIAL_RESTART, "test_ca.py"),
        "CA-ENR-10: 'a random serial of at least 64 bits ... positive, at most 20 octets': "
        "exactly 64 random bits, so a serial may have leading zero bits",
        _ca_serial_64_bits,
        ca=True,
    ),
    _r(
        "s10-ca-http10",
        "pki",
        (
            "CA-ENR-2",
            "CA-ENR-8",
            "CA-ENR-9",
            "CA-ENR-15",
            "CA-ENR-7",
            "CA-ENR-14",
            *_CA_RESTART_REQS,
        ),
        ("test_ca.py", "test_ca_throttle.py", *_CA_RESTART, _CA_SERIAL_RESTART),
        "RFC 9110 §2.5 (the SPEC names HTTPS and JSON, no HTTP version): an HTTP/1.0 server "
        "(Python's http.server default) that closes after every answer",
        _ca_http10,
        ca=True,
    ),
    _r(
        "s10-ca-close-every-answer-restart",
        "pki",
        _CA_RESTART_REQS,
        (*_CA_RESTART, _CA_SERIAL_RESTART),
        "RFC 9112 §9.6: the CA MAY close after every answer (Connection: close)",
        fp2._ca_close_every_answer,
        ca=True,
    ),
    _r(
        "s10-ca-session-tickets-restart",
        "pki",
        _CA_RESTART_REQS,
        (*_CA_RESTART, _CA_SERIAL_RESTART),
        "RFC 8446 §4.6.1: the CA's TLS issues session tickets (PKI-TLS-9 pins suites, "
        "groups and signatures only)",
        fp2._ca_session_tickets,
        ca=True,
    ),
    _r(
        "s10-pki-refusal-abrupt-close",
        "pki",
        ("PKI-TLS-10", "PKI-TLS-2", "PKI-TLS-3", "PKI-CERT-4", "PKI-CERT-5", "PKI-ID-4"),
        (_TLS, _CERTS, _IDENTITY),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR ... or "
        "a TCP reset, when its first request was already on the wire as the responder "
        "closed, which is a refusal too': close_notify and the close at once, no drain",
        _refusal_abrupt_close,
    ),
    # --- eke
    _r(
        "s10-eke-split-tcp-writes",
        "eke",
        ("EKE-HS-2", "EKE-HS-6", "EKE-REC-1", "EKE-REC-6", "FRM-14", "APP-GET-2", *_EKE_NEW),
        ("test_eke_handshake.py", "test_eke_records.py", "test_app_get.py", *_EKE_NEW_FILES),
        "FRM-4: 'a header split from its payload MUST ... be processed identically': every "
        "server write in three TCP segments (1 byte, 7 bytes, the rest)",
        _eke_split_tcp_writes,
    ),
    _r(
        "s10-eke-server-full-exponent",
        "eke",
        ("EKE-HS-2", "EKE-X-1", "EKE-X-2"),
        ("test_eke_handshake.py",),
        "EKE-X-1: 'a fresh secret exponent x with 1 < x < q carrying at least 320 random "
        "bits': y uniform in 2..q-1",
        _eke_server_full_exponent,
    ),
    _r(
        "s10-eke-euler-residuosity",
        "eke",
        ("EKE-HS-2", "EKE-HS-8", "EKE-X-3"),
        ("test_eke_handshake.py",),
        "EKE-SEC-4: 'blinding it ... or a fixed-schedule computation is not' value-"
        "dependent: Euler's criterion X'^((p-1)/2) mod p instead of a blinded Jacobi loop",
        _eke_euler_residuosity,
    ),
    _r(
        "s10-eke-slow-eke2-new-cases",
        "eke",
        _EKE_NEW,
        _EKE_NEW_FILES,
        "EKE-HS-2 sets no time for EKE2 but LIM-1's handshake timeout: every EKE2 0.15 s "
        "later, whoever the user (EKE-HS-3)",
        fp1._eke_slow_eke2,
    ),
    _r(
        "s10-eke-json-every-style-new-cases",
        "eke",
        ("EKE-THR-4", "EKE-THR-8", "EKE-THR-11", *_EKE_NEW),
        ("test_eke_restart.py", *_EKE_NEW_FILES),
        "RFC 8259 / FRM-10 ('A sender MAY add such members'): EKE2, EKE4 and every control "
        "payload with members reversed, undefined members, escapes and white space",
        fp1._json_every_style,
    ),
    _r(
        "s10-eke-nagle-new-cases",
        "eke",
        _EKE_NEW,
        _EKE_NEW_FILES,
        "no requirement sets a latency: Nagle's algorithm left on (no TCP_NODELAY)",
        fp1._nagle,
    ),
    # --- the initiator as a sender (test_client_put.py)
    _r(
        "s10-eke-client-put-small-data-frames",
        "eke",
        _PUT_REQS,
        (_CLIENT_PUT,),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': the client's put "
        "sends 48 one-byte DATA records, then 65 521 and 1 048 576 bytes in turn",
        fp1._eke_small_data_frames,
        client=True,
    ),
    _r(
        "s10-pki-initiator-put-small-data-frames",
        "pki",
        _PUT_REQS,
        (_CLIENT_PUT,),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': the initiator's put "
        "sends 48 one-byte DATA frames, then 65 521 and 1 048 576 bytes in turn",
        fp1._pki_small_data_frames,
        client=True,
    ),
    _r(
        "s10-pki-initiator-put-split-writes",
        "pki",
        _PUT_REQS,
        (_CLIENT_PUT,),
        "FRM-4: 'a header split from its payload MUST ... be processed identically': each "
        "control frame's header in its own TLS record",
        fp2._pki_split_writes,
        client=True,
    ),
    _r(
        "s10-eke-client-split-tcp-writes",
        "eke",
        (*_PUT_REQS, "EKE-HS-1", "EKE-HS-5"),
        (_CLIENT_PUT, "test_eke_client.py"),
        "FRM-4: 'a header split from its payload MUST ... be processed identically': every "
        "client write in three TCP segments (1 byte, 7 bytes, the rest)",
        _eke_split_tcp_writes,
        client=True,
    ),
    _r(
        "s10-pki-crl-refresh-every-second",
        "pki",
        (*_PKI_ID, *_PKI_CERT, "PKI-TLS-10", "PKI-TLS-7"),
        (_IDENTITY, _CERTS, _TLS),
        "PKI-CERT-7: 'MUST load the CRL at start and SHOULD refetch it periodically "
        "(default every 300 s)': the responder refetches it every second",
        _crl_refresh_every_second,
    ),
    _r(
        "s10-pki-initiator-go-sigalgs",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-1", "APP-GET-3", "APP-GET-6", "APP-STORE-2"),
        (_HARDENING, _INITIATOR),
        "PKI-TLS-11: 'An initiator SHOULD offer ... only the signature algorithms of "
        "PKI-TLS-9 ... Only a recommendation' (Go's fixed list: Ed25519, P-384/P-521 "
        "ECDSA, rsa_pkcs1_*): judged NON-STRICT at most, never FAIL",
        _initiator_go_sigalgs,
        client=True,
    ),
)
