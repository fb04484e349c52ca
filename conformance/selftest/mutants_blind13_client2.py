"""Blind red-team round 13 (client2): the sft-pki/1 initiator (`sft get/put`) and the
enrolment client (`sft enroll`), planted through the six lenses of round 13 (lenses13.md).

The first list (24 ideas) was written blind, from docs/SPEC.md and the reference's
client, TLS, enrolment, transfer and CLI code only, before any case file or mutant module
was opened. The registry check that followed found 16 of the 24 copying registered
mutants (the CN trailing dot, the last CN, keyEncipherment for digitalSignature, a
temporary made before the request, the key written before the CA's answer, ...); they
were replaced, after reading the registry, by the ideas marked "replacement" below.
Blind measure (the 21 against the case files as they stood): 1 caught
(enr-pwfile-replace, by test_enroll_client.py's not-UTF-8 password file); 20 slipped
through, enr-key-by-ski included (it replaced, before any case was written, eku-kp-prefix,
which turned out equivalent). All 21 are caught by the three round-13 files
(test_client_pki_cert_forms.py, test_client_pki_unhappy_paths.py,
test_enroll_answer_edges.py). Lens of each mutant:

lens 1 (fail open): cert-parse-fail-open (a responder certificate the X.509 library cannot
    parse is named from OpenSSL's view and its extensions go unchecked),
    enr-pwfile-replace (a password file that is not UTF-8 decoded with U+FFFD),
    enr-key-unloadable-ok (replacement: a certificate whose key the library cannot load
    is not compared)
lens 2 (absent means permissive): enr-empty-cert-ok (an empty or null certificate is
    "nothing new" and the enrolment succeeds), ku-absent-ok (no KeyUsage: any use),
    ku-noncritical-advisory (a KeyUsage that is not critical is advisory),
    rsfl-empty-sha-absent (replacement: an empty string member is absent, Go's zero value)
lens 3 (leaks on the unhappy path): exists-at-commit-keeps-temp (replacement: the output
    appeared meanwhile, the temporary is kept), put-refused-bare-close (replacement: a
    refused put exits at once, no close_notify), limit-check-after-temp (replacement: the
    temporary is made before the client's own size check, which then refuses)
lens 4 (units and number forms): enr-password-cap (replacement: the password cut at 128
    UTF-8 bytes), validity-local-time (replacement: dates compared with the local clock),
    enr-ca-validity-local-time (replacement: the same for the CA's certificate),
    size-u32-wrap (replacement: sizes held in 32 bits)
lens 5 (part of the value compared): enr-host-substring (the CA's host found inside a
    subjectAltName), enr-key-x-only (replacement: the certificate's key compared without
    its point's parity), enr-host-by-address (replacement: the host resolved and its
    address matched), enr-key-by-ski (replacement: the certificate's key recognised by
    its SubjectKeyIdentifier); eku-kp-prefix (any id-kp purpose taken for serverAuth) was
    dropped after the blind run: OpenSSL's own purpose check refuses every EKU without
    serverAuth before the reference's check runs, so it changed nothing observable
lens 6 (half-rolled-back state): enr-busy-new-key-old-csr (a retry after 503 makes a new
    key but sends the first CSR again), enr-retry-unverified (replacement: the CA verified
    on the first connection only), enr-second-keeps-old-cert (replacement: a re-enrolment
    keeps the old cert.pem beside the new key)
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import socket
import ssl
import sys
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_NO_CHECK_TIME = 0x200000  # X509_V_FLAG_NO_CHECK_TIME (x509_vfy.h)


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _x509() -> Any:
    return _module("cryptography.x509")


def _no_exit_sweep() -> None:
    """The reference removes temporaries a failed get left at exit (a safety net behind
    the `with`); an implementation with the leak has no such net."""
    share = _module("reference.share")
    atexit.unregister(share._remove_unfinished)


# --- lens 1: fail open --------------------------------------------------------------------


def _cert_parse_fail_open() -> None:
    """A responder certificate that the X.509 library cannot parse (an extension it
    cannot decode) is named from OpenSSL's own parse: its CN is the alias, and the
    PKI-CERT checks on its extensions are skipped ('OpenSSL verified it')."""
    client, tls = _client(), _tls()

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        if sock.selected_alpn_protocol() != tls.ALPN:
            raise tls.CertificateRefused(f"the peer did not negotiate ALPN {tls.ALPN}")
        try:
            return tls.check_peer_certificate(  # type: ignore[no-any-return]
                sock.getpeercert(binary_form=True), as_server=as_server
            )
        except ValueError:
            seen: Any = sock.getpeercert() or {}
            subject = dict(rdn[0] for rdn in seen.get("subject", ()))
            return str(subject.get("commonName", ""))

    client.peer_alias = peer_alias
    # The reference refuses such a certificate in its first decoding step: this mutant
    # decodes lazily, so the library's ValueError reaches the fallback above.
    tls._decoded = _module("cryptography.x509").load_der_x509_certificate


def _enr_pwfile_replace() -> None:
    """The password file is decoded as UTF-8 with errors='replace': a file that is not
    UTF-8 becomes a password holding U+FFFD and is sent."""
    _patch_source(
        _module("reference.cli.options"),
        "read_password_file",
        ('.decode("utf-8")', '.decode("utf-8", "replace")'),
    )


def _enr_key_unloadable_ok() -> None:
    """The returned certificate's key is compared with ours only when the library can
    load it: a key of an algorithm it does not know is 'nothing to compare'."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            "    if cert.public_key() != key.public_key():\n",
            "    try:\n"
            "        other_key = cert.public_key() != key.public_key()\n"
            "    except Exception:  # a key type this library cannot load\n"
            "        other_key = False\n"
            "    if other_key:\n",
        ),
    )


