"""Blind red-team round 12 (client2): the sft-pki/1 initiator (`sft get/put`) and the
enrolment client (`sft enroll`), planted through the lenses of round 12 (lenses12.md).

The first list (27 mutants) was written blind, from docs/SPEC.md and
reference/pki/{client,tls,enroll}.py, the CLI and reference/transfer.py only; 24 of the 27
were caught by the suite as it stood. 18 of them turned out to copy registered mutants
and were replaced (after reading the registry) by the eleven marked "replacement".
Lens of each mutant:

lens 1 (two values of one type mixed up): issuer-algorithms (the root's algorithms
    checked for the leaf's), revoked-own-serial (the CRL asked about our own serial)
lens 2 (visible/acted on before verified): request-before-cert-checks,
    revocation-after-first-request (replacement), enroll-verify-after-post (replacement),
    ca-not-yet-valid-ok (replacement; also lens 6)
lens 3 (peer-claimed values trusted): enroll-key-type-only, enroll-cert-from-bundle
    (replacement)
lens 4 (sloppy output): eror-on-id-mismatch, bye-after-cert-refusal, putf-sha256-null,
    keylog-enroll, enroll-tls-unpinned (replacement), eror-forbidden-on-cert-refusal
    (replacement), refusal-eror-misnamed (added in phase 2)
lens 6, added in phase 2 (one of two commands checked): put-alias-unchecked,
    put-cert-checks-skipped
lens 6 (deny-lists): not-yet-valid-ok, curve-denylist (replacement), ca-true-needs-cert-sign
    (replacement), cn-regex-prefix (replacement), cn-nfkc (replacement),
    enroll-status-denylist (replacement)
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_NO_CHECK_TIME = 0x200000  # X509_V_FLAG_NO_CHECK_TIME (x509_vfy.h)
_SEEN: dict[str, Any] = {}  # the identity and CRL the client built its context from


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _x509() -> Any:
    return _module("cryptography.x509")


def _record_identity(*, without_crl: bool = False) -> None:
    """The client's context builder, remembering its identity and CRL; with
    `without_crl` it builds the context without the CRL (no OpenSSL revocation check)."""
    client, tls = _client(), _tls()
    original = tls.client_context

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        _SEEN["identity"], _SEEN["crl"] = identity, crl_der
        if not without_crl:
            return original(identity, crl_der)  # type: ignore[no-any-return]
        ctx = tls._base_context(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_cert_chain(identity.cert, identity.key)
        tls._load_trust(ctx, identity.root.read_bytes(), None)
        ctx.set_alpn_protocols([tls.ALPN])
        return ctx  # type: ignore[no-any-return]

    client.client_context = client_context


def _own_certificate() -> Any:
    return _x509().load_pem_x509_certificate(_SEEN["identity"].cert.read_bytes())


def _peer_certificate(sock: ssl.SSLSocket) -> Any:
    return _x509().load_der_x509_certificate(sock.getpeercert(binary_form=True))


# --- lens 1 -----------------------------------------------------------------------------


def _issuer_algorithms() -> None:
    """PKI-CERT-9's algorithm check is made on the issuer (the root) instead of the leaf."""
    _record_identity()
    tls = _tls()
    original = tls._check_algorithms

    def check_algorithms(cert: Any, alias: str) -> None:
        root = _x509().load_pem_x509_certificate(_SEEN["identity"].root.read_bytes())
        original(root, alias)

    tls._check_algorithms = check_algorithms


def _revoked_own_serial() -> None:
    """Revocation checked by hand, for the serial of the client's own certificate."""
    _record_identity(without_crl=True)
    client, tls = _client(), _tls()
    original = client.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        alias = original(sock, as_server=as_server)
        crl = _x509().load_der_x509_crl(_SEEN["crl"])
        serial = _own_certificate().serial_number
        if crl.get_revoked_certificate_by_serial_number(serial) is not None:
            raise tls.CertificateRefused("the certificate was revoked")
        return alias  # type: ignore[no-any-return]

    client.peer_alias = peer_alias


# --- lens 2 -----------------------------------------------------------------------------


def _checked_after_first_send(check: Any) -> None:
    """The session's first frame goes out before `check(session)` runs."""
    client, tls = _client(), _tls()
    original = client.PkiSession.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        channel = self._initiator.channel
        send = channel.send
        state = {"checked": False}

        def checked_send(message: Any) -> None:
            send(message)
            if not state["checked"]:
                state["checked"] = True
                try:
                    check(self)
                except tls.CertificateRefused as exc:
                    tls.close_tls(self._sock)
                    raise client.PkiClientError(str(exc)) from None

        channel.send = checked_send

    client.PkiSession.__init__ = __init__


