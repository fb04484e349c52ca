"""Conforming variants aimed at the cases written in the tenth session (helper FP5).

Each `Reading` plants an allowed choice the reference does not make, aimed at a case this
session added or changed; the suite must PASS it (conformance/selftest/test_ambig_readings.py).
Every description quotes the SPEC sentence that allows the choice. Planted like the
mutants: a monkeypatch of the reference inside the subprocess that runs it; reference
modules are reached only through `_module`, at apply time. Where an earlier session
already wrote the variant, its function is reused and only the case files are new.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from conformance.selftest import mutants_ambig as ambig
from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session9 as s9
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's new or changed case files (git diff 47244c0).
_PUT = "test_app_put.py"
_PUT_NAMES = "test_app_put_names.py"
_PUT_SEQUENCE = "test_app_put_sequence.py"
_INTERLEAVED = "test_interop_transfer_state.py"
_ENCODINGS = "test_app_json_encodings.py"
_SHARE_AND_INBOX = "test_app_share_and_inbox.py"
_INBOX_FILES = "test_app_inbox_files.py"
_INBOX_LINKS = "test_app_put_inbox_links.py"
_ERROR_FRAMES = "test_app_error_frames.py"
_FRAMING = "test_framing.py"
_LONG_SESSIONS = "test_ops_long_sessions.py"
_LATER = "test_eke_later_requests.py"
_RECORDS = "test_eke_records.py"
_RESTART_STATE = "test_eke_restart_state.py"
_SECOND_USE = "test_eke_second_use.py"
_THROTTLING = "test_eke_throttling.py"
_INTERLEAVED_LOGINS = "test_ops_eke_interleaved_logins.py"
_HANDSHAKE = "test_eke_handshake.py"
_UNPROMPTED = "test_pki_refusal_unprompted.py"
_RSA = "test_pki_rsa_employees.py"
_IDENTITY = "test_pki_identity.py"
_SIGNS = "test_eke_client_signs.py"
_BUSY_RETRIES = "test_eke_client_busy_retries.py"
_CLIENT_ENCODINGS = "test_client_encodings.py"
_ERROR_CONTENT = "test_client_error_content.py"
_CA = "test_ca.py"
_CA_ACCOUNTS = "test_ca_accounts.py"
_CA_GUESSES = "test_ca_bad_csr_guesses.py"
_CA_CSR = "test_ca_csr.py"
_CA_RESTART_REVOCATION = "test_ca_restart_revocation.py"

_NEW_PUT_FILES = (_PUT, _PUT_NAMES, _PUT_SEQUENCE, _INTERLEAVED, _ENCODINGS, _SHARE_AND_INBOX)
_NEW_PUT_REQS = ("APP-PUT-5", "APP-PUT-2", "APP-2", "VEC-2", "APP-PUT-3", "APP-GET-1")
_REFUSAL_REQS = (
    "PKI-TLS-10",
    "PKI-TLS-2",
    "PKI-TLS-3",
    "PKI-CERT-5",
    "PKI-CERT-6",
    "PKI-CERT-9",
)


# ---------------------------------------------------------------- the responder's checks


def _wrap_certificate_check(extra: Callable[[Any, bool], None]) -> None:
    """`extra(der, as_server)` runs around the reference's own checks of a peer
    certificate: it may raise the reference's CertificateRefused or delay."""
    fp1._load_everything()
    tls = _module("reference.pki.tls")
    original = tls.check_peer_certificate

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        if der is not None:
            extra(der, as_server)
        alias: str = original(der, as_server=as_server)
        return alias

    tls.check_peer_certificate = check_peer_certificate