# --- lens 2: absent means permissive ----------------------------------------------------


def _enr_empty_cert_ok() -> None:
    """A 200 whose `certificate` is empty or null is 'nothing new from the CA': the
    key and the other files are written and the enrolment reports success."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            'cert_pem = json.loads(data)["certificate"].encode()',
            'cert_pem = (json.loads(data)["certificate"] or "").encode()',
        ),
        (
            "cert = x509.load_pem_x509_certificate(cert_pem)",
            "cert = x509.load_pem_x509_certificate(cert_pem) if cert_pem else None",
        ),
        (
            "    if cert.public_key() != key.public_key():",
            "    if cert is not None and cert.public_key() != key.public_key():",
        ),
        (
            "for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]",
            "for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]"
            " if cert is not None else [alias]",
        ),
        (
            "        cert.verify_directly_issued_by(root)",
            "        if cert is not None:\n            cert.verify_directly_issued_by(root)",
        ),
    )


def _ku_absent_ok() -> None:
    """A responder certificate without a KeyUsage extension is valid for any use (RFC
    5280's reading); a KeyUsage that is present must still hold digitalSignature."""
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate has no key usage") from None\n'
            "    if not ku.digital_signature:",
            "ku = None  # no KeyUsage: no restriction\n"
            "    if ku is not None and not ku.digital_signature:",
        ),
    )


def _ku_noncritical_advisory() -> None:
    """A KeyUsage that is not marked critical is advisory: one without digitalSignature
    is refused only when the extension is critical."""
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value",
            "ku_ext = cert.extensions.get_extension_for_class(x509.KeyUsage)\n"
            "        ku = ku_ext.value",
        ),
        (
            "    if not ku.digital_signature:",
            "    if ku_ext.critical and not ku.digital_signature:",
        ),
    )


def _rsfl_empty_sha_absent() -> None:
    """A control member holding the empty string is taken as absent (Go's zero value,
    `omitempty`): an RSFL with "sha256": "" is an RSFL without a digest."""
    _patch_source(
        _module("reference.messages"),
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            '    obj = {k: v for k, v in loads_control(frame.payload).items() if v != ""}\n',
        ),
    )


# --- lens 3: leaks on the unhappy path ----------------------------------------------------


def _exists_at_commit_keeps_temp() -> None:
    """When the output name appeared during the get, the commit refuses to replace it but
    keeps the received temporary ('the data is good: let the user recover it')."""
    _no_exit_sweep()
    _patch_source(
        _module("reference.share").PartialFile,
        "commit",
        (
            "    except FileExistsError:\n        self.abort()",
            "    except FileExistsError:\n        self._done = True\n"
            "        self._untrack()\n        self._release_dir()",
        ),
    )


