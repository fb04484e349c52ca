"""Conforming variants aimed at the twelfth session's new cases (helper FP9): the suite
must PASS them (conformance/selftest/test_ambig_readings.py).

This session's lens ("sloppy output": every field a target emits is checked) made the
suite stricter about what targets send, the place where a case can demand more than the
SPEC does. Each `Reading` plants an allowed choice the reference does not make, aimed at
a case file this session added or changed; every description quotes the SPEC sentence
that allows the choice. Planted like the mutants: a monkeypatch of the reference inside
the subprocess that runs it; reference modules are reached only through `_module`, at
apply time. Where an earlier session already wrote the variant, its function is reused
and only the case files are new.
"""

from __future__ import annotations

import secrets
import sys
import threading
from collections.abc import Callable
from typing import Any

from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session10 as s10
from conformance.selftest import readings_session11 as s11
from conformance.selftest import readings_session11c as s11c
from conformance.selftest import readings_session12 as s12
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's case files (since 21:30 UTC).
_ANSWER_FRAMES = "test_interop_answer_frames.py"
_CLEAR_ERRORS = "test_eke_clear_errors.py"
_CA_FORMS = "test_ca_answer_forms.py"
_HS_ENCODINGS = "test_eke_handshake_encodings.py"
_CLIENT_ANSWERS = "test_eke_client_answers.py"
_CLIENT_PUT_ACK = "test_eke_client_put_ack.py"
_CLIENT_NAMES = "test_eke_client_request_names.py"
_EXTENSION = "test_app_extension_members.py"
_PUT_CONCURRENT = "test_app_put_concurrent.py"
_PUT_VISIBILITY = "test_app_put_visibility.py"
_GET_CONCURRENT = "test_app_get_concurrent.py"
_CA_CONCURRENT = "test_ca_concurrent_enrolments.py"
_CA_REVOCATION = "test_ca_revocation_records.py"
_CA_KEYS = "test_ca_key_forms.py"
_CA_INCOMPLETE = "test_ca_incomplete_bodies.py"
_BOOKKEEPING = "test_eke_login_bookkeeping.py"
_SHARE_SCOPE = "test_eke_share_scope.py"
_UNDEFINED = "test_eke_undefined_types.py"
_IDLE_SHARED = "test_ops_idle_shared.py"
_PRINCIPALS = "test_ops_throttle_principals.py"
_UNPROMPTED = "test_pki_refusal_unprompted.py"
# Landed later (helper B53): the pki initiator's put and the enrolment client's TLS.
_PUT_IDENTITY = "test_client_pki_put_identity.py"
_CLIENT_CERTS = "test_client_pki_certs.py"
_CERT_VARIANTS = "test_client_pki_cert_variants.py"
_ENROLL_TLS = "test_enroll_tls.py"

_APP_FILES = (_EXTENSION, _PUT_CONCURRENT, _PUT_VISIBILITY, _GET_CONCURRENT, _IDLE_SHARED)
_APP_REQS = ("FRM-10", "APP-GET-2", "APP-PUT-3", "APP-STORE-1", "APP-PUT-5", "APP-STORE-2")
_THR_FILES = (_PRINCIPALS, _BOOKKEEPING)
_THR_REQS = ("EKE-THR-1", "EKE-THR-2", "EKE-THR-4", "EKE-THR-5", "EKE-THR-6", "EKE-THR-7")


# ---------------------------------------------------------------- the eke server's EROR


def _eke_admission_busy_retry_after_zero() -> None:
    # LIM-4: "refuse new connections (close, or `EROR busy` where possible)"; LIM-8 the
    # same; neither asks for `retry_after`. FRM-11: an integer member is "in 0 … 2^63−1".
    # EKE-THR-7's "at least 1" is the pending-login cap's busy. This server's admission
    # `busy` says `retry_after: 0` ("try again when you like": it cannot know when a slot
    # frees).
    fp1._load_everything()
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    original = server.encode_error

    def encode_error(code: Any, message: str, retry_after: int | None = None) -> bytes:
        if code is errors.ErrorCode.BUSY and retry_after is None:
            retry_after = 0
        data: bytes = original(code, message, retry_after)
        return data

    server.encode_error = encode_error