def _pki_refuse_subject_alt_name() -> None:
    # PKI-CERT-9: "it MAY also refuse other departures from PKI-CERT-1 that the CA should
    # never issue ... and a conformance case MUST NOT judge that choice either way";
    # CA-ENR-17: "an employee certificate MUST NOT carry one [a subjectAltName]". This
    # responder refuses a client certificate that carries a subjectAltName, after the
    # handshake (EROR auth_failed, close_notify, the close: PKI-TLS-10).
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")

    def extra(der: bytes, as_server: bool) -> None:
        if not as_server:
            return
        cert = x509.load_der_x509_certificate(der)
        try:
            cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return
        raise tls.CertificateRefused("an employee certificate carries no subjectAltName")

    _wrap_certificate_check(extra)


_LATE_REFUSAL = 0.4  # seconds; ERR-3's "at once" is allowed 2 s by the suite


def _pki_refusal_decided_late() -> None:
    # PKI-TLS-10: a refusal after the handshake "at once (ERR-3)" — ERR-3: "the
    # conformance suite allows 2 s". This responder's own certificate check takes 0.4 s
    # before it refuses (a revocation lookup, a slow policy hook), then EROR auth_failed.
    tls = _module("reference.pki.tls")

    def refuse_late(der: bytes | None, *, as_server: bool, _original: Any) -> str:
        try:
            alias: str = _original(der, as_server=as_server)
        except tls.CertificateRefused:
            if as_server:
                time.sleep(_LATE_REFUSAL)
            raise
        return alias

    fp1._load_everything()
    original = tls.check_peer_certificate
    tls.check_peer_certificate = lambda der, *, as_server: refuse_late(
        der, as_server=as_server, _original=original
    )


def _pki_sha256_sigalgs_only() -> None:
    # PKI-TLS-9 lists what MAY be negotiated; a subset is conforming (as a ChaCha-only
    # responder is): ecdsa_secp256r1_sha256 and rsa_pss_rsae_sha256 alone, which still
    # cover both employee keys (PKI-CERT-9: "ECDSA P-256 and RSA of 2048 bits or more ...
    # PKI-TLS-9's signature algorithms cover both").
    fp1._pki_tls_constants(TLS13_SIGALGS="ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256")


# ---------------------------------------------------------------- the CA


def _patch_enroll(before: Callable[[Any, dict[str, Any]], None]) -> None:
    """Runs `before(handler, request)` ahead of the CA's own enrolment logic, for this
    request only. (mutants_ambig._patch_enroll leaves its `_read_json` override on the
    handler, which http.server keeps for a kept-alive connection: every later request of
    that connection would be answered with the first one's body.)"""
    server = _module("reference.pki.ca_server")
    original = server._Handler._enroll

    def enroll(self: Any) -> None:
        request = self._read_json()
        before(self, request)
        self._read_json = lambda: request  # the original reads the same body
        try:
            original(self)
        finally:
            del self._read_json


def _ca_csr_checked_first() -> None:
    # CA-ENR-21: "`400 bad_csr` (the CSR is checked first and the password is not
    # verified ...)": any CSR the CA would refuse is refused before the password.
    def before(_handler: Any, request: dict[str, Any]) -> None:
        csr = request.get("csr")
        if isinstance(csr, str) and not ambig._csr_is_valid(csr):
            raise ambig._bad_csr_error()

    _patch_enroll(before)


def _ca_parse_first_profile_later() -> None:
    # CA-ENR-21: "MAY be answered either way, both conforming ... Whatever the order":
    # a `csr` that is no single parseable PEM CERTIFICATE REQUEST is answered `400
    # bad_csr` before the password is looked at; a parseable CSR whose key, digest or
    # signature is wrong is judged after the password (401 and counted when wrong).
    x509 = _module("cryptography.x509")

    def before(_handler: Any, request: dict[str, Any]) -> None:
        csr = request.get("csr")
        if not isinstance(csr, str):
            return
        data = csr.encode("utf-8")
        try:
            if data.count(b"-----BEGIN ") != 1:
                raise ValueError("not one PEM block")
            x509.load_pem_x509_csr(data)
        except Exception:  # any parse failure: refused before the password
            raise ambig._bad_csr_error() from None

    _patch_enroll(before)


