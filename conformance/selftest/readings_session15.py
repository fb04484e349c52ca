"""Conforming variants aimed at the fifteenth session's new cases (helper FP12): the suite
must PASS them (conformance/selftest/test_ambig_readings.py).

This session's lenses (one blocks all, reflection, the default branch, compound
conditions, asymmetric cost, check-then-act under concurrency) made the suite demand more
of targets under concurrency, under slow peers and at unknown values, across requests and
over totals: refusals timed against an EKE2 or a 401, logins overlapping a lock, puts
racing one name, peers silent at the close, a client's words for a closed login. That is
where a case can demand more than the SPEC does (a time the SPEC never bounds, a wording
it never fixes), or assume one of several allowed orders or outcomes. Each `Reading`
plants an allowed choice the reference does not make, aimed at a case file this session
added or changed (since 06:45 UTC); every description quotes the SPEC sentence that allows
the choice. Planted like the mutants: a monkeypatch of the reference inside the subprocess
that runs it; reference modules are reached only through `_module`, at apply time. Where
an earlier session already wrote the variant, its `apply` is reused (looked up by the
earlier reading's name) and only the case files are new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest import mutants_ambig as ambig
from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_reuse as reuse
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
from conformance.selftest import readings_session14 as s14
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's case files (new or changed since 06:45 UTC).
# The eke server: logins beside locks, put commits, others served meanwhile (B72).
_CONCURRENT_LOGINS = "test_eke_concurrent_logins.py"
_LOCK_REACH = "test_eke_lock_reach.py"
_PUT_COMMIT = "test_eke_put_commit.py"
_SERVED_MEANWHILE = "test_eke_served_meanwhile.py"
_EKE_LOCK_SECONDS = "test_eke_lock_whole_seconds.py"
_EKE_THROTTLED_COST = "test_eke_throttled_cost.py"
# Both profiles' responders: puts beside puts and gets; the pki responder's peers.
_FAILED_PUT_TRACES = "test_app_failed_put_traces.py"
_PUT_BESIDE_SLOW_GET = "test_app_put_beside_slow_get.py"
_PUT_CONCURRENT = "test_app_put_concurrent.py"
_PUT_SEQUENCE = "test_app_put_sequence.py"
_PKI_CERTS = "test_pki_certs.py"
_HANDSHAKE_BURST = "test_pki_handshake_burst.py"
_PKI_IDENTITY = "test_pki_identity.py"
_SILENT_PEERS = "test_pki_silent_peers.py"
_STALLED_PAYLOADS = "test_interop_stalled_payloads.py"
# The initiators.
_LOGIN_CLOSED = "test_client_login_closed.py"
_GET_STRAY = "test_interop_get_stray_frames.py"
_REFLECTED = "test_interop_client_reflected_records.py"
_PUT_RECEIPT = "test_interop_put_receipt_frames.py"
_GET_DOORS = "test_eke_client_get_doors.py"
_LOGIN_HOLDS = "test_eke_client_login_holds.py"
_PUT_UNKNOWN_CODES = "test_eke_client_put_unknown_codes.py"
_SIGN_HALVES = "test_eke_client_sign_halves.py"
_SWEEP_UPPER_AGE = "test_client_sweep_upper_age.py"
# Landed at 07:36: the pki initiator and the enrolment client.
_CERT_SHAPES = "test_client_pki_cert_shapes.py"
_EROR_FATALITY = "test_client_pki_eror_fatality.py"
_GIVE_UP = "test_client_pki_give_up.py"
_PUT_TRUST = "test_client_pki_put_trust.py"
_TEMP_NAMES = "test_client_pki_temp_names.py"
_TRUST_SOURCES = "test_enroll_trust_sources.py"
# The CA.
_CA_LOCK_SECONDS = "test_ca_lock_whole_seconds.py"
_CA_THROTTLED_COST = "test_ca_throttled_cost.py"
_CA_HARD_LOCK_BOUND = "test_ca_hard_lock_bound.py"

_LOGIN_FILES = (_CONCURRENT_LOGINS, _LOCK_REACH, _SERVED_MEANWHILE)
_LOGIN_REQS = ("EKE-HS-6", "APP-2", "EKE-THR-1", "EKE-THR-4", "EKE-THR-5", "LIM-5")
_LOCK_REQS = (*_LOGIN_REQS, "EKE-THR-6", "EKE-THR-9")
_EKE_PUT_FILES = (_PUT_COMMIT, _PUT_CONCURRENT, _PUT_SEQUENCE, _FAILED_PUT_TRACES)
_PKI_PUT_REQS = ("APP-PUT-5", "APP-STORE-1", "APP-PUT-1", "APP-2", "APP-STORE-3")
_PUT_REQS = (*_PKI_PUT_REQS, "APP-PUT-8")  # APP-PUT-8: test_eke_put_commit.py only
_PKI_PUT_FILES = (_PUT_CONCURRENT, _PUT_SEQUENCE, _FAILED_PUT_TRACES, _PUT_BESIDE_SLOW_GET)
_PEER_FILES = (_SILENT_PEERS, _HANDSHAKE_BURST, _STALLED_PAYLOADS)
_PEER_REQS = ("LIM-5", "LIM-4", "LIM-9")
_CERT_FILES = (_PKI_IDENTITY, _PKI_CERTS)
# (PKI-ID-1 and PKI-TLS-7 are the initiator's in these files: UNSUPPORTED for a responder)
_CERT_REQS = (
    "PKI-ID-2",
    "PKI-ID-3",
    "PKI-ID-4",
    "PKI-CERT-3",
    "PKI-CERT-5",
    "PKI-CERT-9",
)
_CLIENT_GET_REQS = ("FRM-5", "FRM-6", "APP-STORE-3", "APP-GET-6", "EKE-KS-1", "EKE-HS-4")
_CA_REQS = ("CA-ENR-7", "CA-ENR-14", "CA-ENR-19", "CA-ENR-20")
_CA_FILES = (_CA_LOCK_SECONDS, _CA_THROTTLED_COST, _CA_HARD_LOCK_BOUND)

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
    s14.READINGS,
)


def _earlier(name: str) -> Reading:
    """An earlier session's reading, by its name."""
    return reuse.earlier(_EARLIER, name)