def _put_refused_bare_close() -> None:
    """A put refused by the responder (exists, too_large, forbidden, unsupported) ends
    the program at once ('nothing was sent, nothing to clean up'): os._exit(1), so the
    kernel closes the TCP connection without a TLS close_notify."""
    client = _client()
    transfer = _module("reference.transfer")
    original = client.PkiSession._translate

    def _translate(self: Any, exc: Exception, what: str) -> Any:
        error = original(self, exc, what)
        if isinstance(exc, transfer.TransferRefused) and what.startswith("put "):
            print(f"sft: {error}", file=sys.stderr, flush=True)
            os._exit(1)
        return error

    client.PkiSession._translate = _translate


def _limit_check_after_temp() -> None:
    """The get's temporary file is made as soon as RSFL arrives, before the client's own
    size limit is checked; an RSFL above that limit is refused outside the `with` that
    would remove the temporary."""
    _no_exit_sweep()
    _patch_source(
        _module("reference.transfer").Initiator,
        "get",
        (
            "        if response.size > self.max_file_size:\n",
            "        partial = PartialFile.create(destination, response.size)\n"
            "        if response.size > self.max_file_size:\n",
        ),
        (
            "        with PartialFile.create(destination, response.size) as partial:\n",
            "        with partial:\n",
        ),
    )


# --- lens 4: units and number forms -------------------------------------------------------


def _enr_password_cap() -> None:
    """The enrolment client sends at most 128 UTF-8 bytes of the password (a fixed
    buffer); a longer password file is cut."""
    _patch_source(
        _enroll(),
        "enroll",
        ('"password": password,', '"password": password.encode()[:128].decode("utf-8", "ignore"),'),
    )


def _naive_local_dates_ok(cert: Any) -> bool:
    """The validity period compared with the local clock as a naive datetime (the
    certificate's times are UTC)."""
    now = dt.datetime.now()  # the planted bug: local time, no zone
    before = cert.not_valid_before_utc.replace(tzinfo=None)
    after = cert.not_valid_after_utc.replace(tzinfo=None)
    return bool(before <= now <= after)


def _validity_local_time() -> None:
    """The initiator checks the responder's validity dates itself (OpenSSL's time check
    off) against the local clock: off by the time zone's offset from UTC."""
    client = _client()
    build, original = client.client_context, client.peer_alias

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx = build(identity, crl_der)
        ctx.verify_flags |= _NO_CHECK_TIME
        return ctx  # type: ignore[no-any-return]

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        alias = original(sock, as_server=as_server)
        cert = _x509().load_der_x509_certificate(sock.getpeercert(binary_form=True))
        if not _naive_local_dates_ok(cert):
            raise _tls().CertificateRefused(f"{alias}'s certificate is outside its validity")
        return alias  # type: ignore[no-any-return]

    client.client_context, client.peer_alias = client_context, peer_alias


def _size_u32_wrap() -> None:
    """Sizes of RSFL and DONE are held in 32 bits (a C uint32_t, a Java int): 2^32 + n
    is read as n."""
    _patch_source(
        _module("reference.messages"),
        "decode_message",
        (
            'return FileResponse(obj["name"], obj["size"], obj.get("sha256"))',
            'return FileResponse(obj["name"], obj["size"] & 0xFFFFFFFF, obj.get("sha256"))',
        ),
        (
            'return Done(obj["size"], obj["sha256"])',
            'return Done(obj["size"] & 0xFFFFFFFF, obj["sha256"])',
        ),
    )


# --- the enrolment client's HTTPS connection, replaced -----------------------------------