def _ca_uuid_serials() -> None:
    # CA-ENR-10: "a random serial of at least 64 bits ... positive, at most 20 octets":
    # a version-4 UUID as the serial (122 random bits), as Java and Go CAs often do.
    ca = _module("reference.pki.ca")
    ca._serial = lambda: uuid.uuid4().int


def _ca_501_unknown_transfer_coding() -> None:
    # CA-ENR-9: "a `Transfer-Encoding` the CA does not read makes the length unknown too
    # ... the CA MUST close"; RFC 9112 §6.1: a server that receives a transfer coding it
    # does not understand SHOULD respond 501. This CA answers 501 (JSON) and closes for
    # any coding but chunked (which it still refuses 411, as the reference does).
    server = _module("reference.pki.ca_server")
    http = _module("http")
    original = server._Handler._read_json

    def read_json(self: Any) -> dict[str, Any]:
        codings = [v.strip().lower() for v in self.headers.get_all("Transfer-Encoding") or []]
        if codings and codings[-1] != "chunked":
            raise server._HttpError(
                http.HTTPStatus.NOT_IMPLEMENTED,
                "not_implemented",
                "transfer coding not implemented",
                close=True,
            )
        value: dict[str, Any] = original(self)
        return value

    server._Handler._read_json = read_json


# ---------------------------------------------------------------- the initiators


def _client_integrity_message_with_digests() -> None:
    # ERR-5: "An EROR message MUST NOT contain secrets (passwords, keys, file content)":
    # digests and sizes are none of these. This initiator's integrity_failed message gives
    # both digests and both sizes (the announced digest is attacker-controlled: 64
    # characters, within "SHOULD NOT echo ... beyond 64 characters").
    app = _module("reference.app")
    errors = _module("reference.errors")
    original = app._Transfer.check_done

    def check_done(self: Any, done: Any) -> None:
        try:
            original(self, done)
        except errors.RemoteProtocolError as exc:
            computed = self.digest.hexdigest()
            raise errors.RemoteProtocolError(
                exc.code,
                f"integrity failed: DONE says {done.size} bytes, sha256 {done.sha256}; "
                f"received {self.count} of {self.announced} bytes, sha256 {computed}",
            ) from None

    app._Transfer.check_done = check_done


def _eke_client_euler_residuosity() -> None:
    # EKE-X-3 leaves the residuosity test to the implementation; EKE-SEC-4: "blinding it
    # ... or a fixed-schedule computation is not [value-dependent]". This client decides
    # it by Euler's criterion, Y'^((p-1)/2) mod p, with pycryptodome's natural numbers.
    crypto = _module("reference.eke.crypto")
    numbers = _module("Crypto.Math.Numbers")
    half = (crypto.P - 1) // 2

    def is_residue(value: int) -> bool:
        power = numbers.Integer(value % crypto.P)
        power.inplace_pow(half, crypto.P)
        return bool(int(power) == 1)

    crypto._is_residue_blinded = is_residue


# ---------------------------------------------------------------- the list


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    apply: Callable[[], None],
    *,
    client: bool = False,
    ca: bool = False,
) -> Reading:
    return Reading(
        name, profile, requirements, test_files, description, apply, client=client, ca=ca
    )


_FRM10 = (
    "FRM-10: 'A receiver MUST ignore members of a control object that the schema does not "
    "define (extensibility). A sender MAY add such members'"
)