def _again(
    earlier: str,
    name: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    **changes: Any,
) -> Reading:
    """An earlier variant (its apply, profile and flags), judged by this session's cases."""
    return reuse.again(_EARLIER, earlier, name, requirements, test_files, description, **changes)


def _both(*names: str) -> Callable[[], None]:
    """Several earlier variants planted together (one start, one run)."""
    return reuse.together(_EARLIER, *names)


# ---------------------------------------------------------------- new variants

# The reference's words for a login the server closed (LIM-9), and a client's own ones.
_REFERENCE_CLOSED = "the server closed the connection during the login (server busy?)"
_OWN_CLOSED = "login failed: the connection was closed by the peer before the key exchange ended"


def _eke_client_closed_login_own_words() -> None:
    # LIM-9: "a close (FIN) during its login MUST be reported as the server closing the
    # connection (the reference says "server busy?")"; ERR-1: messages are for people.
    # This client says "closed by the peer" (its only peer is the server): the same fact
    # in other words, without "server" or "busy".
    client = _module("reference.eke.client")
    cls = client.TransferFailed
    original = cls.__init__

    def init(self: Any, message: str, code: Any = None) -> None:
        original(self, _OWN_CLOSED if message == _REFERENCE_CLOSED else message, code)

    cls.__init__ = init


def _pki_initiator_closed_handshake_own_words() -> None:
    # LIM-9 (for the initiator, a SHOULD here): a handshake the responder closes "SHOULD
    # be reported as such". This initiator says "{peer} ended the connection during the
    # TLS handshake (it may be overloaded): try again later" — the responder named, the
    # close said, in words other than "closed" and "busy".
    tls = _module("reference.pki.tls")
    tls._ALERT_MESSAGES["UNEXPECTED_EOF"] = (
        "{peer} ended the connection during the TLS handshake (it may be overloaded): "
        "try again later"
    )


# ---------------------------------------------------------------- the readings