def _connection_class(
    *,
    hostname: str = "tls",
    dates: str = "tls",
    verify_once: bool = False,
) -> None:
    """CaClient's HTTPS connection with one check done by hand: `hostname` "tls" (the
    TLS library's), "substring" (the host inside a DNS subjectAltName) or "address" (the
    host resolved, its address checked); `dates` "tls" or "local" (the local clock);
    `verify_once`: only the first connection to a host is verified, later ones trust it."""
    enroll, tls = _enroll(), _tls()
    http_client = _module("http.client")
    x509 = _x509()
    verified: set[str] = set()

    class Conn(http_client.HTTPSConnection):  # type: ignore[misc, name-defined]
        def __init__(self, host: str, port: int, *, timeout: float, context: Any) -> None:
            wanted = host
            if hostname == "address":
                host = socket.gethostbyname(host)
            if hostname == "substring":
                context.check_hostname = False
            if dates == "local":
                context.verify_flags |= _NO_CHECK_TIME
            if verify_once and wanted in verified:
                context = tls._base_context(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            super().__init__(host, port, timeout=timeout, context=context)
            self._b13_wanted = wanted

        def connect(self) -> None:
            super().connect()
            cert = x509.load_der_x509_certificate(self.sock.getpeercert(binary_form=True))
            if dates == "local" and not _naive_local_dates_ok(cert):
                raise ssl.SSLCertVerificationError("the CA's certificate is outside its validity")
            if hostname == "substring":
                try:
                    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
                    names = san.value.get_values_for_type(x509.DNSName)
                except x509.ExtensionNotFound:
                    names = []
                if not any(self._b13_wanted.lower() in str(n).lower() for n in names):
                    raise ssl.SSLCertVerificationError(f"no name for {self._b13_wanted}")
            verified.add(self._b13_wanted)

    enroll._b13_Conn = Conn
    _patch_source(
        enroll.CaClient,
        "request",
        ("conn = http.client.HTTPSConnection(", "conn = _b13_Conn("),
    )


def _enr_ca_validity_local_time() -> None:
    """The enrolment client checks the CA certificate's validity dates itself (OpenSSL's
    time check off) against the local clock: off by the time zone's offset from UTC."""
    _connection_class(dates="local")


# --- lens 5: part of the value compared ---------------------------------------------------


def _enr_host_substring() -> None:
    """The CA's host name is looked for inside the DNS names of its subjectAltName (`in`):
    a certificate for localhost.example or notlocalhost passes for localhost."""
    _connection_class(hostname="substring")


def _enr_key_x_only() -> None:
    """The returned certificate's key is compared with ours as compressed EC points
    without their first byte (the format byte, 02/03, which also carries y's parity): the
    key -Q, the negated point, passes for Q."""
    enroll = _enroll()
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def point(key: Any) -> bytes:
        try:
            return key.public_bytes(  # type: ignore[no-any-return]
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )[1:]
        except (ValueError, TypeError):
            return key.public_bytes(  # type: ignore[no-any-return]
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )

    enroll._b13_point = point
    _patch_source(
        enroll,
        "enroll",
        (
            "if cert.public_key() != key.public_key():",
            "if _b13_point(cert.public_key()) != _b13_point(key.public_key()):",
        ),
    )


def _enr_host_by_address() -> None:
    """The CA's host name is resolved and the connection made to (and checked for) its
    address: a certificate naming 127.0.0.1 but not localhost passes for localhost."""
    _connection_class(hostname="address")


def _enr_key_by_ski() -> None:
    """The returned certificate is taken as holding our key when its SubjectKeyIdentifier
    is our key's identifier (SHA-1 of the key, RFC 5280 method 1: cheaper than comparing
    keys); a certificate for another key carrying our key's identifier passes."""
    enroll = _enroll()
    x509 = _x509()

    def same_key(cert: Any, key: Any) -> bool:
        try:
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        except x509.ExtensionNotFound:
            return bool(cert.public_key() == key.public_key())
        ours = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        return bool(ski.digest == ours.digest)

    enroll._b13_same_key = same_key
    _patch_source(
        enroll,
        "enroll",
        ("if cert.public_key() != key.public_key():", "if not _b13_same_key(cert, key):"),
    )


# --- lens 6: half-rolled-back state -------------------------------------------------------


def _enr_busy_new_key_old_csr() -> None:
    """A retry after 503 busy makes a fresh key ('never reuse key material') but sends
    the request body built for the first one; the answer is checked against the CSR's key
    and the fresh key is stored beside a certificate for the first."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            "        time.sleep(max(1, seconds) * (1.0 + secrets.randbelow(501) / 1000))\n",
            "        time.sleep(max(1, seconds) * (1.0 + secrets.randbelow(501) / 1000))\n"
            "        key = generate_key(key_type)\n",
        ),
        ("if cert.public_key() != key.public_key():", "if cert.public_key() != csr.public_key():"),
    )


def _enr_retry_unverified() -> None:
    """The CA's certificate is verified on the run's first connection to it; the retries
    after 503 busy (and the CRL fetch) reuse that trust and skip verification."""
    _connection_class(verify_once=True)


def _enr_second_keeps_old_cert() -> None:
    """The enrolment writes the new key but never replaces the other files of an existing
    identity directory ('do not clobber what the user may have edited'): a re-enrolment
    leaves the old cert.pem beside the new key."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            "    ):\n        write_public(path, content)",
            "    ):\n        if path.exists():\n            continue\n"
            "        write_public(path, content)",
        ),
    )


