"""Conforming variants aimed at the cases written in the eleventh session (helper FP7).

Session 11's case writers (B41–B44, the lead, I7) added stricter cases through the lenses
of time, I/O granularity, lenient parsing, caching and fallbacks: certificates minutes
past their validity, a certificate that expires while the responder runs, a handshake
deadline counted from accept, put frames split and coalesced any way, JSON extensions
refused, an initiator's close after its own fatal EROR, every ClientHello of a retrying
initiator, busy waits counted from the answer, CA requests in TLS records of any size,
passwords compared exactly, CSR forms, paced failures that still lock.

Each `Reading` plants an allowed choice the reference does not make, aimed at one of
those cases; the suite must PASS it (conformance/selftest/test_ambig_readings.py). Every
description quotes the SPEC (or RFC) sentence that allows the choice. Where an earlier
session already wrote the variant, its function is reused (looked up by the earlier
reading's name) and only the case files are new; reference modules are reached only
through `_module`, at apply time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conformance.selftest import mutants_ambig as ambig
from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session9 as s9
from conformance.selftest import readings_session10 as s10
from conformance.selftest import readings_session10b as s10b
from conformance.selftest import readings_session11 as s11
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's new or changed case files (git log --since "2026-12-05 18:30").
_CERTS = "test_pki_certs.py"
_DEADLINE = "test_pki_handshake_deadline.py"
_FRAMING = "test_framing.py"
_PUT = "test_app_put.py"
_NAMES = "test_app_names.py"
_TLS = "test_pki_tls.py"
_CLOSE_TIMING = "test_client_pki_close_timing.py"
_HELLO_RETRY = "test_client_pki_hello_retry.py"
_CERT_VARIANTS = "test_client_pki_cert_variants.py"
_INITIATOR_TRANSFER = "test_pki_initiator_transfer.py"
_BUSY_RETRIES = "test_eke_client_busy_retries.py"
_FALLBACKS = "test_eke_client_fallbacks.py"
_KEYS = "test_eke_client_keys.py"
_REQUEST_NAMES = "test_eke_client_request_names.py"
_SEGMENTS = "test_eke_client_segments.py"
_SWEEP_FIELDS = "test_eke_client_sweep_fields.py"
_CLIENT_TRANSFER = "test_eke_client_transfer.py"
_CA = "test_ca.py"
_CA_PIECES = "test_ca_request_pieces.py"
_CA_PASSWORDS = "test_ca_password_bytes.py"
_CA_CSR_FORMS = "test_ca_csr_forms.py"
_CA_PACED = "test_ca_paced_failures.py"
_SPLIT_PUTS = "test_interop_split_puts.py"
_EMPTY_TRANSFERS = "test_interop_empty_transfers.py"
_CONTROL_BYTES = "test_app_control_bytes.py"
_FRAME_SIZES = "test_app_get_frame_sizes.py"
_IDLE_TAIL = "test_app_idle_tail.py"
_NAME_MEMORY = "test_app_put_name_memory.py"
_CA_ERROR_FRAMING = "test_ca_error_framing.py"
_CA_OWN_CLOCK = "test_ca_own_clock.py"
_CA_UNKNOWN_FORMS = "test_ca_unknown_alias_forms.py"
_CA_PIPELINED = "test_interop_ca_pipelined_gets.py"
_CA_LINE_ENDS = "test_interop_ca_csr_line_ends.py"
_CA_LOCK_THRESHOLD = "test_interop_ca_lock_threshold.py"
_REFUSAL_CLOSE = "test_interop_pki_refusal_close.py"
_LENIENT_FRAMES = "test_client_lenient_frames.py"
_PUT_WIRE = "test_client_put_wire.py"
_SWEEP_PREFIX = "test_client_sweep_prefix.py"
_LOGIN_RULES = "test_eke_client_login_rules.py"
_ALIAS_MEMORY = "test_client_pki_alias_memory.py"
_LATE_CA_FILES = (_CA_ERROR_FRAMING, _CA_PIPELINED, _CA_LINE_ENDS)
_LATE_CLIENT_REQS = ("ERR-8", "FRM-2", "APP-NAME-3", "APP-PUT-1", "APP-PUT-10", "FRM-9")
_EKE_LATE_CLIENT_REQS = (
    *_LATE_CLIENT_REQS,
    *("APP-PUT-4", "EKE-REC-1", "EKE-REC-2", "APP-NAME-9", "APP-STORE-3", "EKE-HS-9"),
    *("FRM-3", "FRM-5", "LIM-9"),
)
_PKI_LATE_CLIENT_REQS = (*_LATE_CLIENT_REQS, "PKI-TLS-7", "APP-NAME-9", "APP-STORE-3", "PKI-ID-1")
_HALF_CLOSE = "test_eke_half_close.py"
_PUT_DIGESTS = "test_eke_put_digests.py"
_PUT_NAME_RULES = "test_eke_put_name_rules.py"
_EKE_RECORDS = "test_eke_records.py"
_EKE_THROTTLING = "test_eke_throttling.py"
_EKE_STALLS = "test_eke_handshake_stalls.py"

_CERT_REQS = ("PKI-CERT-3", "PKI-CERT-5", "PKI-CERT-6", "PKI-CERT-9", "PKI-TLS-10", "ERR-3")
_PUT_REQS = ("FRM-4", "APP-PUT-4", "APP-PUT-5", "APP-PUT-3", "APP-STORE-3", "ERR-3")
_NAME_REQS = ("APP-NAME-1", "APP-PUT-2")
_INITIATOR_LIES = ("APP-GET-3", "FRM-9", "FRM-11", "APP-STORE-3", "FRM-14", "ERR-1")
_CA_NEW_REQS = ("CA-ENR-2", "CA-ENR-9", "CA-ENR-6")  # CA-ENR-15: kept-alive connections


def _earlier(name: str) -> Callable[[], None]:
    """The `apply` of a reading an earlier session wrote (found by its name)."""
    for module in (ambig, fp1, fp2, s9, s10, s10b, s11):
        for reading in getattr(module, "READINGS", ()):
            if reading.name == name:
                apply: Callable[[], None] = reading.apply
                return apply
    raise KeyError(name)


def _both(*names: str) -> Callable[[], None]:
    """Several earlier readings planted together (they patch different things)."""
    applies = [_earlier(n) for n in names]

    def apply() -> None:
        for one in applies:
            one()

    return apply


# ---------------------------------------------------------------- the pki initiator


_CLOSE_NOTIFY_WAIT = 1.5  # seconds; ERR-3: "the conformance suite allows 2 s"


def _initiator_waits_longer_for_close_notify() -> None:
    # ERR-3: "The close follows the EROR at once ... (the conformance suite allows 2 s";
    # PKI-TLS-7 asks a close_notify before the TCP close. This endpoint sends its
    # close_notify at once and then waits up to 1.5 s (the reference: 1 s) for the peer's
    # before its FIN, so that its EROR is not lost to a reset.
    fp1._load_everything()
    tls = _module("reference.pki.tls")
    original = tls.close_tls

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        original(sock, max(timeout, _CLOSE_NOTIFY_WAIT))

    fp1._everywhere("reference.pki.tls", "close_tls", close_tls)


_HANDSHAKE_RETRIES = 2
_RETRY_PAUSE = 0.3


def _initiator_retries_failed_handshakes() -> None:
    # LIM-9: "A client refused this way, or with EROR busy, reports 'server busy'" and
    # sets no count of attempts; test_client_pki_hello_retry.py: "A client may try again
    # after a failed handshake ... some clients also retry after an alert". This
    # initiator retries a handshake that failed with a TLS alert twice, 0.3 s apart,
    # with the same (PKI-TLS-9) offer, then reports the failure.
    client = _module("reference.pki.client")
    original = client.PkiSession._connect_once

    def connect_once(self: Any, context: Any, host: str, port: int, *, reached: bool) -> Any:
        for attempt in range(_HANDSHAKE_RETRIES + 1):
            try:
                return original(self, context, host, port, reached=reached)
            except client.PkiClientError as exc:
                if attempt == _HANDSHAKE_RETRIES or exc.exit_code != 1:
                    raise
                time.sleep(_RETRY_PAUSE)
        raise AssertionError("unreachable")

    client.PkiSession._connect_once = connect_once


# ---------------------------------------------------------------- the CA


def _ca_close_delimited_answers() -> None:
    # RFC 9112 §6.3 (8): a response without a declared length has its body "determined by
    # the number of octets received prior to the server closing the connection"; RFC 9112
    # §9.6: a server MAY close after any response ("Connection: close"). This CA closes
    # after every answer, and sends it without Content-Length (as hand-written servers
    # do): the body ends at the close.
    handler = fp2._ca_handler()

    def send(
        self: Any,
        status: Any,
        body: bytes,
        content_type: str,
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    handler._send = send


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def _ca_refuses_lone_surrogates() -> None:
    # RFC 8259 §8.2: a string with an unpaired surrogate "is unpredictable" in what
    # software does with it; test_ca.py: "the CA may refuse it as it likes (400, 401, or
    # even 500)"; test_ca_password_bytes.py: "or an error answer for a string the CA will
    # not take". This CA (a Go or Rust one, whose strings are UTF-8) refuses any JSON
    # string holding a lone surrogate as malformed: 400 bad_request, before any password
    # is looked at.
    handler = fp2._ca_handler()
    server = _module("reference.pki.ca_server")
    http = _module("http")
    original = handler._read_json

    def read_json(self: Any) -> dict[str, Any]:
        value: dict[str, Any] = original(self)
        if _has_surrogate(value):
            raise server._HttpError(
                http.HTTPStatus.BAD_REQUEST,
                "bad_request",
                "a JSON string holds an unpaired surrogate (no UTF-8 encoding)",
            )
        return value

    handler._read_json = read_json


def _ca_misdirected_421() -> None:
    # RFC 9110 §15.5.20: 421 (Misdirected Request) "indicates that the request was
    # directed at a server that is unable or unwilling to produce an authoritative
    # response for the target URI"; the CA knows its own host names (CA-ENR-17: "one of
    # its own host names"). This CA serves a request whose Host is one of its TLS
    # certificate's names or an IP literal, and answers any other Host 421 (a JSON error
    # object, CA-ENR-9) and closes, as virtual-host servers do.
    handler = fp2._ca_handler()
    http = _module("http")
    ipaddress = _module("ipaddress")
    original = handler._dispatch

    def dispatch(self: Any) -> None:
        host = (self.headers.get("Host") or "").strip()
        if host.startswith("["):
            name = host[1 : host.find("]")]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        try:
            ipaddress.ip_address(name)
            literal = True
        except ValueError:
            literal = False
        known = name.lower().removesuffix(".") in self.server.ca.host_names
        if name and not literal and not known:
            self._body_read = False
            self._send_json(
                http.HTTPStatus.MISDIRECTED_REQUEST,
                {"error": "misdirected_request", "message": "this CA does not serve that host"},
                close=True,
            )
            return
        original(self)

    handler._dispatch = dispatch
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):  # bound to _dispatch by name
        if hasattr(handler, f"do_{method}"):
            setattr(handler, f"do_{method}", dispatch)


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


READINGS: tuple[Reading, ...] = (
    # --- sft-pki/1 responder: near misses, one serial, expiry while running (test_pki_certs)
    _r(
        "s11b-pki-refusal-close-notify-only-near-misses",
        "pki",
        _CERT_REQS,
        (_CERTS,),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR': "
        "certificates minutes outside their validity, of a known serial, expired while the "
        "responder runs",
        _earlier("ambig-ok-pki-refusal-close-notify-only"),
    ),
    _r(
        "s11b-pki-refusal-abrupt-close-near-misses",
        "pki",
        _CERT_REQS,
        (_CERTS,),
        "PKI-TLS-10: '... or a TCP reset, where the TLS stack ...': the refusals of the new "
        "near-miss and expiry cases end with a reset",
        _earlier("s10-pki-refusal-abrupt-close"),
    ),
    _r(
        "s11b-pki-cert-after-handshake-near-misses",
        "pki",
        _CERT_REQS,
        (_CERTS,),
        "PKI-TLS-10: 'a responder may make some checks (PKI-CERT-1/5/9, PKI-ID-4, ALPN) in "
        "its own code once its TLS stack has completed': EROR auth_failed after the handshake",
        _earlier("srv-ok-pki-cert-checked-after-handshake"),
    ),
    _r(
        "s11b-pki-refusal-decided-late-near-misses",
        "pki",
        _CERT_REQS,
        (_CERTS,),
        "PKI-TLS-10: 'at once (ERR-3)'; ERR-3: 'the conformance suite allows 2 s': every "
        "certificate check takes 0.4 s before a refusal",
        _earlier("s10b-pki-refusal-decided-late"),
    ),
    _r(
        "s11b-pki-x509-strict-aki-near-misses",
        "pki",
        _CERT_REQS,
        (_CERTS,),
        "PKI-CERT-13: 'An endpoint MAY refuse a peer certificate without an "
        "AuthorityKeyIdentifier, or with one that does not match the root's'; 'Strict X.509 "
        "verifiers refuse a certificate without them': both, on the certificates the new "
        "cases mint (one serial reissued, a three-second life)",
        _both("s10-pki-x509-strict", "s10-pki-aki-must-match-root"),
    ),
    _r(
        "s11b-pki-session-tickets-expiry",
        "pki",
        (*_CERT_REQS, "PKI-TLS-1"),
        (_CERTS, _TLS),
        "RFC 8446 §4.6.1: NewSessionTicket after the handshake (PKI-TLS-9 pins suites, "
        "groups and signatures only): tickets issued to a certificate that then expires",
        _earlier("s10-pki-session-tickets"),
    ),
    # --- sft-pki/1 responder: the handshake deadline
    _r(
        "s11b-pki-timeouts-late-handshake-deadline",
        "pki",
        ("LIM-1", "LIM-9", "LIM-4"),
        (_DEADLINE,),
        "LIM-1: 'MUST close a connection whose secure channel is not established within the "
        "handshake timeout' (not to the millisecond): timers swept periodically close up "
        "to 0.5 s after they expire, counted from accept",
        _earlier("srv-ok-pki-timeouts-late"),
    ),
    _r(
        "s11b-pki-full-refused-by-close-handshake-deadline",
        "pki",
        ("LIM-1", "LIM-4"),
        (_DEADLINE,),
        "LIM-4: 'above it the responder MUST refuse new connections (close, or EROR busy "
        "where possible)': closed before TLS",
        _earlier("s9-pki-full-refused-by-close"),
    ),
    # --- the application layer: split and coalesced puts, empty puts, long names, JSON
    _r(
        "s11b-pki-split-writes-new-puts",
        "pki",
        (*_PUT_REQS, *_NAME_REQS),
        (_FRAMING, _PUT, _NAMES, _SPLIT_PUTS, _EMPTY_TRANSFERS),
        "PKI-TLS-6: the protocol 'runs directly over the TLS stream'; FRM-4: 'a header split "
        "from its payload MUST ... be processed identically': every answer cut into TLS "
        "records of 1, 3, then at most 1000 bytes",
        _earlier("srv-ok-pki-split-writes"),
    ),
    _r(
        "s11b-pki-coalesced-writes-new-puts",
        "pki",
        (*_PUT_REQS, *_NAME_REQS),
        (_FRAMING, _PUT, _NAMES, _SPLIT_PUTS, _EMPTY_TRANSFERS),
        "FRM-4 (a stream of frames): the responder's writes gathered until its next read, "
        "several frames in one TLS record",
        _earlier("srv-ok-pki-coalesced-writes"),
    ),
    _r(
        "s11b-pki-json-every-style-new-cases",
        "pki",
        (*_PUT_REQS, *_NAME_REQS, "FRM-9", "PKI-TLS-1"),
        (_FRAMING, _PUT, _NAMES, _TLS),
        "RFC 8259 and FRM-10 ('A sender MAY add such members'): every control payload with "
        "members reversed, undefined members, every string escaped, white space around",
        _earlier("srv-ok-pki-json-every-style"),
    ),
    _r(
        "s11b-pki-slow-close-after-fatal-new-cases",
        "pki",
        ("ERR-3", "APP-PUT-5", "APP-STORE-3", "FRM-9", "PKI-TLS-10", "PKI-CERT-3"),
        (_PUT, _FRAMING, _CERTS),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s'): "
        "every close after the responder's fatal EROR 0.6 s later",
        _earlier("s9-pki-slow-close-after-every-fatal-eror"),
    ),
    _r(
        "s11b-eke-slow-put-done-new-puts",
        "eke",
        (*_PUT_REQS, *_NAME_REQS),
        (_PUT, _FRAMING, _NAMES, _SPLIT_PUTS, _EMPTY_TRANSFERS),
        "APP-PUT-5: 'answer DONE {size, sha256} only once the file is durably stored' sets "
        "no time: every put's DONE 0.8 s later (empty puts too)",
        _earlier("srv-ok-eke-slow-put-done"),
    ),
    _r(
        "s11b-pki-name-before-size-generic-eror-long-names",
        "pki",
        (*_NAME_REQS, "APP-PUT-3", "APP-PUT-5", "ERR-3"),
        (_NAMES, _PUT),
        "FRM-16: 'a PUTF whose name is refused and whose size is too large (forbidden or "
        "too_large)'; ERR-1: 'name and message are for people': names judged before sizes, "
        "every EROR message 'request refused'",
        _both("srv-ok-pki-name-before-size", "srv-ok-pki-eror-generic-message"),
    ),
    # --- sft-pki/1 initiator: its close after its own fatal EROR, its ClientHellos, its
    #     refusals of responder certificates, its gets
    _r(
        "s11b-pki-initiator-close-without-waiting",
        "pki",
        ("ERR-3", "PKI-TLS-7", *_INITIATOR_LIES),
        (_CLOSE_TIMING, _INITIATOR_TRANSFER),
        "PKI-TLS-7: 'MUST send a TLS close_notify before closing the TCP connection': sent, "
        "and the close within 50 ms, without waiting for the peer's close_notify",
        _earlier("srv-ok-pki-close-without-waiting"),
        client=True,
    ),
    _r(
        "s11b-pki-initiator-waits-longer-for-close-notify",
        "pki",
        ("ERR-3", "PKI-TLS-7", *_INITIATOR_LIES),
        (_CLOSE_TIMING, _INITIATOR_TRANSFER),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s': "
        "close_notify at once, then up to 1.5 s for the peer's before the FIN",
        _initiator_waits_longer_for_close_notify,
        client=True,
    ),
    _r(
        "s11b-pki-initiator-retries-after-alerts",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-1"),
        (_HELLO_RETRY,),
        "LIM-9 sets no count of attempts ('A client refused this way ... reports server "
        "busy'): the initiator retries a handshake that ended in an alert twice, 0.3 s "
        "apart, with the same PKI-TLS-9 offer",
        _initiator_retries_failed_handshakes,
        client=True,
    ),
    _r(
        "s11b-pki-initiator-aes256-secp384r1-hellos",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-1", "PKI-CERT-3", "PKI-ID-4", "PKI-ID-1"),
        (_HELLO_RETRY, _CERT_VARIANTS),
        "PKI-TLS-9 lists what MAY be offered; a subset conforms: TLS_AES_256_GCM_SHA384 "
        "alone and secp384r1 alone (a key share the suite's responder must HRR for)",
        _both("fp2-pki-initiator-aes256-only", "fp2-pki-initiator-secp384r1"),
        client=True,
    ),
    _r(
        "s11b-pki-initiator-x509-strict-cert-variants",
        "pki",
        ("PKI-CERT-3", "PKI-ID-4", "PKI-ID-1", "PKI-CERT-1", "PKI-CERT-9", "PKI-TLS-1"),
        (_CERT_VARIANTS,),
        "PKI-CERT-13: 'Strict X.509 verifiers refuse a certificate without them'; PKI-CERT-9: "
        "'it MAY also refuse other departures from PKI-CERT-1': the initiator verifies "
        "strictly and refuses a KeyUsage beyond digitalSignature",
        _both("s10-pki-initiator-x509-strict", "s10-pki-initiator-strict-leaf-profile"),
        client=True,
    ),
    _r(
        "s11b-pki-initiator-mismatch-bare-close-cert-variants",
        "pki",
        ("PKI-ID-1", "PKI-ID-4", "PKI-CERT-3"),
        (_CERT_VARIANTS,),
        "PKI-ID-1: 'How it ends that connection (a TLS alert, close_notify, or a TCP close) "
        "is its choice': a bare TCP close for a responder holding the initiator's own alias",
        _earlier("s10-pki-initiator-mismatch-bare-close"),
        client=True,
    ),
    _r(
        "s11b-pki-initiator-styles-new-lies",
        "pki",
        _INITIATOR_LIES,
        (_INITIATOR_TRANSFER, _EMPTY_TRANSFERS),
        "FRM-8 / RFC 8259 (members reversed, white space, escapes), APP-GET-6 (the get kept "
        "in memory until DONE verifies, then temporary + rename) and ERR-5 (digests and "
        "sizes in the integrity_failed message): the empty-file and float-size lies",
        _both(
            "fp2-pki-initiator-json-style",
            "fp2-pki-initiator-write-at-end",
            "s10b-pki-initiator-integrity-message-with-digests",
        ),
        client=True,
    ),
    # --- sft-eke/1 client: busy waits, segments, fallbacks, temporaries
    _r(
        "s11b-eke-client-busy-doubling-every-retry",
        "eke",
        ("EKE-THR-7", "EKE-HS-10"),
        (_BUSY_RETRIES,),
        "EKE-THR-7: 'MUST NOT retry before retry_after seconds have passed' (a floor): "
        "waits doubled from retry_after at each busy, longer than the case's seven gaps",
        _earlier("s9-client-busy-doubling-from-retry-after"),
        client=True,
    ),
    _r(
        "s11b-eke-client-busy-two-retries-every-retry",
        "eke",
        ("EKE-THR-7", "EKE-HS-10"),
        (_BUSY_RETRIES,),
        "EKE-THR-7: 'A client that receives busy MAY retry': two retries, then it gives up",
        _earlier("s9-client-busy-two-retries"),
        client=True,
    ),
    _r(
        "s11b-eke-client-busy-exactly-every-retry",
        "eke",
        ("EKE-THR-7", "EKE-HS-10"),
        (_BUSY_RETRIES,),
        "EKE-THR-7: 'MUST NOT retry before retry_after seconds have passed': exactly "
        "retry_after after the answer, no jitter",
        _earlier("s9-client-busy-exactly-retry-after"),
        client=True,
    ),
    _r(
        "s11b-eke-client-split-tcp-writes-new-cases",
        "eke",
        ("EKE-REC-1", "FRM-4", "APP-NAME-3", "EKE-KS-1", "EKE-PW-1", "EKE-HS-1", "FRM-9"),
        (_SEGMENTS, _REQUEST_NAMES, _KEYS, _FALLBACKS),
        "FRM-4: 'a header split from its payload MUST ... be processed identically': every "
        "client write in three TCP segments",
        _earlier("s10-eke-client-split-tcp-writes"),
        client=True,
    ),
    _r(
        "s11b-eke-client-eke4-eror-slow-fallbacks",
        "eke",
        ("EKE-HS-1", "EKE-HS-7", "EKE-PW-1", "EKE-PW-3", "FRM-12", "FRM-9", "EKE-KS-1"),
        (_FALLBACKS, _KEYS),
        "EKE-HS-7: 'on failure it MUST close and tell its user' (an EROR auth_failed before "
        "the close is no fault); a client 0.5 s slower before EKE1 and EKE3 (within LIM-1)",
        _both("fp2-eke-client-eke4-eror", "fp2-eke-client-slow"),
        client=True,
    ),
    _r(
        "s11b-eke-client-write-at-end-uuid-exit-3-transfer",
        "eke",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-1", "APP-STORE-2", "APP-STORE-3", "FRM-13"),
        (_CLIENT_TRANSFER, _SWEEP_FIELDS, _EMPTY_TRANSFERS),
        "APP-GET-6 (written at DONE, then renamed), APP-STORE-1 ('.sft-partial- followed by "
        "a random part': a UUID4) and an exit status of 3 for a failed get (non-zero)",
        _both(
            "fp2-eke-client-write-at-end", "fp2-eke-client-uuid-partial", "fp2-eke-client-exit-3"
        ),
        client=True,
    ),
    # --- sft-eke/1 server (B40): half-close, digests at every size, stalls, throttles
    _r(
        "s11b-eke-no-bye-echo-slow-done-half-close",
        "eke",
        ("APP-2", "APP-PUT-5", "APP-PUT-2"),
        (_HALF_CLOSE, _PUT_DIGESTS, _PUT_NAME_RULES),
        "§3.1: 'BYE_ | I→R (R→I MAY echo)': no echo, the server closes; APP-PUT-5 'answer "
        "DONE ... only once the file is durably stored' sets no time: every DONE 0.8 s later",
        _both("srv-ok-eke-no-bye-echo", "srv-ok-eke-slow-put-done"),
    ),
    _r(
        "s11b-eke-small-data-frames-nagle-half-close",
        "eke",
        ("APP-2",),
        (_HALF_CLOSE,),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': a get's DATA in "
        "one-byte records first; Nagle's algorithm left on (no requirement sets a latency)",
        _both("srv-ok-eke-small-data-frames", "srv-ok-eke-nagle"),
    ),
    _r(
        "s11b-eke-fatal-graceful-close-records-digests",
        "eke",
        ("EKE-REC-4", "APP-PUT-5"),
        (_EKE_RECORDS, _PUT_DIGESTS),
        "ERR-3: 'The close follows the EROR at once': a FIN at once, then what the peer "
        "still sends read and dropped (never processed) for up to 1 s",
        _earlier("srv-ok-eke-fatal-graceful-close"),
    ),
    _r(
        "s11b-eke-slow-close-after-fatal-records-digests",
        "eke",
        ("EKE-REC-4", "APP-PUT-5", "APP-2"),
        (_EKE_RECORDS, _PUT_DIGESTS, _HALF_CLOSE),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s'): "
        "every close after the server's fatal EROR 0.6 s later",
        _earlier("s9-eke-slow-close-after-every-fatal-eror"),
    ),
    _r(
        "s11b-eke-slow-eke2-throttles-stalls",
        "eke",
        ("EKE-THR-5", "EKE-THR-6", "LIM-8", "EKE-HS-11"),
        (_EKE_THROTTLING, _EKE_STALLS),
        "EKE-HS-2 sets no time for EKE2 but LIM-1's handshake timeout: every EKE2 0.15 s "
        "later, whoever the user (EKE-HS-3)",
        _earlier("srv-ok-eke-slow-eke2"),
    ),
    _r(
        "s11b-eke-timeouts-late-busy-by-close-stalls",
        "eke",
        ("EKE-HS-11", "LIM-1", "LIM-5", "LIM-8"),
        (_EKE_STALLS,),
        "LIM-1 says what is closed, not to the millisecond when: timers swept periodically "
        "close up to 0.5 s late; LIM-4/LIM-8: 'close, or EROR busy where possible': by close",
        _both("srv-ok-eke-timeouts-late", "srv-ok-eke-busy-by-close"),
    ),
    # --- both servers' application layer (B47): control bytes, DATA sizes, idle, names
    _r(
        "s11b-pki-done-malformed-integrity-control-bytes",
        "pki",
        ("APP-PUT-5", "FRM-9", "FRM-12", "ERR-3"),
        (_CONTROL_BYTES,),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-PUT-5 "
        "'otherwise EROR integrity_failed': a DONE whose digest is malformed answered "
        "integrity_failed",
        _earlier("s11-pki-done-malformed-integrity-failed"),
    ),
    _r(
        "s11b-eke-done-malformed-integrity-control-bytes",
        "eke",
        ("APP-PUT-5", "FRM-9", "FRM-12", "ERR-3"),
        (_CONTROL_BYTES,),
        "FRM-16: 'a receiver MAY answer with the code of any rule it breaks'; APP-PUT-5 "
        "'otherwise EROR integrity_failed': a DONE whose digest is malformed answered "
        "integrity_failed",
        _earlier("s11-eke-done-malformed-integrity-failed"),
    ),
    _r(
        "s11b-pki-small-data-frames-frame-sizes",
        "pki",
        ("APP-GET-2", "FRM-13", "FRM-14"),
        (_FRAME_SIZES,),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': one-byte frames "
        "first, then 65 521 and 1 048 576 bytes in turn, whatever the file's size",
        _earlier("srv-ok-pki-small-data-frames"),
    ),
    _r(
        "s11b-eke-small-data-frames-frame-sizes",
        "eke",
        ("APP-GET-2", "FRM-13", "FRM-14"),
        (_FRAME_SIZES,),
        "FRM-13: 'A DATA frame's payload MUST be 1 to 1 048 576 bytes': one-byte records "
        "first, then 65 521 and 1 048 576 bytes in turn, whatever the file's size",
        _earlier("srv-ok-eke-small-data-frames"),
    ),
    _r(
        "s11b-pki-timeouts-late-idle-tail",
        "pki",
        ("LIM-2", "APP-STORE-3"),
        (_IDLE_TAIL,),
        "LIM-2 says what is closed, not to the millisecond when: timers swept periodically "
        "close up to 0.5 s after they expire",
        _earlier("srv-ok-pki-timeouts-late"),
    ),
    _r(
        "s11b-eke-timeouts-late-idle-tail",
        "eke",
        ("LIM-2", "APP-STORE-3"),
        (_IDLE_TAIL,),
        "LIM-2 says what is closed, not to the millisecond when: timers swept periodically "
        "close up to 0.5 s after they expire",
        _earlier("srv-ok-eke-timeouts-late"),
    ),
    _r(
        "s11b-pki-put-in-progress-exists-name-memory",
        "pki",
        ("APP-NAME-2", "APP-NAME-9", "APP-PUT-2", "APP-PUT-3"),
        (_NAME_MEMORY,),
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists'; FRM-16: "
        "a PUTF's name judged before its size",
        _both("srv-ok-pki-put-in-progress-exists", "srv-ok-pki-name-before-size"),
    ),
    # --- the late wave (B45, B46, I8): CA error framing, own clock, pipelined GETs, CSR
    #     line ends, unknown alias forms, refusals' ends, clients' puts and frames
    _r(
        "s11b-ca-close-delimited-late-wave",
        "pki",
        ("CA-ENR-9", "CA-ENR-2"),
        _LATE_CA_FILES,
        "RFC 9112 §9.6: a server MAY close after any response (Connection: close); §6.3 (8): "
        "a body without a declared length ends at the close: every answer so",
        _ca_close_delimited_answers,
        ca=True,
    ),
    _r(
        "s11b-ca-http10-late-wave",
        "pki",
        ("CA-ENR-9", "CA-ENR-2"),
        _LATE_CA_FILES,
        "RFC 9110 §2.5 (the SPEC names HTTPS and JSON bodies, no HTTP version): an HTTP/1.0 "
        "server, which closes after every answer",
        _earlier("s10-ca-http10"),
        ca=True,
    ),
    _r(
        "s11b-ca-chunked-answers-late-wave",
        "pki",
        ("CA-ENR-9", "CA-ENR-2"),
        _LATE_CA_FILES,
        "RFC 9112 §7.1: an HTTP/1.1 server MAY send any answer Transfer-Encoding: chunked",
        _earlier("fp2-ca-chunked-answers"),
        ca=True,
    ),
    _r(
        "s11b-ca-backdate-one-day-crl-hour-own-clock",
        "pki",
        ("CA-ENR-8", "CA-ENR-10"),
        (_CA_OWN_CLOCK,),
        "CA-ENR-10: 'notBefore MAY be backdated by up to one hour for clock skew', 'a "
        "validity of at most the configured period': one day; CA-ENR-16: 'a nextUpdate at "
        "most 7 days after its thisUpdate': one hour",
        _both("fp2-ca-backdate-one-hour", "fp2-ca-validity-one-day", "fp2-ca-crl-one-hour"),
        ca=True,
    ),
    _r(
        "s11b-ca-slow-logins-close-unknown-alias-forms",
        "pki",
        ("CA-ENR-7", "CA-ENR-19"),
        (_CA_UNKNOWN_FORMS, _CA_LOCK_THRESHOLD),
        "CA-ENR-5 leaves the hash's cost to the CA: every login 0.3 s slower; RFC 9112 §9.6: "
        "a server MAY close after any answer (Connection: close)",
        _both("fp2-ca-slow-logins", "fp2-ca-close-every-answer"),
        ca=True,
    ),
    _r(
        "s11b-pki-refusal-close-notify-only-refusal-close",
        "pki",
        ("PKI-TLS-10", "PKI-TLS-7", "PKI-TLS-2", "PKI-TLS-3"),
        (_REFUSAL_CLOSE,),
        "PKI-TLS-10: 'or a TLS alert, or close_notify, and the close, without an EROR'",
        _earlier("ambig-ok-pki-refusal-close-notify-only"),
    ),
    _r(
        "s11b-eke-client-split-uuid-exit-3-late-wave",
        "eke",
        _EKE_LATE_CLIENT_REQS,
        (_LENIENT_FRAMES, _PUT_WIRE, _SWEEP_PREFIX, _LOGIN_RULES),
        "FRM-4: 'a header split from its payload MUST ... be processed identically' (every "
        "write in three TCP segments); APP-STORE-1: '.sft-partial- followed by a random "
        "part' (a UUID4); a failed run exits 3 (non-zero)",
        _both(
            "s10-eke-client-split-tcp-writes",
            "fp2-eke-client-uuid-partial",
            "fp2-eke-client-exit-3",
        ),
        client=True,
    ),
    _r(
        "s11b-pki-initiator-split-json-close-late-wave",
        "pki",
        _PKI_LATE_CLIENT_REQS,
        (_LENIENT_FRAMES, _PUT_WIRE, _SWEEP_PREFIX, _ALIAS_MEMORY),
        "FRM-4 (each control frame's header in its own TLS record), RFC 8259 (members "
        "reversed, white space, escapes), PKI-TLS-7 (close_notify, then the close at once)",
        _both(
            "fp2-pki-initiator-split-writes",
            "fp2-pki-initiator-json-style",
            "srv-ok-pki-close-without-waiting",
        ),
        client=True,
    ),
    # --- the CA: requests in pieces, passwords, CSR forms, paced failures, JSON
    _r(
        "s11b-ca-close-delimited-new-cases",
        "pki",
        (*_CA_NEW_REQS, "CA-ENR-13", "CA-ENR-3", "CA-ENR-4", "CA-ENR-17"),
        (_CA_PIECES, _CA_PASSWORDS, _CA_CSR_FORMS),
        "RFC 9112 §9.6: a server MAY close after any response (Connection: close); §6.3 (8): "
        "a body without a declared length ends at the close: every answer so",
        _ca_close_delimited_answers,
        ca=True,
    ),
    _r(
        "s11b-ca-http10-new-cases",
        "pki",
        _CA_NEW_REQS,
        (_CA_PIECES, _CA_PASSWORDS),
        "RFC 9110 §2.5 (the SPEC names HTTPS and JSON bodies, no HTTP version): an HTTP/1.0 "
        "server, which closes after every answer (RFC 9112 §9.3: no keep-alive by default)",
        _earlier("s10-ca-http10"),
        ca=True,
    ),
    _r(
        "s11b-ca-chunked-answers-new-cases",
        "pki",
        (*_CA_NEW_REQS, "CA-ENR-15", "CA-ENR-13", "CA-ENR-17"),
        (_CA_PIECES, _CA_PASSWORDS, _CA_CSR_FORMS),
        "RFC 9112 §7.1: an HTTP/1.1 server MAY send any answer Transfer-Encoding: chunked",
        _earlier("fp2-ca-chunked-answers"),
        ca=True,
    ),
    _r(
        "s11b-ca-close-every-answer-new-cases",
        "pki",
        (*_CA_NEW_REQS, "CA-ENR-13", "CA-ENR-17", "CA-ENR-19"),
        (_CA_PIECES, _CA_PASSWORDS, _CA_CSR_FORMS, _CA_PACED),
        "RFC 9112 §9.6: a server MAY close after any answer (Connection: close)",
        _earlier("fp2-ca-close-every-answer"),
        ca=True,
    ),
    _r(
        "s11b-ca-csr-checked-first-csr-forms",
        "pki",
        ("CA-ENR-13", "CA-ENR-3", "CA-ENR-4", "CA-ENR-17", "CA-ENR-6", "CA-ENR-2"),
        (_CA_CSR_FORMS, _CA_PASSWORDS),
        "CA-ENR-21: '400 bad_csr (the CSR is checked first and the password is not verified: "
        "nothing counts ...)'",
        _earlier("s10b-ca-csr-checked-first-new-cases"),
        ca=True,
    ),
    _r(
        "s11b-ca-host-alias-403-slow-logins-new-cases",
        "pki",
        ("CA-ENR-17", "CA-ENR-4", "CA-ENR-19", "CA-ENR-6", "CA-ENR-2"),
        (_CA_CSR_FORMS, _CA_PACED, _CA_PASSWORDS),
        "CA-ENR-17: 'refuse to enrol (400 or 403 ...) an alias equal to one of its own host "
        "names': 403; CA-ENR-5 leaves the hash's cost to the CA: every login 0.3 s slower",
        _both("fp2-ca-host-alias-403", "fp2-ca-slow-logins"),
        ca=True,
    ),
    _r(
        "s11b-ca-refuses-lone-surrogates",
        "pki",
        ("CA-ENR-6", "CA-ENR-2", "CA-ENR-9"),
        (_CA_PASSWORDS, _CA),
        "RFC 8259 §8.2: what software does with an unpaired surrogate 'is unpredictable'; "
        "test_ca.py: 'the CA may refuse it as it likes (400, 401, or even 500)': 400 "
        "bad_request for any JSON string holding one",
        _ca_refuses_lone_surrogates,
        ca=True,
    ),
    _r(
        "s11b-ca-misdirected-421-request-pieces",
        "pki",
        ("CA-ENR-2", "CA-ENR-9", "CA-ENR-15"),
        (_CA_PIECES,),
        "RFC 9110 §15.5.20: 421 for a request 'directed at a server that is unable or "
        "unwilling to produce an authoritative response for the target URI'; the CA knows "
        "its host names (CA-ENR-17): a Host naming none of them (nor an IP) is answered 421",
        _ca_misdirected_421,
        ca=True,
    ),
)