def _eror_512_characters_astral() -> None:
    # ERR-1: `message` is "human-readable, at most 512 characters": exactly 512 characters
    # (Unicode code points), the last ones astral (two UTF-16 units, four UTF-8 bytes each).
    def rewrite(message: str) -> str:
        text = f"refusé « {message} » — "
        return (text + "\U0001f6ab" * 512)[:512]

    fp1._patch_errors(rewrite)


def _both(*applies: Callable[[], None]) -> Callable[[], None]:
    """Several variants planted together (one server start, one run)."""

    def apply() -> None:
        for each in applies:
            each()

    return apply


# ---------------------------------------------------------------- the eke client


def _eke_client_auth_failed_message_with_reference() -> None:
    # ERR-6: no "message that differs by the internal cause of an authentication
    # failure"; ERR-1: "`name` and `message` are for people". This client's EROR messages
    # carry a reference to its own log line (random per connection): they differ from one
    # connection to the next, never by the cause.
    handshake = _module("reference.eke.handshake")
    original = handshake._public_message

    def public_message(exc: Any) -> str:
        text: str = original(exc)
        return f"{text} (log reference {secrets.token_hex(4)})"

    handshake._public_message = public_message


def _eke_client_refuses_untidy_names() -> None:
    # APP-NAME-2 ("a name that ... has an empty, `.` or `..` component" is refused) and
    # APP-NAME-3 (used literally): this client refuses such a name itself, before it
    # connects, instead of asking the server for it (exit status 2, a message).
    cli = _module("reference.cli.eke")
    original = cli._get

    def get(args: Any) -> int:
        name = str(args.name)
        if name.startswith("/") or any(part in ("", ".", "..") for part in name.split("/")):
            print(f"sft: refusing the name {name[:64]!r}: not a valid name", file=sys.stderr)
            return 2
        result: int = original(args)
        return result

    cli._get = get


# ---------------------------------------------------------------- the enrolment client


def _enroll_aes256_secp384r1() -> None:
    # PKI-TLS-9: the endpoints "MUST negotiate only these TLS 1.3 parameters" (a list to
    # choose from, not a list to offer in full): this enrolment client offers one cipher
    # suite, TLS_AES_256_GCM_SHA384, and one group, secp384r1 (a P-384-only policy).
    fp2._tls_parameters(groups="P-384", suites="TLS_AES_256_GCM_SHA384")


# ---------------------------------------------------------------- the CA


def _ca_certificate_with_explanatory_text() -> None:
    # CA-ENR-2: `200 {"certificate": PEM}`; RFC 7468 §2: "Data before the encapsulation
    # boundaries are permitted, and parsers MUST NOT malfunction when processing such
    # data" (§5.2: explanatory text, as `openssl x509 -subject -issuer` prints it). This
    # CA puts the certificate's subject and issuer before its one CERTIFICATE block.
    handler = fp2._ca_handler()
    x509 = _module("cryptography.x509")
    original = handler._send_json

    def send_json(self: Any, status: Any, body: dict[str, Any], **kwargs: Any) -> None:
        pem = body.get("certificate")
        if int(status) == 200 and isinstance(pem, str):
            cert = x509.load_pem_x509_certificate(pem.encode())
            text = (
                f"subject={cert.subject.rfc4514_string()}\nissuer={cert.issuer.rfc4514_string()}\n"
            )
            body = {**body, "certificate": text + pem}
        original(self, status, body, **kwargs)

    handler._send_json = send_json


def _ca_one_enrolment_at_a_time() -> None:
    # No requirement asks a CA to verify passwords or sign in parallel (CA-ENR-14 bounds
    # pending attempts; it does not ask for several): this CA serves one enrolment at a
    # time (a process-wide lock around each, scrypt and signing included), the others
    # wait their turn.
    handler = fp2._ca_handler()
    original = handler._enroll
    lock = threading.Lock()

    def enroll(self: Any) -> None:
        with lock:
            original(self)

    handler._enroll = enroll


