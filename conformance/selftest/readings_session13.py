"""Conforming variants aimed at the thirteenth session's new cases (helper FP10): the suite
must PASS them (conformance/selftest/test_ambig_readings.py).

This session's lenses (fail open, absent means permissive, leaks, number forms, part of a
value compared, half-rolled-back state) made the suite demand more of targets on unhappy
paths: what a refusal leaves behind, when a reservation is given back, how a refused or
failed connection ends. That is where a case can demand more than the SPEC does, or assume
one of several allowed orders or outcomes. Each `Reading` plants an allowed choice the
reference does not make, aimed at a case file this session added or changed (since 00:30
UTC); every description quotes the SPEC sentence that allows the choice. Planted like the
mutants: a monkeypatch of the reference inside the subprocess that runs it; reference
modules are reached only through `_module`, at apply time. Where an earlier session
already wrote the variant, its `apply` is reused (looked up by the earlier reading's
name) and only the case files are new.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from conformance.selftest import mutants_ambig as ambig
from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session9 as s9
from conformance.selftest import readings_session10 as s10
from conformance.selftest import readings_session11 as s11
from conformance.selftest import readings_session11b as s11b
from conformance.selftest import readings_session11c as s11c
from conformance.selftest import readings_session12 as s12
from conformance.selftest import readings_session12b as s12b
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's case files (new or changed since 00:30 UTC).
_APP_GET = "test_app_get.py"
_MEMBER_TYPES = "test_app_member_types.py"
_LEFTOVERS = "test_app_put_refusal_leftovers.py"
_PUT_SEQUENCE = "test_app_put_sequence.py"
_CA_LENGTHS = "test_ca_length_forms.py"
_CA_LOGIN_STATE = "test_ca_login_state.py"
_CA_RESTART_RESETS = "test_ca_restart_resets.py"
_CA_UNHAPPY = "test_ca_unhappy_paths.py"
_CLIENT_CERT_FORMS = "test_client_pki_cert_forms.py"
_CLIENT_UNHAPPY = "test_client_pki_unhappy_paths.py"
_BUSY_REFUSALS = "test_eke_busy_refusals.py"
_CLIENT_BUSY_WRAPS = "test_eke_client_busy_wraps.py"
_CLIENT_CONFIRM = "test_eke_client_confirm_tags.py"
_CLIENT_RECEIPTS = "test_eke_client_put_receipts.py"
_CLIENT_UNDECODABLE = "test_eke_client_undecodable.py"
_FAILURE_MEMORY = "test_eke_failure_memory.py"
_FULL_SERVER = "test_eke_full_server.py"
_INVALID_ELEMENTS = "test_eke_invalid_elements.py"
_LATER_REQUESTS = "test_eke_later_requests.py"
_PUT_ANNOUNCED = "test_eke_put_announced.py"
_PUT_REFUSAL_STATE = "test_eke_put_refusal_state.py"
_ENROLL_EDGES = "test_enroll_answer_edges.py"
_DONE_MEMBERS = "test_interop_done_members.py"
_FAILED_PUT_NAMES = "test_interop_failed_put_names.py"
_REFUSED_PUT_STATE = "test_interop_refused_put_state.py"
_CERT_DECODING = "test_pki_cert_decoding.py"
_IDENTITY = "test_pki_identity.py"
_RSA_EMPLOYEES = "test_pki_rsa_employees.py"
# Landed at 01:40 (rounds B62, B63).
_EVICTED = "test_interop_x_evicted_handshakes.py"
_SIGNERS = "test_interop_x_impostor_signers.py"
_PENDING_ENDINGS = "test_interop_x_pending_endings.py"
_ADMISSION = "test_ops_admission_ledger.py"
_PENDING_LEDGER = "test_ops_eke_pending_ledger.py"
_IDLE_FLOOR = "test_ops_idle_floor.py"
_REFRESHED = "test_ops_pki_refreshed_context.py"
_PUT_AFTER = "test_ops_put_after_failed_put.py"
_DESCRIPTORS = "test_ops_refusal_descriptors.py"
_RUN_TEMPORARIES = "test_client_run_temporaries.py"
_RUN_OUTPUT_DIR = "test_client_run_output_dir.py"
_RUN_CONTROL_LIMITS = "test_client_run_control_limits.py"
_RUN_ENROLMENT = "test_client_run_enrolment.py"
_RUN_PWF = "test_client_run_password_file.py"
# Landed at 01:56 (round B64: the pki initiator's transfers).
_PKI_ERROR_FORMS = "test_client_pki_error_forms.py"
_PKI_GET_ENDINGS = "test_client_pki_get_endings.py"
_PKI_MEMBER_SETS = "test_client_pki_member_sets.py"
_PKI_PUT_STEPS = "test_client_pki_put_steps.py"
# Landed at 02:10 (round I13: the foreign CAs).
_CA_AFTER_THROTTLE = "test_interop_ca_after_a_throttle.py"
_CA_NEAR_NAMES = "test_interop_ca_alias_near_own_names.py"
_CA_BUSY_LEFTOVERS = "test_interop_ca_busy_leftovers.py"
_CA_PSS = "test_interop_ca_pss_csr_hashes.py"
_CA_READMITTED = "test_interop_ca_readmitted_revocations.py"
_CA_REFUSED_SLOTS = "test_interop_ca_refused_login_slots.py"
_CA_ZERO_LENGTHS = "test_interop_ca_zero_like_lengths.py"
_LEDGERS = (_EVICTED, _PENDING_ENDINGS, _ADMISSION, _PENDING_LEDGER)
_LEDGER_REQS = ("EKE-THR-5", "EKE-THR-6", "EKE-THR-7", "LIM-8", "LIM-9")

_EARLIER = (
    ambig.READINGS,
    fp1.READINGS,
    fp2.READINGS,
    s9.READINGS,
    s10.READINGS,
    s11.READINGS,
    s11b.READINGS,
    s11c.READINGS,
    s12.READINGS,
    s12b.READINGS,
)


def _earlier(name: str) -> Reading:
    """An earlier session's reading, by its name."""
    for readings in _EARLIER:
        for reading in readings:
            if reading.name == name:
                return reading
    raise KeyError(name)