# --- the registry -------------------------------------------------------------------------

# Where each was judged blind: test_pki_certs.py, test_enroll_client.py,
# test_enroll_answers.py, test_pki_initiator_transfer.py, test_client_json_nulls.py,
# test_client_put.py; caught there: enr-pwfile-replace alone. The others are caught by the
# round-13 files below.
_CERTS = "test_client_pki_cert_forms.py"
_ENROLL = "test_enroll_answer_edges.py"
_PATHS = "test_client_pki_unhappy_paths.py"


def _m(name: str, requirement: str, test_file: str, apply: Any, *, enroll: bool = False) -> Mutant:
    return Mutant(
        name=f"b13cl2-{name}",
        group="blind13-client2",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=" ".join((apply.__doc__ or "").split()),
        apply=apply,
        client=True,
        enroll=enroll,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m("cert-parse-fail-open", "PKI-CERT-5", _CERTS, _cert_parse_fail_open),
    _m("enr-pwfile-replace", "PWF-1", "test_enroll_client.py", _enr_pwfile_replace, enroll=True),
    _m("enr-key-unloadable-ok", "CA-ENR-12", _ENROLL, _enr_key_unloadable_ok, enroll=True),
    # lens 2
    _m("enr-empty-cert-ok", "CA-ENR-12", _ENROLL, _enr_empty_cert_ok, enroll=True),
    _m("ku-absent-ok", "PKI-CERT-9", _CERTS, _ku_absent_ok),
    _m("ku-noncritical-advisory", "PKI-CERT-9", _CERTS, _ku_noncritical_advisory),
    _m("rsfl-empty-sha-absent", "FRM-12", _PATHS, _rsfl_empty_sha_absent),
    # lens 3
    _m("exists-at-commit-keeps-temp", "APP-STORE-3", _PATHS, _exists_at_commit_keeps_temp),
    _m("put-refused-bare-close", "PKI-TLS-7", _PATHS, _put_refused_bare_close),
    _m("limit-check-after-temp", "APP-STORE-3", _PATHS, _limit_check_after_temp),
    # lens 4
    _m("enr-password-cap", "PWF-1", _ENROLL, _enr_password_cap, enroll=True),
    _m("validity-local-time", "PKI-CERT-3", _CERTS, _validity_local_time),
    _m(
        "enr-ca-validity-local-time",
        "PKI-CERT-3",
        _ENROLL,
        _enr_ca_validity_local_time,
        enroll=True,
    ),
    _m("size-u32-wrap", "APP-GET-3", _PATHS, _size_u32_wrap),
    # lens 5
    _m("enr-host-substring", "CA-ENR-18", _ENROLL, _enr_host_substring, enroll=True),
    _m("enr-key-x-only", "CA-ENR-12", _ENROLL, _enr_key_x_only, enroll=True),
    _m("enr-host-by-address", "CA-ENR-18", _ENROLL, _enr_host_by_address, enroll=True),
    _m("enr-key-by-ski", "CA-ENR-12", _ENROLL, _enr_key_by_ski, enroll=True),
    # lens 6
    _m("enr-busy-new-key-old-csr", "CA-ENR-12", _ENROLL, _enr_busy_new_key_old_csr, enroll=True),
    _m("enr-retry-unverified", "PKI-TLS-4", _ENROLL, _enr_retry_unverified, enroll=True),
    _m("enr-second-keeps-old-cert", "CA-ENR-12", _ENROLL, _enr_second_keeps_old_cert, enroll=True),
)