def _ca_incomplete_body_closed_unanswered() -> None:
    # CA-ENR-9: "a body its client ends early ... is an incomplete message (RFC 9112 §8)
    # that MUST NOT be acted on — no certificate is issued for it; the CA MAY answer it
    # `400` and closes": this CA closes without answering it.
    handler = fp2._ca_handler()
    original = handler._send_json

    def send_json(self: Any, status: Any, body: dict[str, Any], **kwargs: Any) -> None:
        if int(status) == 400 and body.get("message") == "the body ended early":
            self.close_connection = True
            return
        original(self, status, body, **kwargs)

    handler._send_json = send_json


# ---------------------------------------------------------------- the list


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    apply: Callable[[], None],
    **kw: Any,
) -> Reading:
    return Reading(name, profile, requirements, test_files, description, apply, **kw)


_EVERY_STYLE = (
    "RFC 8259 and FRM-10 ('A sender MAY add such members'): members reversed, undefined "
    "members added, every string escaped, white space around the object"
)
_NO_BYE = "§3.2: 'IDLE | BYE_ | MAY send BYE_, close'; APP-BYE-1: 'the responder MAY answer'"
_RSFL_SMALL = (
    "APP-GET-2: 'RSFL {name, size} (and MAY include sha256)'; FRM-13: a DATA payload is "
    "'1 to 1 048 576 bytes' (the sender chooses each size): small, varying DATA frames"
)