def _again(
    earlier: str,
    name: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
) -> Reading:
    """An earlier variant (its apply, profile and flags), judged by this session's cases."""
    return dataclasses.replace(
        _earlier(earlier),
        name=name,
        requirements=requirements,
        test_files=test_files,
        description=description,
    )


def _both(*names: str) -> Callable[[], None]:
    """Several earlier variants planted together (one start, one run)."""
    applies = [_earlier(n).apply for n in names]

    def apply() -> None:
        for each in applies:
            each()

    return apply


# ---------------------------------------------------------------- new variants: responders


def _early_temporary_until_close() -> None:
    # APP-STORE-1: the temporary is ".sft-partial- followed by a random part, created
    # exclusively (O_EXCL) with mode 0600"; APP-STORE-3: "On any failure ... the receiver
    # MUST remove the temporary file" (no moment is set). This responder creates a
    # temporary for every PUTF as it arrives, before any check, and removes the
    # temporaries of its connection when the connection ends (a per-connection scratch
    # area). A refused offer leaves an empty temporary until then, never later.
    fp1._load_everything()
    share = _module("reference.share")
    held = threading.local()

    def early(inbox: Any, size: Any) -> None:
        if inbox is not None:
            temp = share.PartialFile(inbox._fd, "offer", max(0, int(size)))
            held.__dict__.setdefault("temps", []).append(temp)

    def release() -> None:
        for temp in held.__dict__.pop("temps", []):
            with contextlib.suppress(OSError):
                temp.abort()

    def wrap(cls: Any, put: str, serve: str, inbox: Callable[[Any], Any]) -> None:
        original_put = getattr(cls, put)
        original_serve = getattr(cls, serve)

        def put_(self: Any, *args: Any) -> Any:
            early(inbox(self), args[-1].size)  # the request is the last argument
            return original_put(self, *args)

        def serve_(self: Any, *args: Any) -> Any:
            release()  # a thread's earlier connection: nothing of it is live any more
            try:
                return original_serve(self, *args)
            finally:
                release()

        setattr(cls, put, put_)
        setattr(cls, serve, serve_)

    # sft-pki/1: reference.transfer.Responder; sft-eke/1: the server's record phase.
    wrap(_module("reference.transfer").Responder, "_put", "run", lambda r: r.policy.inbox)
    wrap(
        _module("reference.eke.server").EkeServer,
        "_begin_put",
        "_serve_records",
        lambda s: s._inbox,
    )


def _eke_doomed_with_stand_in_element() -> None:
    # EKE-X-3: "A receiver MUST reject X' equal to 0, 1 or p − 1, or X' ≥ p ... A rejection
    # during the handshake is reported as auth_failed — by the server only at the point
    # where EKE-HS-8 would fail". This server takes g as the stand-in for a rejected X'
    # (the same exponentiation) and keys EKE2 with the result, Z = g^y = Y, instead of
    # noise: the handshake is doomed all the same and every EKE3 is answered auth_failed
    # (test_eke_invalid_elements.py: "a stand-in element is allowed if the handshake is
    # doomed").
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    server_cls = handshake.ServerHandshake

    def accept(self: Any, pw: bytes) -> None:
        if self.state is not handshake.HandshakeState.SERVER_AWAIT_KEY:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "accept() out of turn")
        assert self.user is not None
        if self._pinned is None:
            ephemeral, sign_bit, ns = crypto.new_ephemeral(), None, crypto.new_nonce()
        else:
            ephemeral, sign_bit, ns = self._pinned
        self._doomed = False
        try:
            x = crypto.reveal_element(pw, self._a)
        except errors.AuthenticationFailed:
            self._doomed, x = True, crypto.G  # the stand-in: Z becomes Y
        if sign_bit is None:
            b = crypto.hide_element(pw, ephemeral.element)
        else:
            b = crypto._hide_element_from_parts(pw, ephemeral.element, sign_bit=sign_bit)
        try:
            z = crypto.shared_secret(ephemeral, x)
        except errors.AuthenticationFailed:
            self._doomed = True
            z = crypto.random_bytes(crypto.ELEMENT_LEN)
        self._th = crypto.transcript_hash(self.user, self._a, b)
        self._keys = crypto.derive_keys(z, self._th)
        self._ns = ns
        c2 = crypto.seal_confirm(self._keys.kcs, 2, ns, self._th)
        self._outbox += handshake._control(handshake.T_EKE2, {"b": b.hex(), "c": c2.hex()})
        self.state = handshake.HandshakeState.SERVER_AWAIT_EKE3

    server_cls.accept = accept