READINGS: tuple[Reading, ...] = (
    # --- the eke server: refusals that cost time but no exponentiation
    # --- the eke server: logins beside locks, whole-second failure times, slow EKE2
    Reading(
        "s15-eke-slow-eke2-whole-seconds-reach",
        "eke",
        _LOCK_REQS,
        (*_LOGIN_FILES, _EKE_LOCK_SECONDS),
        "no requirement sets how fast EKE2 comes (LIM-1 bounds the handshake): 0.15 s late; "
        "EKE-THR-9: 'Failures less than one second apart MAY be taken as simultaneous (a "
        "failure time kept in whole seconds, rounded up ...)'",
        _both("s12b-eke-slow-eke2", "s12b-eke-tables-by-whole-seconds"),
    ),
    _again(
        "s11c-eke-late-close-after-fatal-throttles",
        "s15-eke-late-close-after-fatal-reach",
        _LOCK_REQS,
        (*_LOGIN_FILES, _EKE_LOCK_SECONDS),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s)': "
        "every close 1.5 s after the server's fatal EROR; the failure counted when the "
        "handshake ends (EKE-THR-5: 'the moment it ends')",
    ),
    _again(
        "s13-eke-busy-by-close-timeouts-late",
        "s15-eke-busy-by-close-timeouts-late-meanwhile",
        _LOGIN_REQS,
        (*_LOGIN_FILES, _STALLED_PAYLOADS),
        "LIM-4: 'refuse new connections (close, or EROR busy where possible)': a bare close; "
        "LIM-2: timers 'may be checked periodically': a sweep closes up to 0.5 s late",
    ),
    # --- the eke server's puts: commits, races, sequences, traces
    _again(
        "s13-eke-put-in-progress-exists-slow-done",
        "s15-eke-put-in-progress-exists-slow-done-commit",
        (*_PUT_REQS, "LIM-5"),
        (*_EKE_PUT_FILES, _SERVED_MEANWHILE),
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists'; "
        "APP-PUT-5: 'answer DONE ... only once the file is durably stored': every DONE 0.8 s "
        "late",
    ),
    _again(
        "s13-eke-early-temporary-until-close",
        "s15-eke-early-temporary-until-close-commit",
        _PUT_REQS,
        _EKE_PUT_FILES,
        "APP-STORE-3: 'On any failure ... the receiver MUST remove the temporary file' (no "
        "moment set): a temporary created at every PUTF, removed when the connection ends",
    ),
    _again(
        "s12b-eke-json-every-style-app",
        "s15-eke-json-every-style-puts",
        (*_PUT_REQS, "LIM-5"),
        (*_EKE_PUT_FILES, _PUT_BESIDE_SLOW_GET),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): members reversed, undefined "
        "members added, every string escaped, white space around",
    ),
    Reading(
        "s15-eke-no-bye-echo-nagle-meanwhile",
        "eke",
        ("LIM-5", "APP-2", "APP-PUT-5"),
        (_SERVED_MEANWHILE, _PUT_SEQUENCE, _STALLED_PAYLOADS),
        "§3.1: 'BYE_ | I→R (R→I MAY echo)': never echoed, the server closes; no requirement "
        "sets a latency: Nagle's algorithm left on",
        _both("srv-ok-eke-no-bye-echo", "srv-ok-eke-nagle"),
    ),
    # --- the pki responder's puts
    _again(
        "s13-pki-put-in-progress-exists-split-writes",
        "s15-pki-put-in-progress-exists-split-writes-puts",
        (*_PKI_PUT_REQS, "LIM-5"),
        _PKI_PUT_FILES,
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists'; FRM-4 "
        "(PKI-TLS-6: a TLS stream): every frame cut into TLS records of 1, 3, then at most "
        "1000 bytes",
    ),
    _again(
        "s13-pki-early-temporary-timeouts-late-services",
        "s15-pki-early-temporary-timeouts-late-puts",
        (*_PKI_PUT_REQS, "LIM-5"),
        (*_PKI_PUT_FILES, _STALLED_PAYLOADS),
        "APP-STORE-3 sets no moment for the removal: temporaries made at every PUTF, removed "
        "when the connection ends; LIM-2 timers swept periodically, up to 0.5 s late",
    ),
    # --- the pki responder's peers: silent at the close, bursts of handshakes
    Reading(
        "s15-pki-no-bye-echo-close-without-waiting-peers",
        "pki",
        _PEER_REQS,
        _PEER_FILES,
        "APP-BYE-1: 'the responder MAY answer BYE_ and MUST then close' (no echo); PKI-TLS-7: "
        "'MUST send a TLS close_notify before closing' (without waiting for the peer's)",
        _both("srv-ok-pki-no-bye-echo", "srv-ok-pki-close-without-waiting"),
    ),
    Reading(
        "s15-pki-busy-by-close-timeouts-late-burst",
        "pki",
        _PEER_REQS,
        _PEER_FILES,
        "LIM-4: 'refuse new connections (close, or EROR busy where possible)': a close "
        "before TLS; LIM-1 'not established within the handshake timeout' swept up to 0.5 s "
        "late",
        _both("srv-ok-pki-busy-by-close", "s11b-pki-timeouts-late-handshake-deadline"),
    ),
    Reading(
        "s15-pki-session-tickets-key-update-peers",
        "pki",
        (*_PEER_REQS, *_CERT_REQS),
        (*_PEER_FILES, *_CERT_FILES),
        "RFC 8446 §4.6.1 NewSessionTicket (PKI-TLS-9 pins suites, groups and signatures "
        "only); §4.6.3 a KeyUpdate before every small write (PKI-TLS-1: 'MUST be TLS 1.3')",
        _both("s10-pki-session-tickets", "srv-ok-pki-key-update"),
    ),
    # --- the pki responder's certificate checks (test_pki_identity.py, test_pki_certs.py)
    _again(
        "ambig-ok-pki-refusal-close-notify-only",
        "s15-pki-refusal-close-notify-only-identity-peers",
        (*_CERT_REQS, "LIM-5"),
        (*_CERT_FILES, _SILENT_PEERS),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR'",
    ),
    _again(
        "s14-pki-cert-after-handshake-hrr-certs",
        "s15-pki-cert-after-handshake-hrr-identity-peers",
        (*_CERT_REQS, "LIM-5", "LIM-4", "LIM-9"),
        (*_CERT_FILES, _SILENT_PEERS, _HANDSHAKE_BURST),
        "PKI-TLS-10: 'a responder may make some checks ... in its own code once its TLS "
        "stack has completed'; PKI-TLS-9: groups from the list (P-384 only: a "
        "HelloRetryRequest)",
    ),
    # --- the eke client: a closed login, held logins, get doors, put receipts, signs
    Reading(
        "s15-eke-client-closed-login-own-words",
        "eke",
        ("LIM-9",),
        (_LOGIN_CLOSED,),
        "LIM-9: 'a close (FIN) during its login MUST be reported as the server closing the "
        'connection (the reference says "server busy?")\'; ERR-1: messages are for people: '
        "'login failed: the connection was closed by the peer before the key exchange ended'",
        _eke_client_closed_login_own_words,
        client=True,
    ),
    _again(
        "s14-eke-client-eke4-eror-own-words-login",
        "s15-eke-client-eke4-eror-own-words-holds",
        ("LIM-9", "FRM-3", "APP-GET-6", "APP-STORE-3", "EKE-KS-1", "EKE-HS-4"),
        (_LOGIN_CLOSED, _LOGIN_HOLDS, _GET_DOORS),
        "EKE-HS-7: 'on failure it MUST close and tell its user': EROR auth_failed before the "
        "close; ERR-1: 'name and message are for people': its EROR messages in its own words",
    ),
    _again(
        "s14-eke-client-slow-split-writes-login",
        "s15-eke-client-slow-split-writes-holds",
        ("LIM-9", "FRM-3", "EKE-X-2", "EKE-SEC-1", "EKE-REC-4", "EKE-KS-4"),
        (_LOGIN_CLOSED, _LOGIN_HOLDS, _SIGN_HALVES, _REFLECTED),
        "no requirement sets a client's pace within LIM-1: 0.5 s before EKE1 and before "
        "EKE3; FRM-4: 'a header split from its payload MUST ... be processed identically'",
    ),
    _again(
        "s13-eke-client-write-at-end-uuid-exit-3",
        "s15-eke-client-write-at-end-uuid-exit-3-doors",
        (*_CLIENT_GET_REQS, "EKE-REC-4", "EKE-KS-4"),
        (_GET_DOORS, _GET_STRAY, _REFLECTED),
        "APP-GET-6: written at DONE, then renamed; APP-STORE-1: '.sft-partial- followed by "
        "a random part' (a UUID); a failed get exits 3",
    ),
    Reading(
        "s15-eke-client-reads-source-first-own-words-receipts",
        "eke",
        ("APP-PUT-10", "ERR-4"),
        (_PUT_RECEIPT, _PUT_UNKNOWN_CODES),
        "APP-PUT-4: 'Its sha256 is the SHA-256 of the bytes sent, or a digest of the source "
        "taken before sending': the source read whole before PUTF; ERR-1: its EROR messages "
        "in its own words",
        _both("s14-eke-client-put-reads-source-first", "fp2-eke-client-own-error-words"),
        client=True,
    ),
    # --- the pki initiator
    Reading(
        "s15-pki-initiator-closed-handshake-own-words",
        "pki",
        ("LIM-9",),
        (_LOGIN_CLOSED,),
        "LIM-9: a handshake the responder closes 'SHOULD be reported as such': '{peer} ended "
        "the connection during the TLS handshake (it may be overloaded): try again later'",
        _pki_initiator_closed_handshake_own_words,
        client=True,
    ),
    _again(
        "s13-pki-initiator-sweeps-often-run-temporaries",
        "s15-pki-initiator-sweeps-often-upper-age",
        ("APP-STORE-3", "FRM-5", "FRM-6", "APP-PUT-10"),
        (_SWEEP_UPPER_AGE, _GET_STRAY, _PUT_RECEIPT),
        "APP-STORE-3: an initiator removes temporaries 'that nobody has written to for "
        "longer than the idle timeout (LIM-2)': it sweeps at every run",
    ),
    # --- the CA: throttled answers, whole-second locks, the hard-lock bound
    _again(
        "s14-ca-csr-first-slow-logins-throttle",
        "s15-ca-csr-first-slow-logins-locks",
        _CA_REQS,
        _CA_FILES,
        "CA-ENR-21: '400 bad_csr (the CSR is checked first and the password is not verified: "
        "nothing counts ...)'; CA-ENR-5 leaves the hash's cost to the CA: every login 0.3 s",
    ),
    _again(
        "s13-ca-pending-cap-2-busy-3-slow-logins",
        "s15-ca-pending-cap-2-busy-3-locks",
        _CA_REQS,
        _CA_FILES,
        "CA-ENR-14: 'or p at the CA's pending cap (reference: 4)': 2; '503 ... with "
        "Retry-After (seconds, at least 1)': 3; CA-ENR-5 leaves the hash's cost to the CA",
    ),
    # --- the pki initiator's cases landed at 07:36 (give-up, EROR fatality, trust, temps)
    _again(
        "s14-pki-initiator-write-at-end-exit-3-data-bounds",
        "s15-pki-initiator-write-at-end-exit-3-temp-names",
        ("APP-STORE-1",),
        (_TEMP_NAMES,),
        "APP-GET-6: 'write a get into a temporary file and rename it ... only after APP-GET-3 "
        "succeeded': kept in memory until DONE; a failed get exits 3 (any non-zero status)",
    ),
    Reading(
        "s15-pki-initiator-mismatch-bare-close-retries-give-up",
        "pki",
        ("LIM-9", "PKI-ID-1"),
        (_GIVE_UP,),
        "PKI-ID-1: 'How it ends that connection (a TLS alert, close_notify, or a TCP close) is "
        "its choice': a TCP close; LIM-9 sets no count of attempts: it retries after a close "
        "and after an alert too",
        _both("s10-pki-initiator-mismatch-bare-close", "s11b-pki-initiator-retries-after-alerts"),
        client=True,
    ),
    _again(
        "ambig-ok-initiator-control-limit-from-payload",
        "s15-pki-initiator-control-limit-from-payload-eror-fatality",
        ("ERR-3", "FRM-10", "PKI-TLS-7", "FRM-3", "FRM-8", "APP-PUT-10", "ERR-4"),
        (_EROR_FATALITY,),
        "FRM-8: 'The receiver MAY judge that from the header alone or once the payload "
        "(within the frame limit, FRM-3) has arrived; both conform': an EROR over 64 KiB "
        "read whole, then refused frame_too_large",
    ),
    _again(
        "s14-pki-initiator-x509-strict-auth-failed-layouts",
        "s15-pki-initiator-x509-strict-auth-failed-put-trust",
        ("PKI-CERT-3", "PKI-CERT-4", "PKI-CERT-7", "PKI-TLS-7", "PKI-CERT-6", "PKI-CERT-9"),
        (_PUT_TRUST, _CERT_SHAPES),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them'; PKI-TLS-7: "
        "'MAY send one fatal EROR auth_failed before it closes' after a completed handshake",
    ),
    _again(
        "s13-enroll-rsa-key-edges",
        "s15-enroll-rsa-key-trust-sources",
        ("CA-ENR-12", "PKI-TLS-4"),
        (_TRUST_SOURCES,),
        "PKI-CERT-1: 'The key is ECDSA on P-256 only ... or RSA' (≥ 2048); CA-ENR-12: made "
        "locally: an RSA-3072 key",
    ),
)