READINGS: tuple[Reading, ...] = (
    # --- the responders' JSON: every frame they send is judged now
    _r(
        "s12b-eke-json-every-style-frames",
        "eke",
        ("FRM-14", "ERR-1", "ERR-2", "EKE-HS-2", "EKE-HS-6", "FRM-5", "APP-BYE-1"),
        (_ANSWER_FRAMES, _CLEAR_ERRORS, _HS_ENCODINGS, _UNDEFINED),
        _EVERY_STYLE,
        fp1._json_every_style,
    ),
    _r(
        "s12b-eke-json-every-style-app",
        "eke",
        (*_APP_REQS, "APP-2", "LIM-2", "APP-NAME-4"),
        (*_APP_FILES, _SHARE_SCOPE),
        _EVERY_STYLE,
        fp1._json_every_style,
    ),
    _r(
        "s12b-pki-json-every-style",
        "pki",
        ("FRM-14", "APP-BYE-1", *_APP_REQS, "PKI-TLS-10", "ERR-3"),
        (_ANSWER_FRAMES, *_APP_FILES, _UNPROMPTED),
        _EVERY_STYLE,
        fp1._json_every_style,
    ),
    _r(
        "s12b-eke-json-every-style-throttle",
        "eke",
        (*_THR_REQS, "ERR-1", "ERR-7"),
        _THR_FILES,
        _EVERY_STYLE,
        fp1._json_every_style,
    ),
    _r(
        "s12b-eke-rsfl-sha256-small-frames-no-bye-echo",
        "eke",
        ("FRM-14", "FRM-11", "FRM-12", "APP-GET-2", "APP-2", "FRM-10", "APP-BYE-1"),
        (_ANSWER_FRAMES, _GET_CONCURRENT, _EXTENSION),
        f"{_RSFL_SMALL}; {_NO_BYE}: no echo",
        _both(fp1._rsfl_with_sha256, fp1._eke_small_data_frames, fp1._no_bye_echo),
    ),
    _r(
        "s12b-pki-rsfl-sha256-small-frames-no-bye-echo",
        "pki",
        ("FRM-14", "FRM-11", "FRM-12", "APP-GET-2", "APP-2", "FRM-10", "APP-BYE-1"),
        (_ANSWER_FRAMES, _GET_CONCURRENT, _EXTENSION),
        f"{_RSFL_SMALL}; {_NO_BYE}: no echo",
        _both(fp1._rsfl_with_sha256, fp1._pki_small_data_frames, fp1._no_bye_echo),
    ),
    _r(
        "s12b-eke-slow-put-done",
        "eke",
        ("APP-STORE-1", "APP-PUT-1", "APP-PUT-5", "APP-STORE-2", "APP-STORE-3", "FRM-14"),
        (_PUT_CONCURRENT, _PUT_VISIBILITY, _ANSWER_FRAMES, _EXTENSION),
        "APP-PUT-5: 'answer DONE ... only once the file is durably stored' (a slow disk, "
        "an fsync): every put's DONE 0.8 s after the last byte",
        fp1._eke_slow_put_done,
    ),
    _r(
        "s12b-eror-512-characters-astral",
        "eke",
        ("FRM-14", "ERR-1", "ERR-2", "FRM-5"),
        (_ANSWER_FRAMES, _CLEAR_ERRORS, _UNDEFINED),
        "ERR-1: 'message (human-readable, at most 512 characters)': exactly 512, "
        "non-ASCII and astral ones among them",
        _eror_512_characters_astral,
    ),
    # --- the eke server's clear-text errors, closes and throttle
    _r(
        "s12b-eke-admission-busy-retry-after-zero",
        "eke",
        ("ERR-1", "ERR-2", "ERR-7"),
        (_CLEAR_ERRORS,),
        "LIM-4/LIM-8: 'close, or EROR busy where possible' (no retry_after asked); FRM-11: "
        "integers 'in 0 … 2^63−1': the admission's busy carries retry_after 0",
        _eke_admission_busy_retry_after_zero,
    ),
    _r(
        "s12b-eke-drain-after-fatal-eror",
        "eke",
        ("ERR-1", "ERR-2", "FRM-5", *_THR_REQS),
        (_CLEAR_ERRORS, _UNDEFINED, *_THR_FILES),
        "ERR-3: 'a lingering close — the FIN at once, then what the peer still sends read "
        "and discarded ... for at most 2 s — is at once'",
        s12._eke_drain_after_every_fatal_eror,
    ),
    _r(
        "s12b-eke-slow-eke2",
        "eke",
        ("EKE-HS-2", "EKE-HS-6", "ERR-1", *_THR_REQS),
        (_HS_ENCODINGS, _CLEAR_ERRORS, *_THR_FILES),
        "no requirement sets how fast EKE2 comes (LIM-1 bounds the handshake): every "
        "EKE2 0.15 s late",
        fp1._eke_slow_eke2,
    ),
    _r(
        "s12b-eke-tables-by-whole-seconds",
        "eke",
        _THR_REQS,
        _THR_FILES,
        "EKE-THR-9: 'Failures less than one second apart MAY be taken as simultaneous (a "
        "failure time kept in whole seconds)'",
        s11c._eke_tables_by_whole_seconds,
    ),
    # --- idle timers
    _r(
        "s12b-eke-idle-swept-every-half-period",
        "eke",
        ("LIM-2", "LIM-5"),
        (_IDLE_SHARED,),
        "LIM-2: 'within 1.5 × the idle timeout of its last byte (timers may be checked "
        "periodically, not at every tick)': a half-period sweep",
        s11c._idle_swept_every_half_period,
    ),
    _r(
        "s12b-eke-timeouts-late-busy-retry-after-3",
        "eke",
        ("LIM-2", "LIM-5", "ERR-1", "ERR-7", "EKE-THR-7"),
        (_IDLE_SHARED, _CLEAR_ERRORS, _BOOKKEEPING),
        "LIM-1/LIM-2 bound when, not to the millisecond ('timers may be checked "
        "periodically'): handshake and idle timeouts 0.5 s late; EKE-THR-7: busy with "
        "'retry_after (an integer number of seconds, at least 1)': 3",
        _both(fp1._timeouts_late, fp1._eke_busy_retry_after_longer),
    ),
    # --- the eke client
    _r(
        "s12b-eke-client-auth-failed-message-with-reference",
        "eke",
        ("ERR-6", "EKE-HS-4"),
        (_CLIENT_ANSWERS,),
        "ERR-6 forbids 'a message that differs by the internal cause of an authentication "
        "failure'; ERR-1: 'name and message are for people': a random log reference in "
        "every EROR message",
        _eke_client_auth_failed_message_with_reference,
        client=True,
    ),
    _r(
        "s12b-eke-client-refuses-untidy-names",
        "eke",
        ("APP-NAME-3",),
        (_CLIENT_NAMES,),
        "APP-NAME-2: a name with 'an empty, `.` or `..` component' is refused: this client "
        "refuses it itself, before it connects",
        _eke_client_refuses_untidy_names,
        client=True,
    ),
    _r(
        "s12b-eke-client-json-style",
        "eke",
        ("FRM-6", "FRM-11", "ERR-1", "FRM-13", "EKE-HS-9", "APP-PUT-10", "APP-NAME-3"),
        (_CLIENT_ANSWERS, _CLIENT_PUT_ACK, _CLIENT_NAMES),
        "FRM-8/9: a control payload is any JSON object (RFC 8259): members in another "
        "order, white space, non-ASCII as \\u escapes",
        fp2._json_other_style,
        client=True,
    ),
    _r(
        "s12b-eke-client-own-error-words",
        "eke",
        ("ERR-1", "ERR-6", "FRM-6", "EKE-HS-9"),
        (_CLIENT_ANSWERS,),
        "ERR-1: 'A receiver MUST act on code only; name and message are for people': the "
        "client's EROR messages in its own words",
        fp2._other_error_messages,
        client=True,
    ),
    # --- the pki initiator's put and its refusals (B53)
    _r(
        "s12b-pki-initiator-mismatch-bare-close-put",
        "pki",
        ("PKI-ID-1", "PKI-ID-4", "PKI-TLS-7"),
        (_PUT_IDENTITY, _CERT_VARIANTS),
        "PKI-ID-1: 'How it ends that connection (a TLS alert, close_notify, or a TCP "
        "close) is its choice': a bare TCP close on an alias mismatch",
        s10._initiator_mismatch_bare_close,
        client=True,
    ),
    _r(
        "s12b-pki-initiator-auth-failed-after-handshake-put",
        "pki",
        ("PKI-CERT-5", "PKI-CERT-9", "PKI-TLS-7", "ERR-1", "PKI-ID-4"),
        (_PUT_IDENTITY, _CLIENT_CERTS, _CERT_VARIANTS),
        "PKI-TLS-7: 'An initiator that refuses the responder's certificate for PKI-CERT-* "
        "or PKI-ID-4 once its TLS handshake has completed' sends EROR auth_failed, then "
        "close_notify: its own checks after the handshake",
        s11._pki_initiator_auth_failed_after_handshake,
        client=True,
    ),
    _r(
        "s12b-pki-initiator-x509-strict-put",
        "pki",
        ("PKI-CERT-5", "PKI-CERT-9", "PKI-TLS-7", "PKI-ID-1"),
        (_PUT_IDENTITY, _CLIENT_CERTS),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them (Python ≥ "
        "3.13's VERIFY_X509_STRICT ...)': an initiator on a strict RFC 5280 verifier",
        s10._initiator_x509_strict,
        client=True,
    ),
    s11.EnrollReading(
        "s12b-enroll-aes256-secp384r1",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-8"),
        (_ENROLL_TLS,),
        "PKI-TLS-9: 'MUST negotiate only these TLS 1.3 parameters' (a subset is allowed): "
        "one suite, TLS_AES_256_GCM_SHA384, one group, secp384r1",
        _enroll_aes256_secp384r1,
        client=True,
    ),
    s11.EnrollReading(
        "s12b-enroll-retries-once",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-8"),
        (_ENROLL_TLS,),
        "CA-ENR-12: 'any other answer ... fails the enrolment'; nothing forbids asking "
        "again first: a 429 or 500 retried once after its Retry-After",
        s11._enroll_retries_once,
        client=True,
    ),
    # --- the CA
    _r(
        "s12b-ca-certificate-with-explanatory-text",
        "pki",
        ("CA-ENR-2", "CA-ENR-4", "CA-ENR-11", "PKI-CERT-13", "CA-ENR-13"),
        (_CA_FORMS, _CA_KEYS, _CA_CONCURRENT, _CA_REVOCATION),
        'CA-ENR-2: \'200 {"certificate": PEM}\'; RFC 7468 §2: "Data before the '
        'encapsulation boundaries are permitted": subject= and issuer= lines before the '
        "one CERTIFICATE block",
        _ca_certificate_with_explanatory_text,
        ca=True,
    ),
    _r(
        "s12b-ca-pem-crlf",
        "pki",
        ("CA-ENR-2", "CA-ENR-4", "CA-ENR-11", "PKI-CERT-13", "CA-ENR-13"),
        (_CA_FORMS, _CA_KEYS, _CA_CONCURRENT, _CA_REVOCATION),
        "RFC 7468 §2: PEM 'lines are divided with CRLF, CR, or LF': the certificate "
        "member's (and the root's) lines end in CRLF",
        fp2._ca_pem_crlf,
        ca=True,
    ),
    _r(
        "s12b-ca-one-enrolment-at-a-time-crl-hourly",
        "pki",
        ("CA-ENR-2", "CA-ENR-4", "CA-ENR-11"),
        (_CA_CONCURRENT, _CA_REVOCATION),
        "CA-ENR-14 bounds pending attempts, nothing asks for parallel ones: one enrolment "
        "at a time, the others wait; CA-ENR-8: 'thisUpdate is not in the future ... it "
        "lists every revocation made before the request': a CRL dated the start of the "
        "hour, reissued when the store holds a revocation it lacks",
        _both(_ca_one_enrolment_at_a_time, s11c._ca_crl_issued_hourly),
        ca=True,
    ),
    _r(
        "s12b-ca-incomplete-body-closed-unanswered",
        "pki",
        ("CA-ENR-9", "CA-ENR-2"),
        (_CA_INCOMPLETE,),
        "CA-ENR-9: an incomplete body 'MUST NOT be acted on ... the CA MAY answer it 400 "
        "and closes': closed without an answer",
        _ca_incomplete_body_closed_unanswered,
        ca=True,
    ),
    _r(
        "s12b-ca-json-charset-answers-host-alias-403",
        "pki",
        ("CA-ENR-9", "CA-ENR-2", "CA-ENR-10", "CA-ENR-4", "CA-ENR-17"),
        (_CA_FORMS,),
        "CA-ENR-2: 'a Content-Type of application/json with parameters (; charset=utf-8 "
        "...) is application/json': every JSON answer so labelled; CA-ENR-17: 'refuse to "
        "enrol (400 or 403, an error answer of CA-ENR-9)': 403",
        _both(fp2._ca_json_charset, fp2._ca_host_alias_403),
        ca=True,
    ),
    _r(
        "s12b-ca-extra-members-escaped",
        "pki",
        ("CA-ENR-9", "CA-ENR-2", "CA-ENR-4", "PKI-CERT-13"),
        (_CA_FORMS, _CA_KEYS),
        "every answer 'a JSON object' (RFC 8259 §7: any escapes): members of its own added",
        fp2._ca_extra_members,
        ca=True,
    ),
    _r(
        "s12b-ca-http10",
        "pki",
        ("CA-ENR-9", "CA-ENR-2", "CA-ENR-11"),
        (_CA_FORMS, _CA_REVOCATION, _CA_INCOMPLETE),
        "RFC 9110 §2.5: an HTTP/1.0 CA (closes after every answer); the SPEC says HTTPS "
        "and JSON bodies",
        s10._ca_http10,
        ca=True,
    ),
)