def _early_temporary_timeouts_late() -> None:
    _early_temporary_until_close()
    _earlier("srv-ok-pki-timeouts-late").apply()


# ---------------------------------------------------------------- new variants: initiators


def _initiator_without_own_size_limit() -> None:
    # LIM-3 ("Maximum file size: default 4 GiB, configurable; see APP-PUT-7 and APP-GET-2")
    # is the responder's limit; nothing asks an initiator to refuse a large get before its
    # data. This initiator has no limit of its own: it starts any get the responder
    # announces and fails it when the bytes, the end or DONE do not match (APP-GET-3/5).
    transfer = _module("reference.transfer")
    original = transfer.Initiator.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.max_file_size = 2**63 - 1

    transfer.Initiator.__init__ = init


def _password_file_refuses_nul() -> None:
    # PWF-1 (01:41): "A password holding U+0000 MAY be refused the same way (C strings
    # cannot carry it)": this tool refuses such a file (exit 2, a message without the
    # password) before it uses any password.
    options = _module("reference.cli.options")
    original = options.read_password_file

    def read_password_file(path: Any) -> str:
        password: str = original(path)
        if "\x00" in password:
            raise options.CommandError("the password file holds NUL (U+0000): refused", 2)
        return password

    options.read_password_file = read_password_file
    cli_eke = _module("reference.cli.eke")
    cli_eke._read_password_file = read_password_file


# ---------------------------------------------------------------- the readings

_PUT_STATE_REQS = ("APP-STORE-3", "APP-PUT-8", "APP-PUT-7", "APP-2", "ERR-3", "FRM-6", "APP-3")