def _request_before_cert_checks() -> None:
    """The checks OpenSSL does not make (PKI-CERT-1/5/6/9) run once the first request is
    on its way; only the CN is read at the handshake."""
    client, tls = _client(), _tls()

    def cn_only(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        return tls._common_name(_peer_certificate(sock))  # type: ignore[no-any-return]

    client.peer_alias = cn_only

    def check(session: Any) -> None:
        tls.peer_alias(session._sock, as_server=False)

    _checked_after_first_send(check)


# --- lens 3 -----------------------------------------------------------------------------


def _enroll_key_type_only() -> None:
    """The returned certificate's key is checked for its kind, not for being ours."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            "if cert.public_key() != key.public_key():",
            "if type(cert.public_key()) is not type(key.public_key()):",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _frame(frame_type: bytes, payload: bytes) -> bytes:
    return frame_type + len(payload).to_bytes(4, "big") + payload


def _eror_on_id_mismatch() -> None:
    """Every refusal after the handshake, the PKI-ID-1 mismatch included, sends EROR
    auth_failed before the close."""
    client = _client()
    client._b12_eror = lambda sock: sock.sendall(
        _frame(b"EROR", b'{"code":4,"name":"auth_failed","message":"certificate refused"}')
    )
    _patch_source(
        client.PkiSession,
        "_connect_once",
        (
            "    except CertificateRefused as exc:\n        close_tls(sock)",
            "    except CertificateRefused as exc:\n"
            "        with contextlib.suppress(OSError):\n"
            "            _b12_eror(sock)\n"
            "        close_tls(sock)",
        ),
    )


def _bye_after_cert_refusal() -> None:
    """A responder certificate refused by the extension checks is left politely: BYE_."""
    client = _client()
    client._b12_bye = lambda sock: sock.sendall(_frame(b"BYE_", b"{}"))
    _patch_source(
        client.PkiSession,
        "_connect_once",
        (
            "    except CertificateRefused as exc:\n        close_tls(sock)",
            "    except CertificateRefused as exc:\n"
            "        if 'refusing to talk' not in str(exc):\n"
            "            with contextlib.suppress(OSError):\n"
            "                _b12_bye(sock)\n"
            "        close_tls(sock)",
        ),
    )


def _putf_sha256_null() -> None:
    """PUTF always carries `sha256`, as null when it is not computed."""
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "encode_message",
        (
            '        obj = {"name": message.name, "size": message.size}\n'
            "        if message.sha256 is not None:\n"
            '            obj["sha256"] = message.sha256\n'
            "        return _control(T_PUTF, obj)",
            '        obj = {"name": message.name, "size": message.size, "sha256": message.sha256}\n'
            "        return _control(T_PUTF, obj)",
        ),
    )
    _module("reference.app").encode_message = messages.encode_message


def _keylog_enroll() -> None:
    """The enrolment client's HTTPS context honours SSLKEYLOGFILE (as
    ssl.create_default_context does)."""
    tls = _tls()
    original = tls.https_client_context

    def https_client_context(root_pem: bytes) -> ssl.SSLContext:
        ctx = original(root_pem)
        path = os.environ.get("SSLKEYLOGFILE")
        if path:
            ctx.keylog_filename = path
        return ctx  # type: ignore[no-any-return]

    tls.https_client_context = https_client_context
    _enroll().https_client_context = https_client_context


# --- lens 6 -----------------------------------------------------------------------------


def _not_yet_valid_ok() -> None:
    """Validity dates checked by hand, notAfter only."""
    _record_identity()
    client, tls = _client(), _tls()
    build, original = client.client_context, client.peer_alias

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx = build(identity, crl_der)
        ctx.verify_flags |= _NO_CHECK_TIME
        return ctx  # type: ignore[no-any-return]

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        alias = original(sock, as_server=as_server)
        if _peer_certificate(sock).not_valid_after_utc < dt.datetime.now(dt.UTC):
            raise tls.CertificateRefused(f"{alias}'s certificate has expired")
        return alias  # type: ignore[no-any-return]

    client.client_context, client.peer_alias = client_context, peer_alias


def _curve_denylist() -> None:
    """The responder's EC key refused on the weak curves it knows (P-192, P-224) instead
    of required to be P-256: a P-384 key passes. (With the signature algorithms of a TLS
    stack that offers ecdsa_secp384r1_sha384, as Go's does — PKI-TLS-11 is a SHOULD; the
    reference's pinned list alone would refuse a P-384 responder in the handshake.)"""
    tls = _tls()
    tls.TLS13_SIGALGS = tls.TLS13_SIGALGS + ":ecdsa_secp384r1_sha384"
    _patch_source(
        _tls(),
        "_check_algorithms",
        (
            "elif not (isinstance(key, ec.EllipticCurvePublicKey)"
            " and isinstance(key.curve, ec.SECP256R1)):",
            "elif not isinstance(key, ec.EllipticCurvePublicKey) or isinstance(\n"
            "        key.curve, (ec.SECP192R1, ec.SECP224R1)\n    ):",
        ),
    )


def _ca_true_needs_cert_sign() -> None:
    """CA:TRUE refused only with keyCertSign ('a CA is what can sign certificates')."""
    tls = _tls()

    def signs_certificates(cert: Any) -> bool:
        x509 = _x509()
        try:
            return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign)
        except x509.ExtensionNotFound:
            return False

    tls._b12_signs = signs_certificates
    _patch_source(
        tls,
        "check_peer_certificate",
        (
            "if bc.value.ca or not bc.critical:",
            "if (bc.value.ca and _b12_signs(cert)) or not bc.critical:",
        ),
    )


