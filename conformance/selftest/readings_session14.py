"""Conforming variants aimed at the fourteenth session's new cases (helper FP11): the suite
must PASS them (conformance/selftest/test_ambig_readings.py).

This session's lenses (checks that never run, per item not in aggregate, shared mutable
state, the checked form is not the used form, effects before authority, trust carried
over) made the suite demand more of targets across connections, across requests and over
totals: handshakes failing while others succeed, a put finished while another connection's
is open, forty long requests on one connection, a TLS session resumed after its
certificate expired. That is where a case can demand more than the SPEC does, or assume
one of several allowed orders or outcomes. Each `Reading` plants an allowed choice the
reference does not make, aimed at a case file this session added or changed (since 03:40
UTC); every description quotes the SPEC sentence that allows the choice. Planted like the
mutants: a monkeypatch of the reference inside the subprocess that runs it; reference
modules are reached only through `_module`, at apply time. Where an earlier session
already wrote the variant, its `apply` is reused (looked up by the earlier reading's name)
and only the case files are new.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from conformance.selftest import mutants_ambig as ambig
from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session9 as s9
from conformance.selftest import readings_session10 as s10
from conformance.selftest import readings_session10b as s10b
from conformance.selftest import readings_session11 as s11
from conformance.selftest import readings_session11b as s11b
from conformance.selftest import readings_session11c as s11c
from conformance.selftest import readings_session12 as s12
from conformance.selftest import readings_session12b as s12b
from conformance.selftest import readings_session13 as s13
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's case files (new or changed since 03:40 UTC).
_ANSWER_NAMES = "test_eke_answer_names.py"
_CONFIRM_FAILURES = "test_eke_confirmation_failures.py"
_FAILURE_ADDRESSES = "test_eke_failure_addresses.py"
_HARD_LOCK_BOUND = "test_eke_hard_lock_bound.py"
_RECORDS = "test_eke_records.py"
_STRAY = "test_eke_stray_frames.py"
_NAME_SHAPES = "test_app_name_shapes.py"
_INBOX_LINKS = "test_app_put_inbox_links.py"
_INTERLEAVED = "test_app_put_interleaved.py"
_VOLUME = "test_app_request_volume.py"
_OVERLAP = "test_pki_handshake_overlap.py"
_REFUSAL_MESSAGES = "test_pki_refusal_messages.py"
_RESUMPTION = "test_pki_resumption.py"
_SUBJECT_ORDER = "test_pki_subject_order.py"

# Landed at 04:21 (the eke client's login and put source).
_LOGIN_EDGES = "test_eke_client_login_edges.py"
_LOGIN_RULES = "test_eke_client_login_rules.py"
_PUT_SOURCE = "test_eke_client_put_source.py"
_SIGNS = "test_eke_client_signs.py"
_CLIENT_TRANSFER = "test_eke_client_transfer.py"
# Landed at 04:23 and 04:25 (the pki initiator; the CA).
_ALIAS_FORMS = "test_client_pki_alias_forms.py"
_CERT_LAYOUTS = "test_client_pki_cert_layouts.py"
_DATA_BOUNDS = "test_client_pki_data_bounds.py"
_RETRY_CHECKS = "test_client_pki_retry_checks.py"
_CA_ACCOUNTS = "test_ca_accounts.py"
_CA_CSR_FORMS = "test_ca_csr_forms.py"
_CA_LOGIN_STATE = "test_ca_login_state.py"
_CA_PIECES = "test_ca_request_pieces.py"
_CA_REVOCATION = "test_ca_revocation_records.py"
_CA_THROTTLE = "test_ca_throttle.py"
_CA_UNHAPPY = "test_ca_unhappy_paths.py"
_EDGE_REQS = ("FRM-12", "EKE-HS-4", "ERR-3", "APP-STORE-3", "APP-GET-6")
# Landed at 04:49 (servers as services: round B70).
_ADMISSION = "test_ops_admission_counts.py"
_CONCURRENT = "test_ops_concurrent_transfers.py"
_DEAD_LEFTOVERS = "test_ops_dead_connection_leftovers.py"
_LOCK_MOMENTS = "test_ops_eke_lock_moments.py"
_TRUST_CARRIED = "test_ops_pki_trust_carried.py"
_SLOW_PUT = "test_ops_slow_put.py"
_TRICKLE = "test_ops_trickle_deadlines.py"
# Landed at 04:56 (both clients as programs: round B71).
_RUN_PUT_SOURCE = "test_client_run_put_source.py"
_RUN_BEFORE_DATA = "test_client_run_before_data.py"
_RUN_RECORD_FRAMES = "test_client_run_record_frames.py"
# Landed at 05:16 (interop round I16).
_ESCAPED_NAMES = "test_interop_escaped_names.py"
_CHAIN_ALIAS = "test_interop_pki_chain_alias.py"
_LOGIN_REQS = ("FRM-12", "EKE-HS-4", "ERR-3", "APP-STORE-3", "APP-GET-6", "LIM-9", "EKE-HS-9")

_THROTTLE_FILES = (_CONFIRM_FAILURES, _FAILURE_ADDRESSES, _HARD_LOCK_BOUND)
_THROTTLE_REQS = ("EKE-THR-5", "EKE-HS-6", "EKE-THR-1", "EKE-THR-2", "EKE-THR-9", "EKE-THR-11")
_EKE_APP_FILES = (_STRAY, _ANSWER_NAMES)
_EKE_APP_REQS = ("APP-1", "FRM-6", "APP-GET-7")
_STRAY_REQS = ("APP-1", "FRM-6")
_APP_FILES = (_NAME_SHAPES, _INBOX_LINKS, _INTERLEAVED, _VOLUME)
_APP_REQS = (
    "APP-NAME-1",
    "APP-NAME-3",
    "APP-NAME-7",
    "APP-PUT-2",
    "APP-PUT-3",
    "APP-PUT-5",
    "APP-PUT-8",
    "APP-BYE-2",
    "APP-2",
    "FRM-8",
)
_CERT_FILES = (_REFUSAL_MESSAGES, _RESUMPTION, _SUBJECT_ORDER)
_CERT_REQS = ("ERR-6", "PKI-TLS-10", "PKI-CERT-3", "PKI-ID-4", "PKI-ID-3")

_EARLIER = (
    ambig.READINGS,
    fp1.READINGS,
    fp2.READINGS,
    s9.READINGS,
    s10.READINGS,
    s10b.READINGS,
    s11.READINGS,
    s11b.READINGS,
    s11c.READINGS,
    s12.READINGS,
    s12b.READINGS,
    s13.READINGS,
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


# ---------------------------------------------------------------- new variants


def _eke_plaintext_after_eke4_silent_close() -> None:
    # EKE-REC-5: "After EKE4, a plaintext frame of any type MUST be treated as a failure
    # (close)"; EKE-REC-4: "nothing is sent in clear after the handshake". The reference
    # answers such a frame with an encrypted EROR unexpected_frame before its close; this
    # server closes without a word, as it does for a record that fails to authenticate.
    records = _module("reference.eke.records")
    errors = _module("reference.errors")
    cls = records.RecordReader
    original = cls._parse_header

    def parse_header(self: Any) -> None:
        try:
            original(self)
        except errors.RemoteProtocolError as exc:
            if exc.code is not errors.ErrorCode.UNEXPECTED_FRAME:
                raise
            failed = errors.AuthenticationFailed()
            self._failed = failed.detached()
            raise failed from None

    cls._parse_header = parse_header


def _pki_context_kept_while_revocations_unchanged() -> None:
    # PKI-CERT-7: the responder "SHOULD refetch [the CRL] periodically"; nothing asks it
    # to rebuild its TLS context at every fetch. This one builds a new context only when
    # the set of revoked serials changes (a context, and its session-ticket keys, lives
    # until a revocation), so that a ticket it issued can be resumed after a refresh.
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    holder = tls.ServerContextHolder
    original_init, original_reload = holder.__init__, holder.reload

    def revoked(crl_der: bytes) -> frozenset[int] | None:
        try:
            return frozenset(e.serial_number for e in x509.load_der_x509_crl(crl_der))
        except ValueError:
            return None  # unreadable: always rebuilt (the reference's path)

    def init(self: Any, build: Any, crl_der: bytes) -> None:
        original_init(self, build, crl_der)
        self._sft_revoked = revoked(crl_der)

    def reload(self: Any, crl_der: bytes) -> None:
        now = revoked(crl_der)
        if now is not None and now == getattr(self, "_sft_revoked", None):
            return
        original_reload(self, crl_der)
        self._sft_revoked = now

    holder.__init__ = init
    holder.reload = reload


def _pki_tickets_rechecked_each_handshake() -> None:
    # RFC 8446 §4.6.1 lets a server issue NewSessionTicket and resume; PKI-TLS-9 pins
    # suites, groups and signatures only. PKI-CERT-3: the peer certificate is compared
    # "with its current UTC time at each handshake": this responder issues tickets, resumes
    # sessions, and judges the validity period of the (session's) client certificate again
    # in its own post-handshake check at every connection, resumed or not — refused after
    # the handshake with EROR auth_failed, as its other certificate checks are.
    _earlier("s10-pki-session-tickets").apply()
    _pki_context_kept_while_revocations_unchanged()
    fp1._load_everything()
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    original = tls.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        der = sock.getpeercert(binary_form=True)
        if der is not None:
            cert = x509.load_der_x509_certificate(der)
            now = dt.datetime.now(dt.UTC)
            if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
                raise tls.CertificateRefused("the certificate is not valid at this handshake")
        alias: str = original(sock, as_server=as_server)
        return alias

    fp1._everywhere("reference.pki.tls", "peer_alias", peer_alias)


def _eke_client_put_reads_source_first() -> None:
    # APP-PUT-4: "After RSFL{accept}, the initiator MUST send exactly size bytes in DATA
    # frames, then DONE"; APP-PUT-10: "Sending MUST NOT change the local file being sent".
    # This client reads the whole source before its PUTF (a snapshot, e.g. to hash it or
    # to send from memory) and sends that snapshot: the size and bytes of the moment it
    # opened the file, whatever happens to the file afterwards.
    client = _module("reference.eke.client")
    tempfile = _module("tempfile")
    pathlib = _module("pathlib")
    original = client.EkeClient.put

    def put(self: Any, path: Any, *, name: str | None = None, progress: Any = None) -> str:
        try:
            snapshot = pathlib.Path(path).read_bytes()
        except OSError:
            return str(original(self, path, name=name, progress=progress))
        with tempfile.TemporaryDirectory(prefix="sft-snapshot-") as scratch:
            copy = pathlib.Path(scratch) / "snapshot"
            copy.write_bytes(snapshot)
            return str(
                original(self, copy, name=name or pathlib.Path(path).name, progress=progress)
            )

    client.EkeClient.put = put


# A fatal handshake_failure alert as a plaintext TLS record (before any ServerHello).
_HANDSHAKE_FAILURE_ALERT = bytes.fromhex("15030300020228")


def _pki_handshake_timeout_alert() -> None:
    # LIM-1: "a responder MUST close a connection whose secure channel is not established
    # within the handshake timeout": this responder sends a fatal handshake_failure alert
    # (RFC 8446 §6.2: "Servers ... MUST send alerts" on a failed handshake) and then
    # closes, instead of the reference's bare close.
    socket = _module("socket")
    tls = _module("reference.pki.tls")
    original = tls._abort

    def abort(sock: Any) -> None:
        with contextlib.suppress(OSError):
            socket.socket.send(sock, _HANDSHAKE_FAILURE_ALERT)
        original(sock)

    tls._abort = abort


# ---------------------------------------------------------------- the readings

READINGS: tuple[Reading, ...] = (
    # --- the eke server's failure counts, across connections and names
    Reading(
        "s14-eke-slow-eke2-whole-seconds-counts",
        "eke",
        _THROTTLE_REQS,
        (*_THROTTLE_FILES, _LOCK_MOMENTS),
        "no requirement sets how fast EKE2 comes (LIM-1 bounds the handshake): 0.15 s late; "
        "EKE-THR-9: 'Failures less than one second apart MAY be taken as simultaneous (a "
        "failure time kept in whole seconds), and ties evicted in any order'",
        _both("s12b-eke-slow-eke2", "s12b-eke-tables-by-whole-seconds"),
    ),
    Reading(
        "s14-eke-drain-busy-zero-counts",
        "eke",
        (*_THROTTLE_REQS, "LIM-8", "LIM-9", "LIM-4"),
        (*_THROTTLE_FILES, _LOCK_MOMENTS, _ADMISSION),
        "ERR-3: a lingering close after every fatal EROR ('read and discarded until the "
        "peer's FIN or for at most 2 s'); LIM-4/LIM-8: 'EROR busy where possible', "
        "retry_after 0 (FRM-11: '0 … 2^63−1')",
        _both("s12-eke-drain-after-fatal-eror", "s12b-eke-admission-busy-retry-after-zero"),
    ),
    _again(
        "s11c-eke-late-close-after-fatal-throttles",
        "s14-eke-late-close-after-fatal-counts",
        _THROTTLE_REQS,
        (*_THROTTLE_FILES, _LOCK_MOMENTS),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s)': "
        "every close 1.5 s after the server's fatal EROR (auth_failed too); the failure "
        "counted when the handshake ends (EKE-THR-5: 'the moment it ends')",
    ),
    # --- the eke server's record phase: a plaintext frame pipelined with EKE3
    Reading(
        "s14-eke-plaintext-after-eke4-silent-close",
        "eke",
        ("EKE-REC-5", "EKE-REC-4", "EKE-REC-1"),
        (_RECORDS,),
        "EKE-REC-5: 'After EKE4, a plaintext frame of any type MUST be treated as a failure "
        "(close)': closed without any EROR (the reference sends an encrypted EROR "
        "unexpected_frame first)",
        _eke_plaintext_after_eke4_silent_close,
    ),
    Reading(
        "s14-eke-split-writes-drain-records",
        "eke",
        ("EKE-REC-5", "EKE-REC-4", "EKE-REC-1"),
        (_RECORDS,),
        "FRM-4: 'a header split from its payload MUST ... be processed identically' (every "
        "server write in three TCP segments); ERR-3: a lingering close after every fatal "
        "EROR",
        _both("s10-eke-split-tcp-writes", "s12-eke-drain-after-fatal-eror"),
    ),
    # --- the eke responder's IDLE state after an exchange, and the names it answers
    _again(
        "s12b-eke-json-every-style-app",
        "s14-eke-json-every-style-stray-names",
        (*_EKE_APP_REQS, "APP-NAME-8"),
        (*_EKE_APP_FILES, _ESCAPED_NAMES),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): RSFL, DONE and EROR with "
        "members reversed, undefined members, every string escaped (names as \\u escapes), "
        "white space around",
    ),
    _again(
        "s12b-eke-rsfl-sha256-small-frames-no-bye-echo",
        "s14-eke-rsfl-sha256-small-frames-stray-names",
        _EKE_APP_REQS,
        _EKE_APP_FILES,
        "APP-GET-2: 'RSFL {name, size} (and MAY include sha256)'; FRM-13: DATA payloads of "
        "'1 to 1 048 576 bytes' (one-byte records first); §3.1: BYE_ 'R→I MAY echo': none",
    ),
    Reading(
        "s14-eke-early-temporary-slow-done-stray",
        "eke",
        (*_STRAY_REQS, "LIM-5", "LIM-2", "APP-GET-2"),
        (_STRAY, _DEAD_LEFTOVERS, _SLOW_PUT, _CONCURRENT),
        "APP-STORE-3 sets no moment for removing a temporary: one created at every PUTF "
        "(refused ones too), removed when the connection ends; APP-PUT-5: 'answer DONE ... "
        "only once the file is durably stored': every DONE 0.8 s late",
        _both("s13-eke-early-temporary-until-close", "srv-ok-eke-slow-put-done"),
    ),
    # --- names, inbox entries, interleaved puts and long requests, both profiles
    _again(
        "s12b-eke-json-every-style-app",
        "s14-eke-json-every-style-app-totals",
        _APP_REQS,
        _APP_FILES,
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): members reversed, undefined "
        "members added, every string escaped, white space around",
    ),
    _again(
        "s12b-pki-json-every-style",
        "s14-pki-json-every-style-app-totals",
        (*_APP_REQS, "APP-NAME-8"),
        (*_APP_FILES, _ESCAPED_NAMES),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): members reversed, undefined "
        "members added, every string escaped, white space around",
    ),
    _again(
        "s13-eke-put-in-progress-exists-slow-done",
        "s14-eke-put-in-progress-exists-slow-done-app",
        _APP_REQS,
        _APP_FILES,
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists'; "
        "APP-PUT-5: 'answer DONE ... only once the file is durably stored': every DONE 0.8 s "
        "late",
    ),
    _again(
        "s13-pki-put-in-progress-exists-split-writes",
        "s14-pki-put-in-progress-exists-split-writes-app",
        (*_APP_REQS, "APP-GET-2", "LIM-5"),
        (*_APP_FILES, _CONCURRENT, _DEAD_LEFTOVERS),
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists'; FRM-4 "
        "(PKI-TLS-6: a TLS stream): every frame cut into TLS records of 1, 3, then at most "
        "1000 bytes",
    ),
    # --- the pki responder's certificates: messages, resumption, subject order
    Reading(
        "s14-pki-tickets-rechecked-each-handshake",
        "pki",
        (*_CERT_REQS, "PKI-CERT-7", "LIM-4"),
        (*_CERT_FILES, _TRUST_CARRIED),
        "RFC 8446 §4.6.1 (tickets and resumption; PKI-TLS-9 pins suites, groups and "
        "signatures only); PKI-CERT-3: validity 'compared with its current UTC time at each "
        "handshake': resumed sessions re-judged after the handshake, EROR auth_failed (its "
        "context, and ticket keys, rebuilt only when the revocations change: PKI-CERT-7)",
        _pki_tickets_rechecked_each_handshake,
    ),
    _again(
        "ambig-ok-pki-refusal-close-notify-only",
        "s14-pki-refusal-close-notify-only-certs",
        (*_CERT_REQS, "PKI-ID-2"),
        (*_CERT_FILES, _CHAIN_ALIAS),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR'",
    ),
    _again(
        "s10-pki-x509-strict",
        "s14-pki-x509-strict-certs",
        (*_CERT_REQS, "PKI-ID-2"),
        (*_CERT_FILES, _CHAIN_ALIAS),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them (Python ≥ "
        "3.13's VERIFY_X509_STRICT ...)': some refusals in the handshake, by alert",
    ),
    Reading(
        "s14-pki-cert-after-handshake-hrr-certs",
        "pki",
        _CERT_REQS,
        _CERT_FILES,
        "PKI-TLS-10: 'a responder may make some checks ... in its own code once its TLS "
        "stack has completed'; PKI-TLS-9: groups from the list (P-384 only: a "
        "HelloRetryRequest)",
        _both("s10b-pki-cert-checked-after-handshake-new-cases", "s10-pki-hrr-p384-only"),
    ),
    # --- the pki responder's handshake deadline while others connect
    _again(
        "s11b-pki-timeouts-late-handshake-deadline",
        "s14-pki-timeouts-late-overlap",
        ("LIM-1", "LIM-2", "LIM-8", "LIM-9", "LIM-4"),
        (_OVERLAP, _TRICKLE, _SLOW_PUT, _ADMISSION),
        "LIM-1: 'MUST close a connection whose secure channel is not established within the "
        "handshake timeout' (not to the millisecond): a sweep closes up to 0.5 s late",
    ),
    Reading(
        "s14-pki-handshake-timeout-alert",
        "pki",
        ("LIM-1",),
        (_OVERLAP, _TRICKLE),
        "LIM-1: 'MUST close a connection whose secure channel is not established within the "
        "handshake timeout': a fatal handshake_failure alert, then the close",
        _pki_handshake_timeout_alert,
    ),
    # --- the eke client's login edges and put source (landed at 04:21)
    _again(
        "fp2-eke-client-busy-retry-late",
        "s14-eke-client-busy-retry-late-login-edges",
        _EDGE_REQS,
        (_LOGIN_EDGES,),
        "EKE-THR-7: 'A client that receives busy MAY retry, but MUST NOT retry before "
        "retry_after seconds have passed': it waits twice retry_after",
    ),
    Reading(
        "s14-eke-client-eke4-eror-own-words-login",
        "eke",
        _LOGIN_REQS,
        (_LOGIN_EDGES, _LOGIN_RULES),
        "EKE-HS-7: 'on failure it MUST close and tell its user': EROR auth_failed before the "
        "close; ERR-1: 'name and message are for people': its EROR messages in its own words",
        _both("fp2-eke-client-eke4-eror", "fp2-eke-client-own-error-words"),
        client=True,
    ),
    Reading(
        "s14-eke-client-slow-split-writes-login",
        "eke",
        (*_LOGIN_REQS, "EKE-X-2", "EKE-X-3"),
        (_LOGIN_EDGES, _LOGIN_RULES, _SIGNS),
        "no requirement sets a client's pace within LIM-1: 0.5 s before EKE1 and before "
        "EKE3; FRM-4: 'a header split from its payload MUST ... be processed identically': "
        "every write in three pieces",
        _both("fp2-eke-client-slow", "fp2-eke-client-split-writes"),
        client=True,
    ),
    _again(
        "s11b-eke-client-write-at-end-uuid-exit-3-transfer",
        "s14-eke-client-write-at-end-uuid-exit-3-login",
        (
            "APP-STORE-3",
            "APP-GET-6",
            "APP-STORE-1",
            "FRM-12",
            "FRM-9",
            "FRM-3",
            "APP-GET-7",
            "APP-GET-5",
            "EKE-REC-1",
        ),
        (_LOGIN_EDGES, _CLIENT_TRANSFER, _RUN_BEFORE_DATA, _RUN_RECORD_FRAMES),
        "APP-GET-6: written at DONE, then renamed; APP-STORE-1: '.sft-partial- followed by "
        "a random part' (a UUID); a failed get exits 3",
    ),
    Reading(
        "s14-eke-client-done-malformed-integrity-failed-transfer",
        "eke",
        ("FRM-12", "FRM-9"),
        (_CLIENT_TRANSFER,),
        "FRM-16: 'a DONE whose size or sha256 is missing or of another JSON type (bad_frame, "
        "or integrity_failed ...)'; APP-GET-3: 'On mismatch it ... MUST report "
        "integrity_failed'",
        s11._done_malformed_is_integrity_failed,
        client=True,
    ),
    Reading(
        "s14-eke-client-put-reads-source-first",
        "eke",
        ("APP-PUT-4", "APP-PUT-10"),
        (_PUT_SOURCE, _RUN_PUT_SOURCE),
        "APP-PUT-4: 'After RSFL{accept}, the initiator MUST send exactly size bytes in DATA "
        "frames, then DONE': the whole source read before its PUTF and that snapshot sent",
        _eke_client_put_reads_source_first,
        client=True,
    ),
    # --- the pki initiator's retries, alias forms, layouts and data bounds (04:23)
    Reading(
        "s14-pki-initiator-retries-after-alerts-go-sigalgs",
        "pki",
        ("PKI-TLS-1", "PKI-TLS-2", "PKI-TLS-9", "PKI-CERT-6", "PKI-CERT-5", "PKI-CERT-3"),
        (_RETRY_CHECKS,),
        "LIM-9 sets no count of attempts: the initiator retries after a close and after an "
        "alert too; PKI-TLS-11: 'An initiator SHOULD offer in signature_algorithms only ... "
        "Only a recommendation': Go's fixed list",
        _both("s11b-pki-initiator-retries-after-alerts", "s10-pki-initiator-go-sigalgs"),
        client=True,
    ),
    Reading(
        "s14-pki-initiator-x509-strict-auth-failed-layouts",
        "pki",
        ("PKI-ID-4", "PKI-ID-1", "PKI-CERT-5", "PKI-CERT-6", "PKI-CERT-9"),
        (_ALIAS_FORMS, _CERT_LAYOUTS),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them'; PKI-TLS-7: "
        "'MAY send one fatal EROR auth_failed before it closes' after a completed handshake",
        _both(
            "s11b-pki-initiator-x509-strict-cert-variants",
            "s12b-pki-initiator-auth-failed-after-handshake-put",
        ),
        client=True,
    ),
    Reading(
        "s14-pki-initiator-write-at-end-exit-3-data-bounds",
        "pki",
        ("APP-STORE-4", "FRM-13"),
        (_DATA_BOUNDS,),
        "APP-GET-6: 'write a get into a temporary file and rename it ... only after APP-GET-3 "
        "succeeded': kept in memory until DONE; a failed get exits 3 (any non-zero status)",
        _both("fp2-pki-initiator-write-at-end", "fp2-pki-initiator-exit-3"),
        client=True,
    ),
    # --- the CA's new cases (04:25)
    _again(
        "s11b-ca-chunked-answers-new-cases",
        "s14-ca-chunked-answers-kept-alive",
        ("CA-ENR-9", "CA-ENR-11", "CA-ENR-2", "CA-ENR-6"),
        (_CA_PIECES, _CA_REVOCATION, _CA_LOGIN_STATE, _CA_ACCOUNTS),
        "RFC 9112 §7.1: an HTTP/1.1 server MAY send any answer Transfer-Encoding: chunked",
    ),
    _again(
        "s11c-ca-http10-new-cases",
        "s14-ca-http10-kept-alive",
        ("CA-ENR-9", "CA-ENR-11", "CA-ENR-2", "LIM-5"),
        (_CA_PIECES, _CA_REVOCATION, _CA_UNHAPPY),
        "RFC 9110 §2.5 (the SPEC names HTTPS and JSON, no HTTP version): an HTTP/1.0 server, "
        "which closes after every answer",
    ),
    Reading(
        "s14-ca-csr-first-slow-logins-throttle",
        "pki",
        ("CA-ENR-7", "CA-ENR-2", "CA-ENR-13", "LIM-5"),
        (_CA_THROTTLE, _CA_ACCOUNTS, _CA_CSR_FORMS, _CA_UNHAPPY),
        "CA-ENR-21: '400 bad_csr (the CSR is checked first and the password is not verified: "
        "nothing counts ...)'; CA-ENR-5 leaves the hash's cost to the CA: every login 0.3 s",
        _both("ambig-ok-ca-csr-checked-first", "fp2-ca-slow-logins"),
        ca=True,
    ),
)