READINGS: tuple[Reading, ...] = (
    # --- the application layer, both profiles: the new put and request cases
    _r(
        "s10b-pki-json-extra-members-new-puts",
        "pki",
        _NEW_PUT_REQS,
        _NEW_PUT_FILES,
        f"{_FRM10}: every RSFL, DONE and EROR of the responder carries undefined members",
        fp1._json_extra_members,
    ),
    _r(
        "s10b-eke-json-extra-members-new-puts",
        "eke",
        (*_NEW_PUT_REQS, "APP-NAME-2", "APP-PUT-7", "EKE-REC-2"),
        (*_NEW_PUT_FILES, _LATER, _RECORDS),
        f"{_FRM10}: every control payload of the server carries undefined members",
        fp1._json_extra_members,
    ),
    _r(
        "s10b-pki-json-every-style-new-cases",
        "pki",
        ("ERR-2", "ERR-1", "APP-PUT-3", "APP-2", "FRM-16"),
        (_ERROR_FRAMES, _INBOX_FILES, _INBOX_LINKS, _LONG_SESSIONS, _FRAMING),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): every control payload with "
        "members reversed, undefined members, every string escaped, white space around",
        fp1._json_every_style,
    ),
    _r(
        "s10b-eke-json-every-style-new-cases",
        "eke",
        ("APP-NAME-2", "APP-NAME-1", "APP-NAME-8", "APP-2", "ERR-3", "EKE-REC-2", "EKE-REC-4"),
        (_LATER, _RECORDS, _RESTART_STATE, _LONG_SESSIONS),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): every control payload with "
        "members reversed, undefined members, every string escaped, white space around",
        fp1._json_every_style,
    ),
    _r(
        "s10b-pki-small-data-frames-new-gets",
        "pki",
        ("APP-2", "APP-PUT-5", "APP-GET-2"),
        (_LONG_SESSIONS, _INTERLEAVED, _PUT_SEQUENCE, "test_app_share_files.py"),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': gets served in "
        "DATA frames of 1 byte, then growing sizes",
        fp1._pki_small_data_frames,
    ),
    _r(
        "s10b-eke-small-data-frames-new-gets",
        "eke",
        ("APP-2", "APP-GET-2", "APP-NAME-2", "EKE-REC-2", "EKE-REC-4"),
        (_LATER, _RECORDS, _LONG_SESSIONS, _INTERLEAVED),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': gets served in "
        "DATA records of 1 byte, then growing sizes",
        fp1._eke_small_data_frames,
    ),
    _r(
        "s10b-eke-slow-put-done-new-puts",
        "eke",
        (*_NEW_PUT_REQS, "FRM-13", "APP-STORE-3", "EKE-REC-2"),
        (*_NEW_PUT_FILES, _FRAMING, _LATER, _RECORDS, _RESTART_STATE),
        "APP-PUT-5: 'answer DONE {size, sha256} only once the file is durably stored' "
        "sets no time: every put's DONE comes late (a slow fsync)",
        fp1._eke_slow_put_done,
    ),
    _r(
        "s10b-eke-slow-close-after-fatal-new-cases",
        "eke",
        ("APP-STORE-3", "ERR-3", "FRM-16", "LIM-4", "LIM-8", "ERR-2"),
        (_PUT, _FRAMING, _SECOND_USE, _LATER, _ERROR_FRAMES),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s'): "
        "every close after the server's fatal EROR 0.6 s later",
        s9._eke_slow_close_after_every_fatal_eror,
    ),
    _r(
        "s10b-pki-slow-close-after-fatal-new-cases",
        "pki",
        ("APP-STORE-3", "ERR-3", "FRM-16", "PKI-TLS-10", "ERR-2"),
        (_PUT, _FRAMING, _UNPROMPTED, _ERROR_FRAMES),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s'): "
        "every close after the responder's fatal EROR 0.6 s later",
        s9._pki_slow_close_after_every_fatal_eror,
    ),
    _r(
        "s10b-eke-fatal-graceful-close-new-cases",
        "eke",
        ("APP-STORE-3", "ERR-3", "FRM-16", "EKE-REC-4"),
        (_PUT, _FRAMING, _RECORDS),
        "ERR-3: 'The close follows the EROR at once': a FIN at once, then what the peer "
        "still sends read and dropped (never processed) for up to 1 s",
        fp1._eke_fatal_graceful_close,
    ),
    _r(
        "s10b-eke-no-bye-echo-new-cases",
        "eke",
        ("EKE-REC-2", "APP-2"),
        (_RECORDS, _LATER),
        "§3.1: 'BYE_ | I→R (R→I MAY echo)': the server never echoes BYE_, it closes",
        fp1._no_bye_echo,
    ),
    _r(
        "s10b-eke-nagle-new-cases",
        "eke",
        ("APP-2", "APP-NAME-2", "EKE-REC-2", "APP-PUT-5"),
        (_LONG_SESSIONS, _LATER, _RECORDS, _INTERLEAVED),
        "no requirement sets a latency: Nagle's algorithm left on (no TCP_NODELAY)",
        fp1._nagle,
    ),
    _r(
        "s10b-pki-nagle-new-cases",
        "pki",
        ("APP-2", "APP-PUT-5", "LIM-5"),
        (_LONG_SESSIONS, _INTERLEAVED, _PUT_SEQUENCE),
        "no requirement sets a latency: Nagle's algorithm left on (no TCP_NODELAY)",
        fp1._nagle,
    ),
    _r(
        "s10b-pki-special-files-forbidden-error-frames",
        "pki",
        ("ERR-2", "ERR-1"),
        (_ERROR_FRAMES,),
        "APP-GET-2: 'one that denotes another non-regular file (a FIFO, a socket, a "
        "device) `not_found` or `forbidden`'",
        s9._special_files_forbidden,
    ),
    # --- sft-eke/1 server: the new throttle, slot and handshake cases
    _r(
        "s10b-eke-slow-eke2-new-cases",
        "eke",
        (
            "EKE-THR-6",
            "ERR-7",
            "EKE-THR-2",
            "EKE-THR-5",
            "EKE-THR-1",
            "LIM-4",
            "LIM-8",
            "FRM-10",
            "EKE-X-3",
            "EKE-THR-8",
        ),
        (_THROTTLING, _INTERLEAVED_LOGINS, _SECOND_USE, _HANDSHAKE, "test_eke_restart_locks.py"),
        "EKE-HS-2 sets no time for EKE2 but LIM-1's handshake timeout: every EKE2 0.15 s "
        "later, whoever the user (EKE-HS-3)",
        fp1._eke_slow_eke2,
    ),
    # --- sft-pki/1 responder: refusals and keys
    _r(
        "s10b-pki-refuse-subject-alt-name",
        "pki",
        ("PKI-ID-2", "PKI-ID-3", "PKI-ID-4", "PKI-CERT-1", "PKI-CERT-9", "PKI-TLS-10"),
        (_IDENTITY, _UNPROMPTED, _RSA),
        "PKI-CERT-9: 'it MAY also refuse other departures from PKI-CERT-1 that the CA "
        "should never issue ... a conformance case MUST NOT judge that choice either way'; "
        "CA-ENR-17: an employee certificate 'MUST NOT carry' a subjectAltName: a client "
        "certificate with one is refused after the handshake (EROR auth_failed)",
        _pki_refuse_subject_alt_name,
    ),
    _r(
        "s10b-pki-refusal-decided-late",
        "pki",
        (*_REFUSAL_REQS, "ERR-3", "PKI-ID-3", "PKI-ID-4"),
        (_UNPROMPTED, _IDENTITY),
        "PKI-TLS-10: 'at once (ERR-3)'; ERR-3: 'the conformance suite allows 2 s': the "
        "responder's certificate check takes 0.4 s before its refusal",
        _pki_refusal_decided_late,
    ),
    _r(
        "s10b-pki-refusal-close-notify-only-unprompted",
        "pki",
        (*_REFUSAL_REQS, "ERR-3"),
        (_UNPROMPTED,),
        "PKI-TLS-10: 'or a TLS alert, or `close_notify`, and the close, without an `EROR`'",
        ambig._refusal_close_notify_only,
    ),
    _r(
        "s10b-pki-alpn-alert-unprompted",
        "pki",
        ("PKI-TLS-10", "PKI-TLS-2", "ERR-3"),
        (_UNPROMPTED,),
        "PKI-TLS-10: 'a TLS alert in the handshake (... `no_application_protocol`, …)'",
        ambig._alpn_alert_in_handshake,
    ),
    _r(
        "s10b-pki-cert-checked-after-handshake-new-cases",
        "pki",
        (*_REFUSAL_REQS, "ERR-3", "PKI-CERT-1", "PKI-TLS-9"),
        (_UNPROMPTED, _RSA),
        "PKI-TLS-10: 'a responder may make some checks (PKI-CERT-1/5/9, PKI-ID-4, ALPN) in "
        "its own code once its TLS stack has completed'",
        fp1._pki_certificate_checked_after_handshake,
    ),
    _r(
        "s10b-pki-sha256-sigalgs-only",
        "pki",
        ("PKI-CERT-1", "PKI-CERT-9", "PKI-TLS-9", "PKI-ID-3"),
        (_RSA, _IDENTITY),
        "PKI-TLS-9 bounds what is negotiated; a subset conforms: ecdsa_secp256r1_sha256 and "
        "rsa_pss_rsae_sha256 only (PKI-CERT-9: 'PKI-TLS-9's signature algorithms cover both')",
        _pki_sha256_sigalgs_only,
    ),
    # --- the initiators
    _r(
        "s10b-eke-client-integrity-message-with-digests",
        "eke",
        ("ERR-5",),
        (_ERROR_CONTENT,),
        "ERR-5: 'MUST NOT contain secrets (passwords, keys, file content) and SHOULD NOT "
        "echo attacker-controlled bytes beyond 64 characters': both digests and sizes",
        _client_integrity_message_with_digests,
        client=True,
    ),
    _r(
        "s10b-pki-initiator-integrity-message-with-digests",
        "pki",
        ("ERR-5",),
        (_ERROR_CONTENT,),
        "ERR-5: 'MUST NOT contain secrets (passwords, keys, file content) and SHOULD NOT "
        "echo attacker-controlled bytes beyond 64 characters': both digests and sizes",
        _client_integrity_message_with_digests,
        client=True,
    ),
    _r(
        "s10b-eke-client-euler-residuosity",
        "eke",
        ("EKE-X-3", "EKE-X-2", "VEC-2"),
        (_SIGNS, _CLIENT_ENCODINGS),
        "EKE-SEC-4: 'blinding it ... or a fixed-schedule computation is not' value-dependent: "
        "the client's residuosity of Y' by Euler's criterion",
        _eke_client_euler_residuosity,
        client=True,
    ),
    _r(
        "s10b-eke-client-full-exponent-new-cases",
        "eke",
        ("EKE-HS-10", "EKE-X-1", "EKE-X-3", "EKE-X-2", "EKE-THR-7"),
        (_BUSY_RETRIES, _SIGNS),
        "EKE-X-1: 'a fresh secret exponent x with 1 < x < q carrying at least 320 random "
        "bits': the client's x uniform below q",
        fp2._eke_full_exponent,
        client=True,
    ),
    _r(
        "s10b-eke-client-split-writes-new-cases",
        "eke",
        ("VEC-2", "ERR-5", "EKE-X-3"),
        (_CLIENT_ENCODINGS, _ERROR_CONTENT, _SIGNS),
        "FRM-4: 'a header split from its payload MUST ... be processed identically': the "
        "client's writes split",
        fp2._eke_split_writes,
        client=True,
    ),
    _r(
        "s10b-pki-initiator-split-writes-new-cases",
        "pki",
        ("VEC-2", "ERR-5"),
        (_CLIENT_ENCODINGS, _ERROR_CONTENT),
        "FRM-4: 'a header split from its payload MUST ... be processed identically': each "
        "control frame's header in its own TLS record",
        fp2._pki_split_writes,
        client=True,
    ),
    # --- the CA
    _r(
        "s10b-ca-csr-checked-first-new-cases",
        "pki",
        ("CA-ENR-21", "CA-ENR-7", "CA-ENR-2", "CA-ENR-10", "CA-ENR-4"),
        (_CA_GUESSES, _CA_ACCOUNTS, _CA_CSR),
        "CA-ENR-21: '`400 bad_csr` (the CSR is checked first and the password is not "
        "verified: nothing counts ...)'",
        _ca_csr_checked_first,
        ca=True,
    ),
    _r(
        "s10b-ca-parse-first-profile-after-password",
        "pki",
        ("CA-ENR-21", "CA-ENR-7", "CA-ENR-3", "CA-ENR-13", "CA-ENR-2"),
        (_CA_GUESSES, "test_ca_throttle.py", _CA_CSR),
        "CA-ENR-21: 'MAY be answered either way ... Whatever the order': an unparseable csr "
        "400 bad_csr before the password, a parseable one with a bad key or signature after "
        "it",
        _ca_parse_first_profile_later,
        ca=True,
    ),
    _r(
        "s10b-ca-slow-logins-new-cases",
        "pki",
        ("CA-ENR-21", "CA-ENR-7", "CA-ENR-2"),
        (_CA_GUESSES, _CA_ACCOUNTS),
        "CA-ENR-5/6 set no time for a login: every password check takes longer (a costlier scrypt)",
        fp2._ca_slow_logins,
        ca=True,
    ),
    _r(
        "s10b-ca-close-every-answer-new-cases",
        "pki",
        ("CA-ENR-2", "CA-ENR-21", "CA-ENR-10", "CA-ENR-4", "CA-ENR-11", "CA-ENR-8"),
        (_CA_ACCOUNTS, _CA_GUESSES, _CA_CSR, _CA_RESTART_REVOCATION),
        "HTTP/1.1 (RFC 9112 §9.6): a server MAY close after any answer (Connection: close)",
        fp2._ca_close_every_answer,
        ca=True,
    ),
    _r(
        "s10b-ca-json-pretty-reordered-new-cases",
        "pki",
        ("CA-ENR-2", "CA-ENR-21", "CA-ENR-7"),
        (_CA_ACCOUNTS, _CA_GUESSES),
        "RFC 8259: the CA's JSON answers indented, members in another order",
        fp2._ca_json_pretty_reordered,
        ca=True,
    ),
    _r(
        "s10b-ca-uuid-serials",
        "pki",
        ("CA-ENR-10", "CA-ENR-2", "CA-ENR-4", "PKI-CERT-1"),
        (_CA_CSR, _CA_ACCOUNTS),
        "CA-ENR-10: 'a random serial of at least 64 bits ... positive, at most 20 octets': a "
        "version-4 UUID (122 random bits)",
        _ca_uuid_serials,
        ca=True,
    ),
    _r(
        "s10b-ca-backdate-one-hour-new-cases",
        "pki",
        ("CA-ENR-10", "CA-ENR-2", "CA-ENR-11", "CA-ENR-8"),
        (_CA_CSR, _CA_ACCOUNTS, _CA_RESTART_REVOCATION),
        "CA-ENR-10: '`notBefore` MAY be backdated by up to one hour for clock skew'",
        fp2._ca_backdate_one_hour,
        ca=True,
    ),
    _r(
        "s10b-ca-501-unknown-transfer-coding",
        "pki",
        ("CA-ENR-9",),
        (_CA,),
        "CA-ENR-9: 'a Transfer-Encoding the CA does not read makes the length unknown' (then "
        "the close); RFC 9112 §6.1: an unknown coding SHOULD get 501: 501 and the close",
        _ca_501_unknown_transfer_coding,
        ca=True,
    ),
)