READINGS: tuple[Reading, ...] = (
    # --- refused puts: what they leave, and when it is given back
    Reading(
        "s13-eke-early-temporary-until-close",
        "eke",
        _PUT_STATE_REQS,
        (_LEFTOVERS, _PUT_REFUSAL_STATE, _REFUSED_PUT_STATE, _FAILED_PUT_NAMES),
        "APP-STORE-3: 'On any failure ... the receiver MUST remove the temporary file' (no "
        "moment set): a temporary created for every PUTF before its checks, and the "
        "connection's temporaries removed when the connection ends",
        _early_temporary_until_close,
    ),
    Reading(
        "s13-pki-early-temporary-until-close",
        "pki",
        ("APP-STORE-3", "APP-PUT-8", "APP-2", "ERR-3", "FRM-6", "APP-3"),
        (_LEFTOVERS, _REFUSED_PUT_STATE, _FAILED_PUT_NAMES),
        "APP-STORE-3: 'On any failure ... the receiver MUST remove the temporary file' (no "
        "moment set): a temporary created for every PUTF before its checks, removed when "
        "the connection ends",
        _early_temporary_until_close,
    ),
    Reading(
        "s13-eke-put-in-progress-exists-slow-done",
        "eke",
        _PUT_STATE_REQS,
        (_FAILED_PUT_NAMES, _PUT_REFUSAL_STATE, _REFUSED_PUT_STATE, _PUT_ANNOUNCED, _PUT_AFTER),
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists' (the "
        "name given back when the put ends); APP-PUT-5: 'answer DONE ... only once the file "
        "is durably stored' (a slow disk): every DONE 0.8 s late",
        _both("srv-ok-eke-put-in-progress-exists", "srv-ok-eke-slow-put-done"),
    ),
    Reading(
        "s13-pki-put-in-progress-exists-split-writes",
        "pki",
        ("APP-PUT-8", "APP-2", "ERR-3", "FRM-6", "APP-3", "FRM-9", "FRM-12", "LIM-5"),
        (_FAILED_PUT_NAMES, _REFUSED_PUT_STATE, _MEMBER_TYPES, _PUT_AFTER, _DESCRIPTORS),
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists'; FRM-4 "
        "(PKI-TLS-6: a TLS stream): every frame cut into TLS records of 1, 3, then at most "
        "1000 bytes",
        _both("srv-ok-pki-put-in-progress-exists", "srv-ok-pki-split-writes"),
    ),
    Reading(
        "s13-eke-name-before-size-no-bye-echo",
        "eke",
        ("APP-2", "ERR-3", "APP-PUT-3", "APP-PUT-7", "APP-PUT-8", "APP-NAME-2", "APP-NAME-9"),
        (_PUT_REFUSAL_STATE, _REFUSED_PUT_STATE, _LATER_REQUESTS, _PUT_SEQUENCE),
        "FRM-16: 'a PUTF whose name is refused and whose size is too large (forbidden or "
        "too_large, both non-fatal)'; §3.1 'BYE_ | I→R (R→I MAY echo)': no echo",
        _both("srv-ok-eke-name-before-size", "srv-ok-eke-no-bye-echo"),
    ),
    # --- every JSON style, on the new unhappy paths
    _again(
        "s12b-eke-json-every-style-app",
        "s13-eke-json-every-style-unhappy",
        ("APP-2", "APP-GET-2", "APP-NAME-2", "APP-PUT-5", "APP-PUT-6", "FRM-9", "FRM-12"),
        (_LATER_REQUESTS, _PUT_ANNOUNCED, _MEMBER_TYPES, _PUT_SEQUENCE),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): members reversed, undefined "
        "members added, every string escaped, white space around",
    ),
    _again(
        "srv-ok-pki-json-every-style",
        "s13-pki-json-every-style-unhappy",
        ("APP-2", "APP-GET-2", "APP-3", "FRM-6", "ERR-3", "APP-PUT-8", "FRM-9", "FRM-12"),
        (_REFUSED_PUT_STATE, _FAILED_PUT_NAMES, _MEMBER_TYPES, _PUT_SEQUENCE, _APP_GET),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): members reversed, undefined "
        "members added, every string escaped, white space around",
    ),
    # --- the eke server's admission and throttle
    Reading(
        "s13-eke-drain-busy-retry-after-zero",
        "eke",
        ("EKE-THR-7", "LIM-8", "LIM-4"),
        (_BUSY_REFUSALS, _FULL_SERVER),
        "ERR-3: a lingering close after every fatal EROR ('read and discarded until the "
        "peer's FIN or for at most 2 s'); LIM-4/LIM-8: 'close, or EROR busy where possible', "
        "retry_after 0 on the admission's busy (FRM-11: '0 … 2^63−1')",
        _both("s12-eke-drain-after-fatal-eror", "s12b-eke-admission-busy-retry-after-zero"),
    ),
    Reading(
        "s13-eke-busy-by-close-timeouts-late",
        "eke",
        ("EKE-THR-7", "LIM-8", "LIM-4"),
        (_BUSY_REFUSALS, _FULL_SERVER),
        "LIM-4: 'refuse new connections (close, or EROR busy where possible)': a bare close; "
        "LIM-1/LIM-2 timers swept periodically, up to 0.5 s late; EKE-THR-7 busy with "
        "retry_after 3 ('at least 1')",
        _both("srv-ok-eke-busy-by-close", "s12b-eke-timeouts-late-busy-retry-after-3"),
    ),
    Reading(
        "s13-eke-slow-eke2-whole-seconds",
        "eke",
        ("EKE-THR-1", "EKE-THR-6", "EKE-THR-7", "EKE-X-3", "EKE-KS-2", "EKE-HS-8"),
        (_FAILURE_MEMORY, _BUSY_REFUSALS, _INVALID_ELEMENTS),
        "no requirement sets how fast EKE2 comes (LIM-1 bounds the handshake): 0.15 s late; "
        "EKE-THR-9: 'Failures less than one second apart MAY be taken as simultaneous (a "
        "failure time kept in whole seconds)'",
        _both("s12b-eke-slow-eke2", "s12b-eke-tables-by-whole-seconds"),
    ),
    Reading(
        "s13-eke-doomed-with-stand-in-element",
        "eke",
        ("EKE-X-3", "EKE-KS-2", "EKE-HS-8"),
        (_INVALID_ELEMENTS,),
        "EKE-X-3: a rejected X' 'is reported as auth_failed — by the server only at the point "
        "where EKE-HS-8 would fail': the stand-in g keys EKE2 (Z = Y), the handshake doomed",
        _eke_doomed_with_stand_in_element,
    ),
    # --- the pki responder's refusals of certificates and outsiders
    _again(
        "ambig-ok-pki-refusal-close-notify-only",
        "s13-pki-refusal-close-notify-only-decoding",
        ("PKI-CERT-5", "PKI-TLS-10", "PKI-CERT-1", "PKI-CERT-6", "PKI-CERT-9", "PKI-ID-4"),
        (_CERT_DECODING, _RSA_EMPLOYEES, _IDENTITY),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR'",
    ),
    _again(
        "s10-pki-x509-strict",
        "s13-pki-x509-strict-decoding",
        ("PKI-CERT-5", "PKI-TLS-10", "PKI-CERT-1", "PKI-CERT-9", "PKI-ID-2", "PKI-ID-3"),
        (_CERT_DECODING, _RSA_EMPLOYEES, _IDENTITY),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them (Python ≥ "
        "3.13's VERIFY_X509_STRICT ...)': refusals in the handshake, by alert",
    ),
    Reading(
        "s13-pki-hrr-slow-close-allow-list",
        "pki",
        ("PKI-TLS-9", "PKI-CERT-1", "PKI-CERT-9", "PKI-ID-2", "PKI-ID-3", "PKI-ID-4"),
        (_RSA_EMPLOYEES, _IDENTITY),
        "PKI-TLS-9: groups 'x25519, secp256r1, secp384r1' (a subset: P-384 only, a "
        "HelloRetryRequest); ERR-3 ('the conformance suite allows 2 s'): the close after "
        "forbidden 0.6 s later",
        _both("s10-pki-hrr-p384-only", "s11c-pki-slow-close-grammar-allow-list"),
    ),
    # --- the eke client
    Reading(
        "s13-eke-client-eke4-eror-exit-3",
        "eke",
        ("EKE-HS-4", "EKE-HS-7", "FRM-12", "ERR-5", "EKE-PW-3", "APP-GET-3", "APP-STORE-3"),
        (_CLIENT_CONFIRM, _CLIENT_UNDECODABLE),
        "EKE-HS-7: 'on failure it MUST close and tell its user': EROR auth_failed before the "
        "close; a failed get exits 3 (any non-zero status is a failure)",
        _both("fp2-eke-client-eke4-eror", "fp2-eke-client-exit-3"),
        client=True,
    ),
    _again(
        "fp2-eke-client-no-busy-retry",
        "s13-eke-client-no-busy-retry-wraps",
        ("ERR-3", "EKE-THR-7"),
        (_CLIENT_BUSY_WRAPS,),
        "EKE-THR-7: 'A client that receives busy MAY retry': this one fails at once",
    ),
    Reading(
        "s13-eke-client-renamed-rsfl-json-style",
        "eke",
        ("APP-GET-7", "APP-GET-3", "FRM-9", "FRM-11", "FRM-12", "APP-PUT-10"),
        (_CLIENT_UNDECODABLE, _DONE_MEMBERS, _CLIENT_RECEIPTS),
        "APP-GET-7: 'it MAY fail the transfer (EROR bad_frame, fatal) or ignore the name'; "
        "FRM-8: control payloads are any JSON object (members reversed, white space, escapes)",
        _both("fp2-eke-client-refuses-renamed-rsfl", "s12b-eke-client-json-style"),
        client=True,
    ),
    Reading(
        "s13-eke-client-own-words-split-writes",
        "eke",
        ("APP-PUT-10", "FRM-9", "EKE-HS-4", "EKE-HS-7", "ERR-5", "EKE-REC-1", "EKE-REC-4"),
        (_CLIENT_RECEIPTS, _CLIENT_CONFIRM, _CLIENT_UNDECODABLE),
        "ERR-1: 'name and message are for people': the client's EROR messages in its own "
        "words; FRM-4: 'a header split from its payload MUST ... be processed identically'",
        _both("s12b-eke-client-own-error-words", "fp2-eke-client-split-writes"),
        client=True,
    ),
    _again(
        "s11b-eke-client-write-at-end-uuid-exit-3-transfer",
        "s13-eke-client-write-at-end-uuid-exit-3",
        ("APP-GET-3", "APP-STORE-3", "FRM-9", "FRM-11", "FRM-12", "APP-PUT-10"),
        (_CLIENT_UNDECODABLE, _DONE_MEMBERS, _CLIENT_RECEIPTS),
        "APP-GET-6: written at DONE, then renamed; APP-STORE-1: '.sft-partial- followed by "
        "a random part' (a UUID); a failed get exits 3",
    ),
    Reading(
        "s13-eke-client-done-malformed-integrity-failed",
        "eke",
        ("FRM-9", "FRM-11", "FRM-12", "APP-PUT-10"),
        (_CLIENT_UNDECODABLE, _DONE_MEMBERS, _CLIENT_RECEIPTS),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-GET-3: "
        "'On mismatch it ... MUST report integrity_failed': a DONE whose size or sha256 is "
        "missing or of another JSON type verifies nothing, answered integrity_failed (as "
        "s11-eke-done-malformed-integrity-failed answers a put's)",
        s11._done_malformed_is_integrity_failed,
        client=True,
    ),
    # --- the pki initiator
    Reading(
        "s13-pki-initiator-done-malformed-integrity-failed",
        "pki",
        ("FRM-9", "FRM-11", "FRM-12"),
        (_DONE_MEMBERS,),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-GET-3: "
        "'On mismatch it ... MUST report integrity_failed': a DONE whose size or sha256 is "
        "missing or of another JSON type, answered integrity_failed",
        s11._done_malformed_is_integrity_failed,
        client=True,
    ),
    Reading(
        "s13-pki-initiator-without-own-size-limit",
        "pki",
        ("APP-STORE-3", "APP-GET-3", "APP-GET-6", "FRM-12", "PKI-TLS-7", "FRM-9", "FRM-11"),
        (_CLIENT_UNHAPPY, _DONE_MEMBERS),
        "LIM-3 ('Maximum file size ... see APP-PUT-7 and APP-GET-2') is the responder's "
        "limit: this initiator has none of its own and starts every get announced",
        _initiator_without_own_size_limit,
        client=True,
    ),
    _again(
        "fp2-pki-initiator-no-bye",
        "s13-pki-initiator-no-bye-after-refusal",
        ("PKI-TLS-7", "APP-STORE-3", "APP-GET-3", "FRM-12", "FRM-9", "FRM-11"),
        (_CLIENT_UNHAPPY, _DONE_MEMBERS),
        "APP-BYE-2: 'A connection closed without BYE_ between transfers is not an error': "
        "close_notify and the close, no BYE_, also after a refusal",
    ),
    Reading(
        "s13-pki-initiator-auth-failed-close-without-waiting",
        "pki",
        ("PKI-CERT-3", "PKI-CERT-5", "PKI-CERT-9", "PKI-TLS-7", "APP-STORE-3", "APP-GET-3"),
        (_CLIENT_CERT_FORMS, _CLIENT_UNHAPPY),
        "PKI-TLS-7: 'An initiator that refuses the responder's certificate ... once its TLS "
        "handshake has completed MAY send one fatal EROR auth_failed before it closes'; "
        "close_notify and the close without waiting for the peer's",
        _both(
            "s12b-pki-initiator-auth-failed-after-handshake-put",
            "s11b-pki-initiator-close-without-waiting",
        ),
        client=True,
    ),
    # --- the enrolment client
    _again(
        "s12b-enroll-retries-once",
        "s13-enroll-retries-once-edges",
        ("CA-ENR-12", "CA-ENR-18", "PKI-TLS-4", "PKI-CERT-3", "PWF-1"),
        (_ENROLL_EDGES,),
        "CA-ENR-12: 'any other answer ... fails the enrolment'; nothing forbids asking again "
        "first: a 429 or 500 retried once after its Retry-After",
    ),
    _again(
        "s11-enroll-rsa-key",
        "s13-enroll-rsa-key-edges",
        ("CA-ENR-12", "CA-ENR-18", "PKI-TLS-4", "PKI-CERT-3", "PWF-1"),
        (_ENROLL_EDGES,),
        "PKI-CERT-1: 'The key is ECDSA on P-256 only ... or RSA' (≥ 2048); CA-ENR-12: made "
        "locally: an RSA-3072 key",
    ),
    # --- the CA
    Reading(
        "s13-ca-400-unknown-length-413-from-header",
        "pki",
        ("CA-ENR-9",),
        (_CA_LENGTHS,),
        "CA-ENR-9: 'a request without Content-Length 411 or 400': 400; 'bodies over 64 KiB "
        "(65536 bytes) 413', judged from Content-Length alone, the body unread, the close",
        _both("fp2-ca-400-unknown-length", "s9-ca-413-from-the-header"),
        ca=True,
    ),
    _again(
        "s10-ca-http10",
        "s13-ca-http10-unhappy",
        ("CA-ENR-9", "CA-ENR-3", "CA-ENR-6", "CA-ENR-11", "CA-ENR-19", "CA-ENR-2", "CA-ENR-7"),
        (_CA_LENGTHS, _CA_LOGIN_STATE, _CA_RESTART_RESETS, _CA_UNHAPPY),
        "RFC 9110 §2.5 (the SPEC names HTTPS and JSON, no HTTP version): an HTTP/1.0 server, "
        "which closes after every answer",
    ),
    Reading(
        "s13-ca-csr-first-refuses-surrogates",
        "pki",
        ("CA-ENR-3", "CA-ENR-6", "CA-ENR-11", "CA-ENR-14", "CA-ENR-2", "CA-ENR-7"),
        (_CA_LOGIN_STATE, _CA_UNHAPPY),
        "CA-ENR-21: '400 bad_csr (the CSR is checked first and the password is not verified: "
        "nothing counts ...)'; RFC 8259 §8.2 (an unpaired surrogate 'is unpredictable'): "
        "400 bad_request",
        _both("ambig-ok-ca-csr-checked-first", "s11b-ca-refuses-lone-surrogates"),
        ca=True,
    ),
    Reading(
        "s13-ca-pending-cap-2-busy-3-slow-logins",
        "pki",
        ("CA-ENR-14", "CA-ENR-2", "CA-ENR-7", "CA-ENR-11", "CA-ENR-19"),
        (_CA_UNHAPPY, _CA_RESTART_RESETS),
        "CA-ENR-14: 'or p at the CA's pending cap (reference: 4)': 2; '503 ... with "
        "Retry-After (seconds, at least 1)': 3; CA-ENR-5 leaves the hash's cost to the CA: "
        "every login 0.3 s slower",
        _both("fp2-ca-pending-cap-2", "fp2-ca-busy-retry-after-3", "fp2-ca-slow-logins"),
        ca=True,
    ),
    # --- the cases that landed at 01:40: long-running servers, clients as programs
    Reading(
        "s13-eke-drain-busy-zero-ledgers",
        "eke",
        (*_LEDGER_REQS, "APP-PUT-8"),
        (*_LEDGERS, _PUT_AFTER),
        "ERR-3: a lingering close after every fatal EROR ('read and discarded until the "
        "peer's FIN or for at most 2 s'), the connection counted until then; LIM-4/LIM-8: "
        "'EROR busy where possible', retry_after 0",
        _both("s12-eke-drain-after-fatal-eror", "s12b-eke-admission-busy-retry-after-zero"),
    ),
    Reading(
        "s13-eke-busy-by-close-timeouts-late-ledgers",
        "eke",
        (*_LEDGER_REQS, "LIM-2", "LIM-7"),
        (*_LEDGERS, _IDLE_FLOOR),
        "LIM-4/LIM-8: 'close, or EROR busy where possible': a bare close; LIM-2: 'within "
        "1.5 × the idle timeout of its last byte (timers may be checked periodically)': "
        "timeouts 0.5 s late; EKE-THR-7 busy with retry_after 3",
        _both("srv-ok-eke-busy-by-close", "s12b-eke-timeouts-late-busy-retry-after-3"),
    ),
    Reading(
        "s13-eke-slow-eke2-whole-seconds-ledgers",
        "eke",
        _LEDGER_REQS,
        _LEDGERS,
        "no requirement sets how fast EKE2 comes (LIM-1 bounds the handshake): 0.15 s late; "
        "EKE-THR-9: 'a failure time kept in whole seconds'",
        _both("s12b-eke-slow-eke2", "s12b-eke-tables-by-whole-seconds"),
    ),
    Reading(
        "s13-pki-early-temporary-timeouts-late-services",
        "pki",
        ("APP-PUT-8", "LIM-5", "LIM-2", "LIM-7"),
        (_PUT_AFTER, _DESCRIPTORS, _IDLE_FLOOR),
        "APP-STORE-3 sets no moment for the removal: temporaries made at every PUTF, removed "
        "when the connection ends; LIM-2 timers swept periodically, up to 0.5 s late",
        _early_temporary_timeouts_late,
    ),
    _again(
        "ambig-ok-pki-refusal-close-notify-only",
        "s13-pki-refusal-close-notify-only-signers",
        ("PKI-CERT-4", "PKI-CERT-10", "PKI-TLS-10", "PKI-CERT-7", "PKI-TLS-1", "PKI-TLS-3"),
        (_SIGNERS, _REFRESHED),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR'",
    ),
    _again(
        "s10-pki-x509-strict",
        "s13-pki-x509-strict-signers",
        ("PKI-CERT-4", "PKI-CERT-10", "PKI-TLS-10", "PKI-CERT-7", "PKI-TLS-1", "PKI-TLS-3"),
        (_SIGNERS, _REFRESHED),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them': refusals "
        "in the handshake, by alert",
    ),
    _again(
        "s12b-pki-initiator-auth-failed-after-handshake-put",
        "s13-pki-initiator-auth-failed-signers",
        ("PKI-CERT-4", "PKI-CERT-10", "PKI-TLS-10"),
        (_SIGNERS,),
        "PKI-TLS-7: 'An initiator that refuses the responder's certificate ... once its TLS "
        "handshake has completed MAY send one fatal EROR auth_failed before it closes'",
    ),
    _again(
        "s11-eke-client-sweeps-often-own-idle",
        "s13-eke-client-sweeps-often-run-temporaries",
        ("APP-STORE-1", "APP-STORE-3"),
        (_RUN_TEMPORARIES,),
        "APP-STORE-3: 'An initiator removes those in its output directory that nobody has "
        "written to for longer than the idle timeout (LIM-2)'; LIM-2's is configurable: its "
        "own 1 s, swept at start and every 0.2 s",
    ),
    _again(
        "s11-pki-initiator-sweeps-often-own-idle",
        "s13-pki-initiator-sweeps-often-run-temporaries",
        ("APP-STORE-1", "APP-STORE-3"),
        (_RUN_TEMPORARIES,),
        "APP-STORE-3: 'An initiator removes those ... that nobody has written to for longer "
        "than the idle timeout (LIM-2)'; its own idle timeout 1 s, swept every 0.2 s",
    ),
    _again(
        "s11b-eke-client-write-at-end-uuid-exit-3-transfer",
        "s13-eke-client-write-at-end-uuid-exit-3-run",
        ("APP-GET-6", "FRM-8", "FRM-10", "APP-STORE-1", "APP-STORE-3"),
        (_RUN_OUTPUT_DIR, _RUN_CONTROL_LIMITS, _RUN_TEMPORARIES),
        "APP-GET-6: written at DONE, then renamed; APP-STORE-1: '.sft-partial- followed by "
        "a random part' (a UUID); a failed get exits 3",
    ),
    _again(
        "s12b-enroll-retries-once",
        "s13-enroll-retries-once-run",
        ("CA-ENR-1", "CA-ENR-12", "CA-ENR-18", "PWF-1"),
        (_RUN_ENROLMENT,),
        "CA-ENR-12: 'any other answer ... fails the enrolment'; nothing forbids asking again "
        "first: a 429 or 500 retried once after its Retry-After",
    ),
    Reading(
        "s13-eke-client-refuses-nul-password",
        "eke",
        ("PWF-1",),
        (_RUN_PWF,),
        "PWF-1: 'A password holding U+0000 MAY be refused the same way (C strings cannot "
        "carry it)': refused, exit 2, before any EKE1",
        _password_file_refuses_nul,
        client=True,
    ),
    s11.EnrollReading(
        "s13-enroll-refuses-nul-password",
        "pki",
        ("PWF-1", "CA-ENR-12"),
        (_RUN_ENROLMENT,),
        "PWF-1: 'A password holding U+0000 MAY be refused the same way': the enrolment "
        "client refuses the file, exit 2, nothing sent",
        _password_file_refuses_nul,
        client=True,
    ),
    Reading(
        "s13-eke-client-slow-sweeps-often-run-temporaries",
        "eke",
        ("APP-STORE-1", "APP-STORE-3"),
        (_RUN_TEMPORARIES,),
        "APP-STORE-3: an initiator removes temporaries 'that nobody has written to for longer "
        "than the idle timeout (LIM-2)', its own 1 s, swept every 0.2 s; a client 0.5 s "
        "slower before EKE1 and EKE3 (within every timeout)",
        _both("fp2-eke-client-slow", "s11-eke-client-sweeps-often-own-idle"),
        client=True,
    ),
    Reading(
        "s13-pki-initiator-done-malformed-member-sets",
        "pki",
        ("FRM-9", "FRM-10"),
        (_PKI_MEMBER_SETS,),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-GET-3: "
        "'On mismatch it ... MUST report integrity_failed': a DONE without size or sha256 "
        "answered integrity_failed",
        s11._done_malformed_is_integrity_failed,
        client=True,
    ),
    Reading(
        "s13-pki-initiator-no-bye-close-without-waiting-endings",
        "pki",
        ("APP-BYE-2", "ERR-3", "ERR-4", "ERR-8", "PKI-TLS-7", "FRM-10"),
        (_PKI_GET_ENDINGS, _PKI_ERROR_FORMS, _PKI_MEMBER_SETS),
        "APP-BYE-2: 'A connection closed without BYE_ between transfers is not an error': "
        "close_notify and the close, no BYE_; PKI-TLS-7: close_notify sent, the close "
        "without waiting for the peer's",
        _both("fp2-pki-initiator-no-bye", "s11b-pki-initiator-close-without-waiting"),
        client=True,
    ),
    Reading(
        "s13-pki-initiator-malformed-eror-closes-waits-longer",
        "pki",
        ("ERR-8", "ERR-3", "ERR-4", "PKI-TLS-7", "APP-PUT-4", "FRM-6"),
        (_PKI_ERROR_FORMS, _PKI_GET_ENDINGS, _PKI_PUT_STEPS),
        "ERR-8: a malformed EROR 'MAY [be answered] bad_frame (FRM-9) or close without "
        "answering'; ERR-3 ('the conformance suite allows 2 s'): the initiator waits longer "
        "for the responder's close_notify",
        _both(
            "fp2-pki-initiator-malformed-eror-closes",
            "s11b-pki-initiator-waits-longer-for-close-notify",
        ),
        client=True,
    ),
    _again(
        "s10-ca-http10",
        "s13-ca-http10-foreign-ca-cases",
        ("CA-ENR-2", "CA-ENR-7", "CA-ENR-9", "CA-ENR-11", "CA-ENR-13", "CA-ENR-14"),
        (
            _CA_AFTER_THROTTLE,
            _CA_NEAR_NAMES,
            _CA_BUSY_LEFTOVERS,
            _CA_PSS,
            _CA_READMITTED,
            _CA_REFUSED_SLOTS,
            _CA_ZERO_LENGTHS,
        ),
        "RFC 9110 §2.5 (the SPEC names HTTPS and JSON, no HTTP version): an HTTP/1.0 server, "
        "which closes after every answer",
    ),
    Reading(
        "s13-ca-csr-first-pending-cap-2-busy-3-slots",
        "pki",
        ("CA-ENR-2", "CA-ENR-7", "CA-ENR-11", "CA-ENR-13", "CA-ENR-14"),
        (_CA_AFTER_THROTTLE, _CA_BUSY_LEFTOVERS, _CA_PSS, _CA_REFUSED_SLOTS),
        "CA-ENR-21: '400 bad_csr (the CSR is checked first and the password is not "
        "verified ...)'; CA-ENR-14: 'or p at the CA's pending cap (reference: 4)': 2, "
        "'503 ... Retry-After (seconds, at least 1)': 3",
        _both("ambig-ok-ca-csr-checked-first", "fp2-ca-pending-cap-2", "fp2-ca-busy-retry-after-3"),
        ca=True,
    ),
    Reading(
        "s13-ca-400-unknown-length-host-alias-403-slow-logins",
        "pki",
        ("CA-ENR-9",),
        (_CA_ZERO_LENGTHS,),
        "CA-ENR-9: 'a request without Content-Length 411 or 400': 400; CA-ENR-17: 'refuse to "
        "enrol (400 or 403 ...)': 403; CA-ENR-5 leaves the hash's cost to the CA: 0.3 s",
        _both("fp2-ca-400-unknown-length", "fp2-ca-host-alias-403", "fp2-ca-slow-logins"),
        ca=True,
    ),
)