def _cn_regex_prefix() -> None:
    """The alias is read out of the CN with the alias pattern's `match` (a prefix):
    CN 'alice evil' is alice."""
    tls = _tls()

    def alias_part(cn: str) -> str:
        found = tls.ALIAS_RE.match(cn)
        return found.group() if found else cn

    tls._b12_alias_part = alias_part
    _patch_source(
        tls,
        "check_peer_certificate",
        ("alias = _common_name(cert)", "alias = _b12_alias_part(_common_name(cert))"),
    )


def _cn_nfkc() -> None:
    """The CN is NFKC-normalised before the alias checks (full-width, ligatures fold)."""
    tls = _tls()
    unicodedata = _module("unicodedata")
    tls._b12_nfkc = lambda text: unicodedata.normalize("NFKC", text)
    _patch_source(
        tls,
        "check_peer_certificate",
        ("alias = _common_name(cert)", "alias = _b12_nfkc(_common_name(cert))"),
    )


def _enroll_status_denylist() -> None:
    """The enrolment answer is an error when its status is one of the CA's known error
    statuses; any other status with a certificate body is a success."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            "if status != 200:",
            "if status in (400, 401, 403, 404, 405, 411, 413, 429, 500, 502, 503):",
        ),
    )


# --- lens 2 (enrolment) -----------------------------------------------------------------


def _late_connection(*, verify_after_response: bool, not_after_only: bool) -> None:
    """CaClient's HTTPS connection made without the TLS library's checks; the CA's
    certificate checked by hand: after the response (`verify_after_response`, so the
    password is already sent), or at connect with its notAfter only (`not_after_only`)."""
    enroll, tls = _enroll(), _tls()
    http_client = _module("http.client")
    x509 = _x509()
    ipaddress = _module("ipaddress")

    def check(sock: Any, host: str, root_pem: bytes, *, dates: str) -> None:
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        root = x509.load_pem_x509_certificate(root_pem)
        try:
            cert.verify_directly_issued_by(root)
        except Exception:
            raise ssl.SSLCertVerificationError("not issued by the root") from None
        now = dt.datetime.now(dt.UTC)
        if now > cert.not_valid_after_utc or (dates == "both" and now < cert.not_valid_before_utc):
            raise ssl.SSLCertVerificationError("outside its validity")
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            raise ssl.SSLCertVerificationError("no subjectAltName") from None
        names = [str(n).lower() for n in san.get_values_for_type(x509.DNSName)]
        addresses = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
        try:
            wanted = str(ipaddress.ip_address(host))
            ok = wanted in addresses
        except ValueError:
            ok = host.lower().rstrip(".") in names
        if not ok:
            raise ssl.SSLCertVerificationError(f"host name mismatch: {host}")

    class Late(http_client.HTTPSConnection):  # type: ignore[misc, name-defined]
        def __init__(
            self, host: str, port: int, *, timeout: float, context: Any, root_pem: bytes
        ) -> None:
            unchecked = tls._base_context(ssl.PROTOCOL_TLS_CLIENT)
            unchecked.check_hostname = False
            unchecked.verify_mode = ssl.CERT_NONE
            super().__init__(host, port, timeout=timeout, context=unchecked)
            self._b12_root = root_pem

        def connect(self) -> None:
            super().connect()
            if not verify_after_response:
                dates = "after" if not_after_only else "both"
                check(self.sock, self.host, self._b12_root, dates=dates)

        def getresponse(self) -> Any:
            response = super().getresponse()
            if verify_after_response:
                check(self.sock, self.host, self._b12_root, dates="both")
            return response

    enroll._b12_Late = Late
    _patch_source(
        enroll.CaClient,
        "request",
        ("conn = http.client.HTTPSConnection(", "conn = _b12_Late("),
        (
            "context=https_client_context(self.root_pem)",
            "context=https_client_context(self.root_pem), root_pem=self.root_pem",
        ),
    )


def _enroll_verify_after_post() -> None:
    """The CA's certificate is checked once its answer arrived (host name, root,
    dates): by then the password has been sent to whoever answered."""
    _late_connection(verify_after_response=True, not_after_only=False)


def _ca_not_yet_valid_ok() -> None:
    """The CA's certificate dates checked by hand at connect, notAfter only: a CA
    certificate valid from tomorrow passes."""
    _late_connection(verify_after_response=False, not_after_only=True)


def _enroll_cert_from_bundle() -> None:
    """The answer's `certificate` may be a bundle: the certificate checked is the one
    holding our key, but the whole PEM is stored as cert.pem (another key's first)."""
    enroll = _enroll()
    x509 = _x509()

    def pick(pem: bytes, key: Any) -> Any:
        certs = x509.load_pem_x509_certificates(pem)
        for cert in certs:
            if cert.public_key() == key.public_key():
                return cert
        return certs[0]

    enroll._b12_pick = pick
    _patch_source(
        enroll,
        "enroll",
        ("cert = x509.load_pem_x509_certificate(cert_pem)", "cert = _b12_pick(cert_pem, key)"),
        (
            "(identity.cert, cert.public_bytes(serialization.Encoding.PEM)),",
            "(identity.cert, cert_pem),",
        ),
    )


def _enroll_tls_unpinned() -> None:
    """The HTTPS context to the CA is a plain TLS 1.3 context: the TLS library's suites
    and groups (ffdhe*, x448, P-521 offered), not PKI-TLS-9's."""
    tls = _tls()

    def base(protocol: int) -> ssl.SSLContext:
        ctx = ssl.SSLContext(protocol)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        ctx.options |= ssl.OP_NO_TICKET
        return ctx

    tls._b12_base = base
    _patch_source(
        tls,
        "https_client_context",
        (
            "ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT)",
            "ctx = _b12_base(ssl.PROTOCOL_TLS_CLIENT)",
        ),
    )
    _enroll().https_client_context = tls.https_client_context


def _eror_forbidden_on_cert_refusal() -> None:
    """A responder certificate refused by the PKI-CERT checks is told `forbidden` (a
    non-fatal code) before the close."""
    client = _client()
    client._b12_forbidden = lambda sock: sock.sendall(
        _frame(b"EROR", b'{"code":5,"name":"forbidden","message":"certificate refused"}')
    )
    _patch_source(
        client.PkiSession,
        "_connect_once",
        (
            "    except CertificateRefused as exc:\n        close_tls(sock)",
            "    except CertificateRefused as exc:\n"
            "        if 'refusing to talk' not in str(exc):\n"
            "            with contextlib.suppress(OSError):\n"
            "                _b12_forbidden(sock)\n"
            "        close_tls(sock)",
        ),
    )


def _refusal_eror_misnamed() -> None:
    """A refused responder certificate is told EROR 4 under the TLS alert's name
    (`bad_certificate`), not the table's `auth_failed`."""
    client = _client()
    client._b12_misnamed = lambda sock: sock.sendall(
        _frame(b"EROR", b'{"code":4,"name":"bad_certificate","message":"certificate refused"}')
    )
    _patch_source(
        client.PkiSession,
        "_connect_once",
        (
            "    except CertificateRefused as exc:\n        close_tls(sock)",
            "    except CertificateRefused as exc:\n"
            "        if 'refusing to talk' not in str(exc):\n"
            "            with contextlib.suppress(OSError):\n"
            "                _b12_misnamed(sock)\n"
            "        close_tls(sock)",
        ),
    )


def _putting() -> bool:
    """The mutant's client runs `sft put` (the put command's own connection code)."""
    return "put" in _module("sys").argv


def _put_alias_unchecked() -> None:
    """The put command's connection skips PKI-ID-1 (written after `get`, without it)."""
    client = _client()
    client._b12_putting = _putting
    _patch_source(
        client.PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if name != self.alias and not _b12_putting():"),
    )


def _put_cert_checks_skipped() -> None:
    """The put command's connection reads the responder's CN only: the checks OpenSSL
    does not make (PKI-CERT-1/5/6/9) are the get's alone."""
    client, tls = _client(), _tls()
    original = client.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        if _putting():
            return tls._common_name(_peer_certificate(sock))  # type: ignore[no-any-return]
        return original(sock, as_server=as_server)  # type: ignore[no-any-return]

    client.peer_alias = peer_alias


def _revocation_after_first_request() -> None:
    """The CRL is consulted lazily, once the first request is on its way."""
    _record_identity(without_crl=True)
    tls = _tls()

    def check(session: Any) -> None:
        crl = _x509().load_der_x509_crl(_SEEN["crl"])
        serial = _peer_certificate(session._sock).serial_number
        if crl.get_revoked_certificate_by_serial_number(serial) is not None:
            raise tls.CertificateRefused(f"{session.alias}'s certificate was revoked")

    _checked_after_first_send(check)


def _m(name: str, requirement: str, test_file: str, apply: Any, *, enroll: bool = False) -> Mutant:
    return Mutant(
        name=f"b12cl2-{name}",
        group="blind12-client2",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=" ".join((apply.__doc__ or "").split()),
        apply=apply,
        client=True,
        enroll=enroll,
    )


_PCERTS = "test_pki_certs.py"
_CCERTS = "test_client_pki_certs.py"
_IDENT = "test_pki_identity.py"
_ENROLL = "test_enroll_client.py"
_ANSWERS = "test_enroll_answers.py"
_PUT_ID = "test_client_pki_put_identity.py"

MUTANTS: tuple[Mutant, ...] = (
    # written blind (round 12's first list, after its duplicates were dropped)
    _m("issuer-algorithms", "PKI-CERT-9", _PCERTS, _issuer_algorithms),
    _m("revoked-own-serial", "PKI-CERT-7", _PCERTS, _revoked_own_serial),
    _m("request-before-cert-checks", "PKI-TLS-7", _CCERTS, _request_before_cert_checks),
    _m("enroll-key-type-only", "CA-ENR-12", _ENROLL, _enroll_key_type_only, enroll=True),
    _m("eror-on-id-mismatch", "PKI-ID-1", _IDENT, _eror_on_id_mismatch),
    _m("bye-after-cert-refusal", "PKI-TLS-7", _IDENT, _bye_after_cert_refusal),
    _m("putf-sha256-null", "FRM-14", "test_client_put.py", _putf_sha256_null),
    _m("keylog-enroll", "PKI-TLS-8", "test_enroll_tls.py", _keylog_enroll, enroll=True),
    _m("not-yet-valid-ok", "PKI-CERT-3", "test_client_pki_cert_variants.py", _not_yet_valid_ok),
    # replacements of the blind list's duplicates (written after reading the registry)
    _m("curve-denylist", "PKI-CERT-9", _CCERTS, _curve_denylist),
    _m("ca-true-needs-cert-sign", "PKI-CERT-6", _CCERTS, _ca_true_needs_cert_sign),
    _m("cn-regex-prefix", "PKI-ID-4", _IDENT, _cn_regex_prefix),
    _m("cn-nfkc", "PKI-ID-4", "test_client_pki_cert_variants.py", _cn_nfkc),
    _m("enroll-status-denylist", "CA-ENR-12", _ANSWERS, _enroll_status_denylist, enroll=True),
    _m("enroll-verify-after-post", "CA-ENR-18", _ENROLL, _enroll_verify_after_post, enroll=True),
    _m("ca-not-yet-valid-ok", "PKI-CERT-3", _ENROLL, _ca_not_yet_valid_ok, enroll=True),
    _m("enroll-cert-from-bundle", "CA-ENR-12", _ENROLL, _enroll_cert_from_bundle, enroll=True),
    _m("enroll-tls-unpinned", "PKI-TLS-9", "test_enroll_tls.py", _enroll_tls_unpinned, enroll=True),
    _m("eror-forbidden-on-cert-refusal", "PKI-TLS-7", _IDENT, _eror_forbidden_on_cert_refusal),
    _m("refusal-eror-misnamed", "ERR-1", _CCERTS, _refusal_eror_misnamed),
    _m("put-alias-unchecked", "PKI-ID-1", _PUT_ID, _put_alias_unchecked),
    _m("put-cert-checks-skipped", "PKI-CERT-5", _PUT_ID, _put_cert_checks_skipped),
    _m("revocation-after-first-request", "PKI-TLS-7", _CCERTS, _revocation_after_first_request),
)
