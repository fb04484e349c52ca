"""An independent sft-pki/1 responder and initiator, written from docs/SPEC.md alone.

The self-test's second implementation: the conformance suite's PKI cases must judge it
CONFORMANT (no case may depend on the reference's quirks), and each planted fault must
FAIL under its requirement (no case may pass a wrong implementation the reference's
mutants did not think of). It shares no code with `reference/` nor with the suite's
own message layer: Python's `ssl` for TLS 1.3, `cryptography` for the certificate and
CRL checks, its own framing.

    python -m conformance.selftest.independent.pki1 serve --cert C --key K --root R \\
        --ca-url https://H:P --listen 127.0.0.1:0 --share DIR --inbox DIR [--allow ALIAS]...
    python -m conformance.selftest.independent.pki1 get ALIAS@HOST:PORT NAME -o OUT \\
        --cert C --key K --root R --ca-url https://H:P
    python -m conformance.selftest.independent.pki1 put ALIAS@HOST:PORT FILE ...

Faults (clean-room bugs, one requirement each) are planted with the environment variable
`SFT_INDEPENDENT_FAULTS=name[,name]`; `FAULTS` lists them. Not a product: a test double.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# PKI-TLS-9: pinned through OpenSSL's configuration, before hashlib/ssl are imported
# (tls_pin.py says why), and only when run as a program.
if __name__ == "__main__":
    from conformance.selftest.independent.tls_pin import pin_tls_parameters

    pin_tls_parameters("pki1")

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import posixpath
import re
import secrets
import selectors
import signal
import socket
import ssl
import stat
import struct
import threading
import time
import unicodedata
import urllib.request
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["FAULTS", "main"]

ALPN = "sft-pki/1"
FRAME_LIMIT = 1_048_832
MAX_DATA = 1_048_576
MAX_CONTROL = 65_536
MAX_INT = 2**63 - 1
PARTIAL_PREFIX = ".sft-partial-"
_TYPE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_CONTROL_TYPES = frozenset({"RQFL", "RSFL", "PUTF", "DONE", "EROR", "BYE_"})
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CRL_MAX_LIFETIME = dt.timedelta(days=7)

# SPEC §2 ERR-2: the closed list of codes, and which of them are fatal.
ERRORS: dict[int, tuple[str, bool]] = {
    1: ("bad_frame", True),
    2: ("frame_too_large", True),
    3: ("unexpected_frame", True),
    4: ("auth_failed", True),
    5: ("forbidden", False),
    6: ("not_found", False),
    7: ("too_large", False),
    8: ("integrity_failed", True),
    9: ("busy", True),
    10: ("timeout", True),
    11: ("internal", True),
    12: ("exists", False),
    13: ("unsupported", False),
    14: ("throttled", True),
}
CODES = {name: code for code, (name, _fatal) in ERRORS.items()}

# name -> (the requirement it breaks, what the hurried implementer wrote)
FAULTS: dict[str, tuple[str, str]] = {
    "bare-close": ("PKI-TLS-7", "ends every connection with a bare TCP close, no close_notify"),
    "initiator-no-crl": ("PKI-CERT-7", "the initiator never loads a CRL"),
    "crl-first-entry": ("PKI-CERT-11", "the responder checks only the CRL's first entry"),
    "initiator-no-alias": ("PKI-ID-1", "the initiator never compares the CN to the alias"),
    "no-eku": ("PKI-CERT-5", "the responder does not check the client's EKU"),
    "initiator-no-eku": ("PKI-CERT-5", "the initiator does not check the server's EKU"),
    "ca-leaf": ("PKI-CERT-6", "the responder accepts a CA:TRUE leaf"),
    "expired": ("PKI-CERT-3", "the responder checks no validity dates"),
    "no-close-after-fatal": ("ERR-3", "after a fatal EROR the responder keeps reading"),
    "dotdot-normalised": ("APP-NAME-2", "names are normalised, so a/../b is served as b"),
    "symlink-followed": ("APP-NAME-4", "symbolic links out of the share are followed"),
    "put-overwrites": ("APP-PUT-3", "a put replaces an existing file"),
    "partial-final-name": ("APP-STORE-1", "a put is written directly under its final name"),
    "client-skips-done": ("APP-GET-3", "the initiator trusts DONE without checking it"),
    "extra-data-at-done": ("APP-PUT-6", "data beyond the size is noticed only at DONE"),
    "oversize-read": ("FRM-3", "an oversize frame's payload is read before it is refused"),
    "no-idle-timeout": ("LIM-2", "the responder waits for ever between requests"),
    "alpn-not-enforced": ("PKI-TLS-2", "the responder serves a client without the ALPN"),
    "allow-case-folded": ("PKI-ID-4", "the allow list is compared case-insensitively"),
    "names-nfc": ("APP-NAME-3", "names are NFC-normalised before use"),
    "prefix-confinement": ("APP-NAME-4", "confinement by string prefix: share-evil/ passes"),
    "too-large-off-by-one": ("LIM-3", "a file of exactly the maximum size is too_large"),
    "no-handshake-timeout": ("LIM-1", "a connection may take for ever to finish its handshake"),
    "put-sha-unchecked": ("APP-PUT-5", "PUTF.sha256 is never compared with the data"),
    "initiator-eof-is-end": (
        "APP-GET-5",
        "the initiator keeps a get whose bytes all came, no DONE",
    ),
    "data-frame-oversize": ("FRM-13", "DATA chunks up to the frame limit, not 1 MiB"),
    "bidi-isolates-allowed": ("APP-NAME-8", "the isolates U+2066-U+2069 are not refused"),
    "empty-data-frame": ("FRM-13", "a get ends its data with an empty DATA frame (EOF read)"),
    "duplicate-keys": ("FRM-9", "json.loads as is: a duplicate key's last value wins"),
    "bool-is-int": ("FRM-11", "isinstance(v, int): true/false pass as integers"),
    "existence-revealed": ("APP-NAME-6", "a missing file outside the share is not_found"),
    "tls12-allowed": ("PKI-TLS-1", "the responder's minimum version left at TLS 1.2"),
    "initiator-extra-dropped": ("APP-GET-4", "the initiator drops bytes beyond the size"),
    "initiator-temp-0644": ("APP-STORE-1", "the initiator's temporary file is 0644"),
    "responder-temp-0644": ("APP-STORE-1", "the responder's temporary file is 0644"),
    "first-cn": ("PKI-ID-4", "a subject with two CNs: the first is the alias"),
    "no-connection-limit": ("LIM-4", "connections are never counted"),
    "pending-cap-off-by-one": ("LIM-8", "one more pending handshake per address than the cap"),
    "no-eviction": ("LIM-9", "when full, new connections are refused, never a pending one evicted"),
    "directory-forbidden": ("APP-GET-2", "a get of a directory is answered forbidden"),
    "bye-ends-put": ("APP-BYE-1", "BYE_ during a put just closes"),
    "stray-answer-ignored": ("APP-1", "RSFL or DONE in IDLE is ignored"),
    "recv-once": ("FRM-4", "a frame's payload is read with one recv()"),
    "initiator-overwrites": ("APP-GET-6", "the initiator replaces an existing output file"),
    "initiator-no-sweep": ("APP-STORE-3", "the initiator never sweeps stale temporaries"),
    "initiator-sweeps-live": (
        "APP-STORE-3",
        "the initiator removes every temporary, live ones too",
    ),
    "initiator-no-signal-cleanup": ("APP-STORE-3", "SIGTERM kills the initiator without cleanup"),
    "initiator-alias-casefold": ("PKI-ID-4", "the initiator compares the alias case-insensitively"),
    "initiator-no-alpn": ("PKI-TLS-2", "the initiator does not check the selected ALPN"),
    "initiator-request-first": ("PKI-ID-1", "the initiator sends RQFL, then checks the CN"),
    "initiator-rsfl-sha-ignored": ("APP-GET-3", "the initiator ignores RSFL.sha256"),
    "long-error-message": ("ERR-1", "EROR messages quote the whole refused name"),
    "error-name-dashes": ("ERR-1", "EROR names spelt with dashes (not-found)"),
    "bye-no-close": ("APP-BYE-1", "after BYE_ the responder waits for the initiator to close"),
    "timeout-bare-close": ("PKI-TLS-7", "at the idle timeout: EROR timeout, then a bare close"),
    "initiator-silent-integrity": ("APP-GET-4", "the initiator drops the connection, no EROR"),
    "control-limit-off-by-one": ("FRM-8", "a control payload of exactly 65536 bytes is refused"),
    "put-path-kept": ("APP-PUT-2", "a put of a/b is stored as inbox/a/b (directories made)"),
    "initiator-expired": ("PKI-CERT-3", "the initiator checks no validity dates"),
    "rsfl-basename": ("APP-GET-7", "a get's RSFL names the file's basename, as a put's does"),
    "initiator-rsfl-name": ("APP-GET-7", "the initiator saves a get under RSFL.name, in -o's dir"),
    "initiator-put-any-rsfl": ("APP-PUT-9", "the initiator takes any RSFL to a put as acceptance"),
    # Blind round 2 (B2): the same mistakes as the reference's b2cli-* mutants.
    "b2-initiator-tls12-offered": (
        "PKI-TLS-1",
        "the initiator's minimum version left at TLS 1.2",
    ),
    "b2-initiator-put-close-is-success": (
        "APP-PUT-10",
        "the responder hanging up after the initiator's DONE is taken as stored",
    ),
    "b2-initiator-recv-once": ("FRM-4", "the initiator reads a frame's payload with one recv()"),
    "initiator-put-unconfirmed": (
        "APP-PUT-10",
        "the initiator reports a put done once its DONE is sent, not answered",
    ),
    "send-blocking": ("LIM-10", "a get is sent with no timeout: a slow reader must not cut it"),
    "refused-per-request": (
        "PKI-TLS-10",
        "a refused certificate is treated like an alias off the allow list: forbidden, close",
    ),
    "client-any-sha2": (
        "PKI-CERT-9",
        "the responder takes a client certificate signed with any SHA-2 (SHA-384, SHA-512)",
    ),
    "allow-prefix": ("PKI-ID-4", "the allow list is matched by prefix (`suite` lets `suite2` in)"),
    "peer-global": (
        "PKI-ID-3",
        "the peer's alias kept in a global: the latest handshake's alias authorises everyone",
    ),
    "close-after-refusal": ("ERR-3", "every EROR, even not_found or forbidden, closes"),
    "share-lock": ("LIM-5", "gets run under one server-wide lock (around the share)"),
    "max-connections-off-by-one": ("LIM-4", "max_connections + 1 connections are admitted"),
    "exists-code-13": ("ERR-1", "exists sent with code 13 (unsupported's), name exists"),
    # Blind round 3 (B7): the same mistakes as the reference's b3pki-* mutants.
    "b3-length-in-chars": ("FRM-1", "a control frame's length is len() of its JSON text"),
    "b3-handshake-lock": ("LIM-5", "TLS handshakes run one at a time under a global lock"),
    "b3-put-eof-in-done": ("FRM-7", "a complete put is stored when EOF cuts its DONE"),
    "b3-initiator-eof-in-done": ("FRM-7", "the initiator keeps a get when EOF cuts its DONE"),
    "b3-initiator-length-in-chars": ("FRM-1", "the initiator's RQFL length is len() of its JSON"),
    # Blind round 4 (B11): the same mistakes as the reference's b4pki-* mutants.
    "b4-int-integral-float": ("FRM-11", "an integral float (5.0) is taken as the integer 5"),
    "b4-sha256-prefix-match": ("FRM-12", "sha256 checked with re.match: 64 hex then anything"),
    "b4-inbox-absent-cache": ("APP-PUT-3", "names once found absent are never looked up again"),
    "b4-truncated-put-committed": ("APP-STORE-3", 'a put cut by EOF is kept ("resume")'),
    "b4-initiator-accept-one": ("APP-PUT-9", '"accept": 1 taken as acceptance (== True)'),
    "b4-initiator-keep-truncated-get": ("APP-GET-5", 'a get cut by EOF is kept ("resume")'),
    "b4-initiator-whole-frame": ("FRM-3", "the initiator reads a whole frame, then judges it"),
    "b4-malformed-eror-ignored": ("ERR-8", "an EROR without an integer code is dropped"),
    "b4-no-timeout-inside-a-frame": ("LIM-2", "no idle timeout once a frame has begun"),
    # Blind round 5 (B14): the same mistakes as the reference's b5pki-* mutants.
    "b5-put-sha-prefix": ("APP-PUT-5", "DONE.sha256 compared on its first 16 hex digits"),
    "b5-pending-slot-leaked": ("LIM-5", "a failed TLS handshake never gives its slot back"),
    "b5-json-decode-replace": ("FRM-9", "control payloads decoded with errors='replace'"),
    "b5-del-accepted": ("APP-NAME-2", "the control range stops at U+001F: DEL is accepted"),
    "b5-data-in-idle-drained": ("FRM-6", "DATA between transfers (a refused put's) is dropped"),
    # Round 2 of the faults, blind (r2-): read from this code, not from the case files.
    "r2-get-size-unchecked": ("LIM-3", "the maximum file size is checked on puts only"),
    "r2-put-budget-not-decremented": (
        "APP-PUT-6",
        "a DATA header is judged against the whole size, not what is left of it",
    ),
    "r2-no-idle-timeout-in-put": ("LIM-2", "the idle timeout is off while a put is received"),
    "r2-timeout-leaves-partial": ("APP-STORE-3", "a put cut by the idle timeout keeps its temp"),
    "r2-auth-failed-bare-close": (
        "PKI-TLS-7",
        "after EROR auth_failed for a refused certificate: a bare TCP close",
    ),
    "r2-too-large-fatal": ("ERR-3", "too_large counted among the fatal codes: it closes"),
    "r2-allow-put-unchecked": ("PKI-ID-3", "the allow list is checked for gets only"),
    "r2-put-checks-basename-only": (
        "APP-NAME-2",
        "a put's name is checked on its basename only (the part stored)",
    ),
    "r2-put-c1-allowed": ("APP-NAME-8", "C1 and bidi controls are refused in gets only"),
    "r2-pending-cap-counts-all": (
        "LIM-8",
        "the per-address cap counts established connections too",
    ),
    "r2-initiator-first-cn": ("PKI-ID-4", "the initiator takes the first of two CNs"),
    "r2-initiator-ca-leaf": ("PKI-CERT-6", "the initiator accepts a CA:TRUE server certificate"),
    "r2-initiator-crl-first-entry": (
        "PKI-CERT-11",
        "the initiator checks only the CRL's first entry",
    ),
    "r2-initiator-any-sha2": (
        "PKI-CERT-9",
        "the initiator takes a server certificate signed with any SHA-2",
    ),
    "r2-initiator-rsfl-size-unchecked": (
        "APP-GET-3",
        "the initiator compares the bytes with DONE.size only, not RSFL.size",
    ),
    "r2-initiator-put-exists-is-success": (
        "APP-PUT-10",
        "a non-fatal EROR (exists) in place of the put's DONE is taken as stored",
    ),
    "r2-initiator-bare-close-after-bye": (
        "PKI-TLS-7",
        "after a successful transfer and BYE_: a bare TCP close",
    ),
    "r2-initiator-temp-kept-on-mismatch": (
        "APP-STORE-3",
        "a get failing its SHA-256/size check leaves its temporary file",
    ),
    "r2-timeout-no-eror": ("LIM-2", "at the idle timeout: close_notify, but no EROR timeout"),
    # Round 13 (I14), planted blind through the round-13 lenses (named after each).
    "i14-eku-lookup-suppressed": (
        "PKI-CERT-5",
        "the responder's EKU lookup under suppress(ExtensionNotFound): no EKU passes (fail open)",
    ),
    "i14-initiator-rsfl-sha-not-str": (
        "FRM-9",
        "the initiator drops an RSFL.sha256 that is not a string (null, 5): unchecked (fail open)",
    ),
    "i14-bc-absent-is-leaf": (
        "PKI-CERT-9",
        "the responder reads a missing BasicConstraints as CA:FALSE (absent means permissive)",
    ),
    "i14-putf-size-default-zero": (
        "FRM-9",
        'PUTF.size read as body.get("size", 0): no size is an empty put (absent means permissive)',
    ),
    "i14-initiator-done-size-default": (
        "FRM-9",
        "the initiator's get takes RSFL.size for a DONE without size (absent means permissive)",
    ),
    "i14-refused-cert-slot-kept": (
        "LIM-4",
        "a connection refused for its certificate never leaves the table (leak, unhappy path)",
    ),
    "i14-initiator-truncation-temp-left": (
        "APP-STORE-3",
        "only ProtocolError discards the get's temporary: a truncation leaves it (leak)",
    ),
    "i14-name-length-in-chars": (
        "APP-NAME-1",
        "the 4096 bound on a name counted in characters, not UTF-8 bytes (units)",
    ),
    "i14-length-signed": (
        "FRM-3",
        'the frame header unpacked with "!4si": a length of 2^31 or more passes the limit (units)',
    ),
    "i14-int-range-u64": (
        "FRM-11",
        "integer members accepted up to 2^64-1, the C habit of unsigned sizes (number forms)",
    ),
    "i14-initiator-alias-prefix": (
        "PKI-ID-4",
        "the initiator checks the responder's CN with startswith(alias) (part of the value)",
    ),
    "i14-controls-match-not-search": (
        "APP-NAME-2",
        "C0 controls, DEL and backslash looked for with re.match: at the start only (part)",
    ),
    "i14-stale-put-sha": (
        "APP-PUT-5",
        "put_sha replaced only when a PUTF carries one: an earlier put's digest judges (state)",
    ),
    "i14-loser-stays-receiving": (
        "ERR-3",
        "a put answered exists at DONE leaves the session RECEIVING (half-rolled-back)",
    ),
    "i14-ku-absent-is-signing": (
        "PKI-CERT-9",
        "the responder reads a missing KeyUsage as digitalSignature (absent means permissive)",
    ),
    "i14-refused-put-temp-left": (
        "APP-STORE-3",
        "the put's temporary is made before the checks; a refused PUTF leaves it (state)",
    ),
    "i14-initiator-eror-temp-left": (
        "APP-STORE-3",
        "the initiator's get aborted by an EROR (Failed) closes its temporary, keeps it (leak)",
    ),
    "i14-initiator-alpn-none-ok": (
        "PKI-TLS-2",
        "the initiator's ALPN check lets None pass (no protocol selected) (fail open)",
    ),
    "r13-initiator-put-stray-frame-closed": (
        "FRM-6",
        "a frame other than DONE where the put's receipt belongs ends the put with a bare "
        "failure, no EROR unexpected_frame (pki1 as written, until round 13)",
    ),
    "b14-reserved-prefix-stored": (
        "APP-NAME-9",
        "a put whose last component starts with .sft-partial- is stored like any other "
        "(pki1 as written, before APP-NAME-9)",
    ),
    "l19-startup-sweep-aged": (
        "APP-STORE-3",
        "the responder's start-up sweep removes only temporaries nobody wrote for longer "
        "than its idle timeout (the initiator's rule; lead, round 19)",
    ),
    # Round 24 (B159), planted blind through the round-24 lenses (L<n> in each description).
    "b24_auth-failed-detail": (
        "ERR-6",
        "(L5) a refused certificate's EROR auth_failed carries the check's own reason "
        "(revoked, expired, EKU...): the verbose message left from debugging",
    ),
    "b24_legacy-types-skipped": (
        "FRM-5",
        "(L2) the sft-pki/0 types SECE, RSCV, RSCI are skipped between transfers, for peers "
        "upgraded from sft-pki/0 that still open with SECE",
    ),
    "b24_get-case-fallback": (
        "APP-NAME-3",
        "(L4) a get whose name is not found is retried case-insensitively in its directory "
        "(usability fix for users typing Report.PDF)",
    ),
    "b24_partial-named-after-final": (
        "APP-STORE-1",
        "(L5) the put's temporary is .sft-partial-<final name> (debug aid: the operator sees "
        "what is arriving); concurrent puts of one name collide",
    ),
    "b24_alias-pattern": (
        "PKI-CERT-2",
        "(L6) the responder refuses a client CN outside [a-z][a-z0-9-]{0,31}, the "
        "examples' aliases (alice, suite, revoked-2)",
    ),
    "b24_allow-admin-bypass": (
        "PKI-ID-3",
        "(L5) the alias admin always passes the allow list (support access left in)",
    ),
    "b24_allow-test-prefix": (
        "PKI-ID-3",
        "(L5, post-blind) aliases starting with test pass the allow list (the CI's "
        "certificates)",
    ),
    "b24_partial-named-by-name-digest": (
        "APP-STORE-1",
        "(L5, post-blind) the put's temporary is .sft-partial-<sha256(final name)[:24]>: "
        "reproducible for debugging, one per name",
    ),
    "b24_initiator-alias-from-san": (
        "PKI-ID-4",
        "(L1) the initiator compares the alias with the certificate's DNS subjectAltName "
        "when it has one (RFC 6125 habit), the CN only without a SAN",
    ),
}


def _active_faults() -> frozenset[str]:
    raw = os.environ.get("SFT_INDEPENDENT_FAULTS", "")
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    unknown = names - FAULTS.keys()
    if unknown:
        raise SystemExit(f"pki1: unknown fault(s) {sorted(unknown)}; known: {sorted(FAULTS)}")
    return names


FAULTY: frozenset[str] = frozenset()


def fault(name: str) -> bool:
    assert name in FAULTS, name
    return name in FAULTY


# ------------------------------------------------------------------ errors and frames


class ProtocolError(Exception):
    """The peer (or we) broke the protocol: `code` is the EROR to send (ERR-2)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def fatal(self) -> bool:
        if self.code == "too_large" and fault("r2-too-large-fatal"):
            return True  # "a file we cannot take ends it"
        return ERRORS[CODES[self.code]][1]


class PeerClosed(Exception):
    """EOF. `clean` when it fell between frames (else: truncation, FRM-7)."""

    def __init__(self, clean: bool) -> None:
        super().__init__("connection closed" + ("" if clean else " inside a frame"))
        self.clean = clean


@dataclass(frozen=True)
class Frame:
    type: str
    payload: bytes
    body: dict[str, Any] = field(default_factory=dict)


def _recv_exact(sock: ssl.SSLSocket, n: int, *, started: bool) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        relaxed = fault("b4-no-timeout-inside-a-frame") and (started or bool(chunks))
        saved = sock.gettimeout()
        if relaxed:
            sock.settimeout(None)  # "the rest of a begun frame is on its way"
        try:
            chunk = sock.recv(min(n - len(chunks), 65536))
        except (ssl.SSLEOFError, ConnectionResetError) as exc:
            raise PeerClosed(clean=False) from exc
        finally:
            if relaxed:
                sock.settimeout(saved)
        if not chunk:
            raise PeerClosed(clean=not started and not chunks)
        chunks += chunk
    return bytes(chunks)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constants(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def parse_control(payload: bytes) -> dict[str, Any]:
    """FRM-8/9: a UTF-8 JSON object, no duplicate keys, no NaN/Infinity."""
    try:
        text = payload.decode("utf-8", "replace" if fault("b5-json-decode-replace") else "strict")
        hook = None if fault("duplicate-keys") else _no_duplicates
        body = json.loads(text, object_pairs_hook=hook, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("bad_frame", f"control payload: {exc}"[:200]) from exc
    if not isinstance(body, dict):
        raise ProtocolError("bad_frame", "control payload is not a JSON object")
    return body


def read_frame(
    sock: ssl.SSLSocket, *, data_budget: int | None = None, frame_limit: int = FRAME_LIMIT
) -> Frame:
    """One frame, checked on its header before a byte of payload is read (FRM-3).

    `data_budget`: how many DATA bytes may still come (a DATA frame announcing more is
    refused on its header, APP-PUT-6 / APP-GET-4)."""
    header = _recv_exact(sock, 8, started=False)
    raw_type, length = header[:4], int.from_bytes(header[4:], "big")
    if fault("i14-length-signed"):
        length = struct.unpack("!4si", header)[1]  # "an int is 32 bits"
    if not all(b in _TYPE_BYTES for b in raw_type):
        raise ProtocolError("bad_frame", "frame type outside A-Z 0-9 _")
    ftype = raw_type.decode("ascii")
    if length > frame_limit:
        if fault("oversize-read") or fault("b4-initiator-whole-frame"):
            _recv_exact(sock, length, started=True)  # "read it, then complain"
        raise ProtocolError("frame_too_large", f"announced {length} bytes, limit {frame_limit}")
    if ftype in _CONTROL_TYPES and length > MAX_CONTROL - (
        1 if fault("control-limit-off-by-one") else 0
    ):
        raise ProtocolError("frame_too_large", f"control payload of {length} bytes")
    if ftype == "DATA" and data_budget is not None and length > data_budget:
        if not fault("extra-data-at-done"):
            raise ProtocolError("integrity_failed", "more DATA than the announced size")
    if (fault("recv-once") or fault("b2-initiator-recv-once")) and length:
        payload = sock.recv(length)  # "TLS delivers whole records anyway"
        if not payload:
            raise PeerClosed(clean=False)
    else:
        payload = _recv_exact(sock, length, started=True)
    if ftype == "DATA":
        if length == 0:
            raise ProtocolError("bad_frame", "empty DATA frame")
        if length > MAX_DATA:
            raise ProtocolError("bad_frame", "DATA frame above 1 MiB")
        return Frame(ftype, payload)
    if ftype in ("SECE", "RSCV", "RSCI") and fault("b24_legacy-types-skipped"):
        return Frame(ftype, payload)  # "an sft-pki/0 peer's hello: nothing to answer"
    if ftype not in _CONTROL_TYPES:
        raise ProtocolError("unexpected_frame", f"unknown frame type {ftype!r}")
    return Frame(ftype, payload, parse_control(payload))


def frame_bytes(ftype: str, body: dict[str, Any] | bytes) -> bytes:
    payload = (
        body
        if isinstance(body, bytes)
        else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    length = len(payload)
    wrong = fault("b3-length-in-chars") or fault("b3-initiator-length-in-chars")
    if wrong and not isinstance(body, bytes):
        length = len(payload.decode("utf-8"))  # "the length of the JSON"
    return ftype.encode("ascii") + length.to_bytes(4, "big") + payload


def error_frame(code: str, message: str) -> bytes:
    name = code.replace("_", "-") if fault("error-name-dashes") else code
    text = message if fault("long-error-message") else message[:200]
    number = 13 if code == "exists" and fault("exists-code-13") else CODES[code]
    return frame_bytes("EROR", {"code": number, "name": name, "message": text})


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise ProtocolError("bad_frame", f"member {key!r} must be a string")
    return value


def _integer(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if fault("b4-int-integral-float") and isinstance(value, float) and value.is_integer():
        value = int(value)  # "5.0 is 5"
    kind_ok = isinstance(value, int) if fault("bool-is-int") else type(value) is int
    top = 2**64 - 1 if fault("i14-int-range-u64") else MAX_INT
    if not kind_ok or not isinstance(value, int) or not 0 <= value <= top:
        # type(), not isinstance(): bool is not an integer (FRM-11)
        raise ProtocolError("bad_frame", f"member {key!r} must be an integer in 0..2^63-1")
    return int(value)


def _digest(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    if key not in body and not required:
        return None
    value = _string(body, key)
    matches = _SHA256_HEX.match if fault("b4-sha256-prefix-match") else _SHA256_HEX.fullmatch
    if not matches(value):
        raise ProtocolError("bad_frame", f"member {key!r} must be 64 lowercase hex digits")
    return value


def check_error_frame(body: dict[str, Any]) -> tuple[str, bool]:
    """An EROR's (name, fatal); an unknown code is `internal`, fatal (ERR-4)."""
    code = _integer(body, "code")
    _string(body, "name")
    _string(body, "message")
    if code not in ERRORS:
        return ("internal", True)
    return ERRORS[code]


# ------------------------------------------------------------------ TLS


def close_tls(sock: ssl.SSLSocket) -> None:
    """PKI-TLS-7: close_notify, then FIN, then close. Unread input is drained for a
    moment first: closing a socket with unread input sends a reset, which can overtake
    (and destroy) the EROR and close_notify still on their way."""
    if not fault("bare-close"):
        with contextlib.suppress(OSError, ValueError):
            sock.settimeout(0.0)
            for _ in range(50):
                try:
                    sock.unwrap()
                    break
                except ssl.SSLWantWriteError:
                    with selectors.DefaultSelector() as sel:
                        sel.register(sock.fileno(), selectors.EVENT_WRITE)
                        sel.select(0.05)
                except ssl.SSLWantReadError:
                    break  # ours is sent; we do not wait for theirs
    with contextlib.suppress(OSError, ValueError):
        socket.socket.shutdown(sock, socket.SHUT_WR)
    deadline = time.monotonic() + 0.5
    drained = 0
    with contextlib.suppress(OSError, ValueError):
        sock.settimeout(0.05)
        while time.monotonic() < deadline and drained < 4 * FRAME_LIMIT:
            try:
                chunk = socket.socket.recv(sock, 65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            drained += len(chunk)
    with contextlib.suppress(OSError):
        socket.socket.close(sock)


def tls_context(
    server: bool, cert: Path, key: Path, root: Path, *, no_time: bool
) -> ssl.SSLContext:
    # Not create_default_context(): it honours SSLKEYLOGFILE (PKI-TLS-8) and the system store.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if server and fault("tls12-allowed"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if not server and fault("b2-initiator-tls12-offered"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = False  # the peer is named by its CN alias, checked below (PKI-ID-1)
    ctx.load_verify_locations(cafile=str(root))
    ctx.load_cert_chain(str(cert), str(key))
    ctx.set_alpn_protocols([ALPN])
    if no_time:
        ctx.verify_flags |= 0x200000  # X509_V_FLAG_NO_CHECK_TIME
    return ctx


# ------------------------------------------------------------------ certificates and CRL


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Revocation:
    """The organisation CRL: fetched from the CA, verified with the root, kept fresh."""

    def __init__(self, root: x509.Certificate, root_path: Path, ca_url: str | None) -> None:
        self.root = root
        self.root_path = root_path
        self.ca_url = ca_url
        self._lock = threading.Lock()
        self._crl: x509.CertificateRevocationList | None = None

    def fetch(self) -> None:
        if not self.ca_url:
            raise OSError("no CA URL to fetch the CRL from")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(cafile=str(self.root_path))
        ctx.hostname_checks_common_name = False  # CA-ENR-18: the SAN only
        if not self.ca_url.startswith("https://"):
            raise OSError("the CA URL must be https://")
        url = self.ca_url.rstrip("/") + "/v1/crl"
        with urllib.request.urlopen(url, context=ctx, timeout=5) as r:  # noqa: S310 - https only
            der = r.read(4 * 1024 * 1024)
        crl = x509.load_der_x509_crl(der)
        if crl.issuer != self.root.subject or not crl.is_signature_valid(self.root.public_key()):  # type: ignore[arg-type]
            raise OSError("the CRL is not signed by the organisation root")
        with self._lock:
            self._crl = crl

    def problem(self, cert: x509.Certificate) -> str | None:
        """Why `cert` must be refused by revocation (or None). Fails closed (PKI-CERT-12)."""
        with self._lock:
            crl = self._crl
        if crl is None:
            return "no CRL"
        this, nxt = _utc(crl.last_update_utc), crl.next_update_utc
        if nxt is None or _now() > nxt or nxt - this > _CRL_MAX_LIFETIME:
            return "the CRL is not fresh"
        entries = list(crl)
        if fault("crl-first-entry") or fault("r2-initiator-crl-first-entry"):
            entries = entries[:1]
        if any(e.serial_number == cert.serial_number for e in entries):
            return f"certificate {cert.serial_number:x} is revoked"
        return None


@dataclass
class PeerCheck:
    """What we demand of the peer's certificate (SPEC §4.2), after OpenSSL's chain check."""

    root: x509.Certificate
    revocation: Revocation | None
    purpose: x509.ObjectIdentifier

    def alias(self, der: bytes | None) -> str:
        """The peer's alias (its single CN), or ProtocolError auth_failed."""
        if der is None:
            raise ProtocolError("auth_failed", "no peer certificate")
        cert = x509.load_der_x509_certificate(der)
        problem = self._problem(cert)
        if problem:
            raise ProtocolError("auth_failed", problem)
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if (
            (fault("first-cn") or fault("r2-initiator-first-cn"))
            and names
            and isinstance(names[0].value, str)
        ):
            return names[0].value
        if len(names) != 1 or not isinstance(names[0].value, str):
            raise ProtocolError("auth_failed", "the subject must hold exactly one CN")
        if (
            fault("b24_alias-pattern")
            and self.purpose == ExtendedKeyUsageOID.CLIENT_AUTH
            and not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", names[0].value)
        ):
            raise ProtocolError("auth_failed", "not an alias")  # "like alice or revoked-2"
        server = self.purpose == ExtendedKeyUsageOID.SERVER_AUTH
        if fault("b24_initiator-alias-from-san") and server:
            with contextlib.suppress(x509.ExtensionNotFound):
                san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
                dns = san.value.get_values_for_type(x509.DNSName)
                if dns:
                    return dns[0]  # "the SAN names the server (RFC 6125)"
        return names[0].value

    def _problem(self, cert: x509.Certificate) -> str | None:
        if cert.version != x509.Version.v3:
            return "not X.509 v3"
        try:
            cert.verify_directly_issued_by(self.root)
        except (ValueError, TypeError, Exception):
            return "not issued directly by the organisation root"
        strong = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
        if (
            not isinstance(cert.signature_hash_algorithm, hashes.SHA256)
            and not (
                fault("client-any-sha2")
                and self.purpose == ExtendedKeyUsageOID.CLIENT_AUTH
                and isinstance(cert.signature_hash_algorithm, strong)
            )
            and not (
                fault("r2-initiator-any-sha2") and isinstance(cert.signature_hash_algorithm, strong)
            )
        ):
            return "not signed with SHA-256"
        key = cert.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(key.curve, ec.SECP256R1):
                return "EC key not on P-256"
        elif not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
            return "key neither P-256 nor RSA >= 2048"
        now = _now()
        if not (fault("expired") or fault("initiator-expired")) and not (
            _utc(cert.not_valid_before_utc) <= now <= _utc(cert.not_valid_after_utc)
        ):
            return "outside its validity period"
        try:
            ext = cert.extensions
        except ValueError:  # an extension whose DER does not parse: refused, not a crash
            return "an extension that does not parse"
        try:
            if fault("i14-bc-absent-is-leaf") and self.purpose == ExtendedKeyUsageOID.CLIENT_AUTH:
                try:
                    bc = ext.get_extension_for_class(x509.BasicConstraints).value
                except x509.ExtensionNotFound:
                    bc = x509.BasicConstraints(ca=False, path_length=None)  # "a leaf"
            else:
                bc = ext.get_extension_for_class(x509.BasicConstraints).value
            if (
                fault("i14-ku-absent-is-signing")
                and self.purpose == ExtendedKeyUsageOID.CLIENT_AUTH
            ):
                try:
                    ku = ext.get_extension_for_class(x509.KeyUsage).value
                except x509.ExtensionNotFound:
                    ku = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
            else:
                ku = ext.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound as exc:
            return f"missing extension: {exc}"
        if bc.ca and not (fault("ca-leaf") or fault("r2-initiator-ca-leaf")):
            return "BasicConstraints CA:TRUE"
        if not ku.digital_signature:
            return "KeyUsage without digitalSignature"
        skip_eku = (
            fault("no-eku")
            if self.purpose == ExtendedKeyUsageOID.CLIENT_AUTH
            else (fault("initiator-no-eku"))
        )
        if (
            not skip_eku
            and fault("i14-eku-lookup-suppressed")
            and (self.purpose == ExtendedKeyUsageOID.CLIENT_AUTH)
        ):
            with contextlib.suppress(x509.ExtensionNotFound):  # "no EKU: nothing to check"
                eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
                if self.purpose not in list(eku):
                    return f"EKU lacks {self.purpose.dotted_string}"
        elif not skip_eku:
            try:
                eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                return "no ExtendedKeyUsage"
            if self.purpose not in list(eku):
                return f"EKU lacks {self.purpose.dotted_string}"
        if self.revocation is not None:
            return self.revocation.problem(cert)
        return None


# ------------------------------------------------------------------ names and storage

_FORBIDDEN_CHARS = re.compile("[\x00-\x1f\x7f\x80-\x9f\\\\\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_CHARS_NO_ISOLATES = re.compile("[\x00-\x1f\x7f\x80-\x9f\\\\\u202a-\u202e]")
_DRIVE = re.compile(r"[A-Za-z]:")


def check_name(name: str) -> list[str]:
    """SPEC §3.5: the name's components, or ProtocolError forbidden (non-fatal)."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate (FRM-15)
        raise ProtocolError("forbidden", "name is not Unicode text") from exc
    too_long = len(name) > 4096 if fault("i14-name-length-in-chars") else len(encoded) > 4096
    if not name or too_long:
        raise ProtocolError("forbidden", "name empty or longer than 4096 bytes")
    forbidden = _FORBIDDEN_CHARS_NO_ISOLATES if fault("bidi-isolates-allowed") else _FORBIDDEN_CHARS
    if fault("b5-del-accepted"):
        forbidden = re.compile("[\x00-\x1f\x80-\x9f\\\\\u202a-\u202e\u2066-\u2069]")
    if fault("i14-controls-match-not-search"):
        hit = bool(re.match("[\x00-\x1f\x7f\\\\]", name)) or bool(
            re.search("[\x80-\x9f\u202a-\u202e\u2066-\u2069]", name)
        )
    else:
        hit = bool(forbidden.search(name))
    if name.startswith("/") or _DRIVE.match(name) or hit:
        raise ProtocolError("forbidden", "absolute name or forbidden character")
    if fault("dotdot-normalised"):
        name = posixpath.normpath(name)
        if name.startswith(".."):
            raise ProtocolError("forbidden", "name leaves the share")
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", "..") or len(part.encode("utf-8")) > 255:
            raise ProtocolError("forbidden", "empty, '.', '..' or over-long component")
    return parts


def _inside(path: str, base: str) -> bool:
    if fault("prefix-confinement"):
        return path.startswith(base)
    return path == base or path.startswith(base.rstrip("/") + "/")


def open_in_share(share: Path, name: str) -> int:
    """A descriptor of the share's regular file `name` (APP-GET-2, APP-NAME-4/5)."""
    if fault("long-error-message"):
        try:
            return _open_in_share(share, name)
        except ProtocolError as exc:
            raise ProtocolError(exc.code, f"{exc.message}: {name!r}") from exc
    return _open_in_share(share, name)


def _open_in_share(share: Path, name: str) -> int:
    if fault("names-nfc"):
        name = unicodedata.normalize("NFC", name)
    parts = check_name(name)
    base = os.path.realpath(share)
    resolved = os.path.realpath(os.path.join(base, *parts))
    if not _inside(resolved, base):
        if fault("existence-revealed") and not os.path.exists(resolved):
            raise ProtocolError("not_found", "no such file")
        if not fault("symlink-followed"):
            raise ProtocolError("forbidden", "name resolves outside the share")
        try:
            return _regular(os.open(resolved, os.O_RDONLY))
        except OSError as exc:
            raise ProtocolError("not_found", "no such file") from exc
    relative = [] if resolved == base else resolved[len(base) + 1 :].split("/")
    # Walk the resolved path again without following any link: a link swapped in after
    # realpath() is refused instead of followed (APP-NAME-5).
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(relative):
            last = i == len(relative) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | (0 if last else os.O_DIRECTORY)
            try:
                nxt = os.open(part, flags | os.O_NONBLOCK, dir_fd=fd)
            except FileNotFoundError as exc:
                folded = _case_fallback(fd, part) if fault("b24_get-case-fallback") else None
                if folded is None:
                    raise ProtocolError("not_found", "no such file") from exc
                nxt = os.open(folded, flags | os.O_NONBLOCK, dir_fd=fd)
            except OSError as exc:
                raise ProtocolError("forbidden", "the path changed under us") from exc
            os.close(fd)
            fd = nxt
        result, fd = fd, -1
        return _regular(result)
    finally:
        if fd >= 0:
            os.close(fd)


def _case_fallback(dir_fd: int, part: str) -> str | None:
    """Only for the fault "b24_get-case-fallback": "Report.PDF" finds "report.pdf"."""
    with contextlib.suppress(OSError):
        for entry in os.listdir(dir_fd):
            if entry.casefold() == part.casefold():
                return entry
    return None


def _regular(fd: int) -> int:
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if fault("directory-forbidden") and stat.S_ISDIR(mode):
            raise ProtocolError("forbidden", "a directory")
        raise ProtocolError("not_found", "not a regular file")
    return fd


@dataclass
class Partial:
    """A receiving file: a 0600 temporary beside its final name (APP-STORE-1..3)."""

    directory: Path
    final: str
    size: int
    path: Path = field(init=False)
    fd: int = field(init=False)
    written: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def __post_init__(self) -> None:
        if fault("partial-final-name"):
            self.path = self.directory / self.final
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            return
        self.path = self.directory / f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"
        if fault("b24_partial-named-after-final") and self.final:
            self.path = self.directory / f"{PARTIAL_PREFIX}{self.final}"  # "see what comes"
        if fault("b24_partial-named-by-name-digest") and self.final:
            tag = hashlib.sha256(self.final.encode("utf-8", "surrogatepass")).hexdigest()[:24]
            self.path = self.directory / f"{PARTIAL_PREFIX}{tag}"  # "reproducible"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        # (each fault is planted in one process only: the initiator's or the responder's)
        loose = fault("initiator-temp-0644") or fault("responder-temp-0644")
        self.fd = os.open(self.path, flags, 0o644 if loose else 0o600)
        if loose:
            os.fchmod(self.fd, 0o644)  # whatever the umask

    def write(self, data: bytes) -> None:
        if fault("initiator-extra-dropped"):
            data = data[: self.size - self.written]  # "never write past the size"
        if self.written + len(data) > self.size and not fault("extra-data-at-done"):
            raise ProtocolError("integrity_failed", "more data than announced")
        self.written += len(data)
        self.digest.update(data)
        view = memoryview(data[: max(0, self.size - (self.written - len(data)))])
        while view:  # a write may be short (a file-size limit, a full disk): write the rest
            view = view[os.write(self.fd, view) :]

    def verify(self, done: dict[str, Any], announced: str | None) -> None:
        if fault("i14-initiator-done-size-default") and "size" not in done:
            done = {**done, "size": self.size}  # done.get("size", announced size)
        size, sha = _integer(done, "size"), _digest(done, "sha256", required=True)
        ours = self.digest.hexdigest()
        if fault("b5-put-sha-prefix"):  # "the first 64 bits are plenty"
            sha, ours = (sha or "")[:16], ours[:16]
        sizes_ok = size == self.size == self.written
        if fault("r2-initiator-rsfl-size-unchecked"):
            sizes_ok = size == self.written  # "DONE says how much there was"
        if not (sizes_ok and sha == ours):
            raise ProtocolError("integrity_failed", "size or SHA-256 mismatch")
        if announced is not None and announced != ours:
            raise ProtocolError("integrity_failed", "SHA-256 differs from the announced one")

    def commit(self, *, replace: bool = False) -> None:
        """fsync, then the final name appears by link (never replacing a file)."""
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        if fault("partial-final-name"):
            return
        target = self.directory / self.final
        try:
            if replace:
                os.replace(self.path, target)
            else:
                os.link(self.path, target)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        dfd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def sweep_partials(directory: Path, older_than: float | None) -> None:
    """Remove leftover temporaries (all of them, or those idle longer than `older_than`)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not entry.name.startswith(PARTIAL_PREFIX):
                continue
            with contextlib.suppress(OSError):
                if (
                    older_than is None
                    or now - entry.stat(follow_symlinks=False).st_mtime > older_than
                ):
                    os.unlink(entry.path)


# ------------------------------------------------------------------ the responder


@dataclass
class Config:
    share: Path
    inbox: Path
    allow: frozenset[str] | None
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_file_size: int = 4 * 1024**3
    max_connections: int = 64
    max_pending_per_address: int = 8
    crl_refresh: float = 300.0


@dataclass(eq=False)
class _Conn:
    raw: socket.socket
    address: str
    accepted: float
    established: bool = False
    tls: ssl.SSLSocket | None = None
    refused: bool = False  # only for the fault "i14-refused-cert-slot-kept"

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.tls or self.raw, socket.SHUT_RDWR)


_CURRENT_PEER = [""]  # the latest established connection's alias (the fault "peer-global")


class Session:
    """One established responder connection: the §3.2 state table."""

    def __init__(self, tls: ssl.SSLSocket, peer: str, config: Config) -> None:
        self.tls = tls
        self.peer = peer
        _CURRENT_PEER[0] = peer  # read back only under the fault "peer-global"
        self.config = config
        self.partial: Partial | None = None
        self.put_sha: str | None = None

    def send(self, data: bytes) -> None:
        self.tls.sendall(data)

    def run(self) -> None:
        try:
            self._loop()
        except ProtocolError as exc:
            self._fatal(exc.code, exc.message)
        except PeerClosed:
            pass
        except TimeoutError:
            if fault("r2-timeout-leaves-partial"):
                self.partial = None  # "the initiator may come back and resume"
            if not fault("r2-timeout-no-eror"):
                self._fatal("timeout", "idle timeout")
            if fault("timeout-bare-close"):
                socket.socket.close(self.tls)  # "the peer is gone anyway"
                return
        except OSError:
            pass
        finally:
            if self.partial is not None:
                self.partial.discard()
            close_tls(self.tls)

    def _fatal(self, code: str, message: str) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            self.send(error_frame(code, message))
        if fault("no-close-after-fatal"):
            # "Let the peer hang up": reads and drops until EOF or the idle timeout.
            with contextlib.suppress(Exception):
                self.tls.settimeout(self.config.idle_timeout)
                while self.tls.recv(65536):
                    pass

    def _loop(self) -> None:
        idle = None if fault("no-idle-timeout") else self.config.idle_timeout
        self.tls.settimeout(idle)
        while True:
            budget = None
            if self.partial is not None:
                budget = self.partial.size - self.partial.written
                if fault("r2-put-budget-not-decremented"):
                    budget = self.partial.size
            if fault("r2-no-idle-timeout-in-put"):  # "a put is a long upload"
                self.tls.settimeout(None if self.partial is not None else idle)
            try:
                frame = read_frame(self.tls, data_budget=budget)
            except PeerClosed as exc:
                partial = self.partial
                if (
                    fault("b3-put-eof-in-done")
                    and partial is not None
                    and not exc.clean
                    and partial.written == partial.size
                ):
                    self.partial = None  # "every byte came: the DONE was a formality"
                    partial.commit()
                if fault("b4-truncated-put-committed") and partial is not None:
                    self.partial = None  # "keep what arrived: the sender may resume"
                    partial.commit()
                raise
            if frame.type == "EROR":
                try:
                    check_error_frame(frame.body)
                except ProtocolError:
                    if fault("b4-malformed-eror-ignored"):
                        continue  # "not a valid error: ignore it"
                    raise
                return  # any EROR from the initiator ends the connection (§3.2)
            if self.partial is None:
                if not self._idle(frame):
                    return
            else:
                self._receiving(frame)

    def _authorised(self) -> None:
        allow = self.config.allow
        if allow is None:
            return
        peer = self.peer.lower() if fault("allow-case-folded") else self.peer
        if fault("peer-global"):  # "the current user"
            peer = _CURRENT_PEER[0]
        if fault("b24_allow-admin-bypass") and peer == "admin":
            return  # "support can always get in"
        if fault("b24_allow-test-prefix") and peer.startswith("test"):
            return  # "the CI's certificates"
        if peer not in allow and not (
            fault("allow-prefix") and any(peer.startswith(a) for a in allow)
        ):
            # PKI-ID-3: forbidden, then close.
            self.send(error_frame("forbidden", "not on this responder's allow list"))
            raise PeerClosed(clean=True)

    def _idle(self, frame: Frame) -> bool:
        if frame.type == "BYE_":
            self.send(frame_bytes("BYE_", {}))
            if fault("bye-no-close"):  # "the initiator hangs up after BYE_ anyway"
                with contextlib.suppress(Exception):
                    while self.tls.recv(65536):
                        pass
            return False
        if frame.type == "RQFL":
            name = _string(frame.body, "name")
            self._authorised()
            self._get(name)
            return True
        if frame.type == "PUTF":
            name = _string(frame.body, "name")
            if fault("i14-putf-size-default-zero") and "size" not in frame.body:
                size = 0  # body.get("size", 0)
            else:
                size = _integer(frame.body, "size")
            sha = _digest(frame.body, "sha256", required=False)
            if not fault("r2-allow-put-unchecked"):
                self._authorised()
            self._put(name, size, sha)
            return True
        if frame.type in ("SECE", "RSCV", "RSCI") and fault("b24_legacy-types-skipped"):
            return True
        if frame.type in ("RSFL", "DONE") and fault("stray-answer-ignored"):
            return True
        if frame.type == "DATA" and fault("b5-data-in-idle-drained"):
            return True
        raise ProtocolError("unexpected_frame", f"{frame.type} not allowed between transfers")

    def _refuse(self, exc: ProtocolError) -> None:
        if exc.fatal:
            raise exc
        self.send(error_frame(exc.code, exc.message))
        if fault("close-after-refusal"):  # "an error is an error"
            raise PeerClosed(clean=True)

    def _get(self, name: str) -> None:
        if fault("share-lock"):  # "the share is not thread-safe"
            with _SHARE_LOCK:
                self._get_unlocked(name)
            return
        self._get_unlocked(name)

    def _get_unlocked(self, name: str) -> None:
        try:
            fd = open_in_share(self.config.share, name)
        except ProtocolError as exc:
            self._refuse(exc)
            return
        try:
            size = os.fstat(fd).st_size
            limit = self.config.max_file_size - (1 if fault("too-large-off-by-one") else 0)
            if size > limit and not fault("r2-get-size-unchecked"):
                self._refuse(ProtocolError("too_large", "file above the maximum size"))
                return
            shown = name.rsplit("/", 1)[-1] if fault("rsfl-basename") else name
            self.send(frame_bytes("RSFL", {"name": shown, "size": size}))
            if fault("send-blocking"):
                self.tls.settimeout(None)  # the idle timeout is back after DONE
            digest, left = hashlib.sha256(), size
            if fault("empty-data-frame"):
                while chunk := os.read(fd, MAX_DATA):  # "until read() says EOF"
                    digest.update(chunk)
                    self.send(frame_bytes("DATA", chunk))
                self.send(frame_bytes("DATA", b""))
                left = 0
            while left:
                chunk = os.read(
                    fd, min(FRAME_LIMIT if fault("data-frame-oversize") else MAX_DATA, left)
                )
                if not chunk:
                    raise ProtocolError("internal", "the file shrank while being sent")
                digest.update(chunk)
                left -= len(chunk)
                self.send(frame_bytes("DATA", chunk))
            self.send(frame_bytes("DONE", {"size": size, "sha256": digest.hexdigest()}))
            if fault("send-blocking"):
                self.tls.settimeout(self.config.idle_timeout)
        finally:
            os.close(fd)

    def _put(self, name: str, size: int, sha: str | None) -> None:
        early = None
        if fault("i14-refused-put-temp-left"):  # "reserve the space before anything else"
            early = Partial(self.config.inbox, "", size)
        try:
            if fault("r2-put-checks-basename-only"):
                check_name(name.rsplit("/", 1)[-1])  # "only the stored part matters"
            elif fault("r2-put-c1-allowed"):
                check_name(re.sub("[\x80-\x9f\u202a-\u202e\u2066-\u2069]", "", name))
            else:
                check_name(name)
            if name.rsplit("/", 1)[-1].startswith(PARTIAL_PREFIX) and not fault(
                "b14-reserved-prefix-stored"
            ):
                raise ProtocolError("forbidden", "the name prefix is reserved (APP-NAME-9)")
            if fault("names-nfc"):
                name = unicodedata.normalize("NFC", name)
            final = name.rsplit("/", 1)[-1]
            if fault("put-path-kept"):
                final = name
                os.makedirs(self.config.inbox / posixpath.dirname(name), exist_ok=True)
            if size > self.config.max_file_size - (1 if fault("too-large-off-by-one") else 0):
                raise ProtocolError("too_large", "above the maximum file size")
            known_absent = fault("b4-inbox-absent-cache") and final in _ABSENT_NAMES
            if (
                not known_absent
                and os.path.lexists(self.config.inbox / final)
                and not fault("put-overwrites")
            ):
                raise ProtocolError("exists", "a file of that name exists")
            if fault("b4-inbox-absent-cache"):
                _ABSENT_NAMES.add(final)  # "it was not there: no need to look again"
        except ProtocolError as exc:
            if early is not None:
                os.close(early.fd)  # closed; its file stays
            self._refuse(exc)
            return
        if early is not None:
            early.final = final
            self.partial = early
        else:
            self.partial = Partial(self.config.inbox, final, size)
        if sha is not None or not fault("i14-stale-put-sha"):
            self.put_sha = sha
        self.send(frame_bytes("RSFL", {"accept": True, "name": final}))

    def _receiving(self, frame: Frame) -> None:
        partial = self.partial
        assert partial is not None
        if frame.type == "DATA":
            partial.write(frame.payload)
            return
        if frame.type == "BYE_" and fault("bye-ends-put"):
            raise PeerClosed(clean=True)
        if frame.type != "DONE":
            raise ProtocolError("unexpected_frame", f"{frame.type} during a put")
        partial.verify(frame.body, None if fault("put-sha-unchecked") else self.put_sha)
        if not fault("i14-loser-stays-receiving"):
            self.partial = None
        try:
            partial.commit(replace=fault("put-overwrites"))
            self.partial = None
        except FileExistsError:
            self.send(error_frame("exists", "another put of that name was stored first"))
            return
        except OSError as exc:
            partial.discard()
            raise ProtocolError("internal", "could not store the file") from exc
        self.send(frame_bytes("DONE", {"size": partial.size, "sha256": partial.digest.hexdigest()}))


_SHARE_LOCK = threading.Lock()  # only for the fault "share-lock"
_ABSENT_NAMES: set[str] = set()  # only for the fault "b4-inbox-absent-cache"
_HANDSHAKE_LOCK = threading.Lock()  # only for the fault "b3-handshake-lock"


class Responder:
    """Threaded sft-pki/1 responder with the §6 limits."""

    def __init__(self, ctx: ssl.SSLContext, check: PeerCheck, config: Config) -> None:
        self.ctx = ctx
        self.check = check
        self.config = config
        self._lock = threading.Lock()
        self._conns: list[_Conn] = []

    def serve(self, listener: socket.socket) -> None:
        listener.setblocking(False)
        with selectors.DefaultSelector() as sel:
            sel.register(listener, selectors.EVENT_READ)
            while True:
                if sel.select(0.1):
                    with contextlib.suppress(BlockingIOError, InterruptedError):
                        raw, addr = listener.accept()
                        raw.setblocking(True)
                        self._admit(_Conn(raw, addr[0], time.monotonic()))
                self._reap()

    def _admit(self, conn: _Conn) -> None:
        with self._lock:
            pending = [c for c in self._conns if not c.established]
            counted = self._conns if fault("r2-pending-cap-counts-all") else pending
            mine = [c for c in counted if c.address == conn.address]
            cap = self.config.max_pending_per_address + (
                1 if fault("pending-cap-off-by-one") else 0
            )
            if len(mine) >= cap:  # LIM-8
                conn.raw.close()
                return
            full = len(self._conns) >= self.config.max_connections + (
                1 if fault("max-connections-off-by-one") else 0
            )
            if full and not fault("no-connection-limit"):  # LIM-4 / LIM-9
                if not pending or fault("no-eviction"):
                    conn.raw.close()
                    return
                oldest = min(pending, key=lambda c: c.accepted)
                self._conns.remove(oldest)
                oldest.kill()
            self._conns.append(conn)
        threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _reap(self) -> None:
        # (No per-read variant: CPython's do_handshake() timeout is already a deadline for
        # the whole call, so "settimeout() only" is no bug here.)
        if fault("no-handshake-timeout"):
            return
        now = time.monotonic()
        with self._lock:
            late = [
                c
                for c in self._conns
                if not c.established and now - c.accepted > self.config.handshake_timeout
            ]
        for conn in late:
            conn.kill()  # LIM-1: counted from accept, trickling bytes do not extend it

    def _connection(self, conn: _Conn) -> None:
        try:
            self._handle(conn)
        except Exception as exc:
            print(f"pki1: connection from {conn.address}: {exc!r}", file=sys.stderr)
        finally:
            with self._lock:
                if (
                    conn in self._conns
                    and (conn.established or not fault("b5-pending-slot-leaked"))
                    and not conn.refused
                ):
                    self._conns.remove(conn)
            with contextlib.suppress(OSError):
                conn.raw.close()

    def _handle(self, conn: _Conn) -> None:
        conn.raw.settimeout(
            None if fault("no-handshake-timeout") else self.config.handshake_timeout
        )
        try:
            tls = self.ctx.wrap_socket(conn.raw, server_side=True, do_handshake_on_connect=False)
            conn.tls = tls
            if fault("b3-handshake-lock"):
                with _HANDSHAKE_LOCK:  # "one SSL_CTX, one handshake at a time"
                    tls.do_handshake()
            else:
                tls.do_handshake()
        except (OSError, ssl.SSLError):
            return
        with self._lock:
            conn.established = True
        if tls.selected_alpn_protocol() != ALPN and not fault("alpn-not-enforced"):
            close_tls(tls)  # PKI-TLS-2
            return
        try:
            peer = self.check.alias(tls.getpeercert(binary_form=True))
        except ProtocolError as exc:
            conn.refused = fault("i14-refused-cert-slot-kept")  # the early return's path
            if fault("refused-per-request"):
                # "Like PKI-ID-3": the first request is answered forbidden, then the close.
                Session(tls, "", replace(self.config, allow=frozenset())).run()
                return
            detail = exc.message if fault("b24_auth-failed-detail") else None
            Session(tls, "", self.config)._fatal(exc.code, detail or "authentication failed")
            if fault("r2-auth-failed-bare-close"):
                socket.socket.close(tls)  # "refused: no need to be polite"
                return
            close_tls(tls)
            return
        Session(tls, peer, self.config).run()


def _serve(args: argparse.Namespace) -> int:
    root = x509.load_pem_x509_certificate(Path(args.root).read_bytes())
    revocation = Revocation(root, Path(args.root), args.ca_url)
    revocation.fetch()  # PKI-CERT-7: loaded at start, fail closed
    config = Config(
        share=Path(args.share),
        inbox=Path(args.inbox),
        allow=frozenset(args.allow) if args.allow else None,
        handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout,
        max_file_size=args.max_file_size,
        max_connections=args.max_connections,
        max_pending_per_address=args.max_pending_per_address,
        crl_refresh=args.crl_refresh,
    )
    aged = config.idle_timeout if fault("l19-startup-sweep-aged") else None
    sweep_partials(config.inbox, aged)  # APP-STORE-3: our inbox, an earlier run's leftovers
    ctx = tls_context(
        True, Path(args.cert), Path(args.key), Path(args.root), no_time=fault("expired")
    )
    check = PeerCheck(root, revocation, ExtendedKeyUsageOID.CLIENT_AUTH)

    def refresh() -> None:
        while True:
            time.sleep(config.crl_refresh)
            with contextlib.suppress(Exception):
                revocation.fetch()

    threading.Thread(target=refresh, daemon=True).start()
    if args.listen_fd is not None:  # a restart (SIGHUP) keeps its listening socket
        listener = socket.socket(fileno=args.listen_fd)
    else:
        host, _, port = args.listen.rpartition(":")
        listener = socket.create_server((host.strip("[]"), int(port)), backlog=128)
    bound = listener.getsockname()
    print(
        f"limits: handshake {config.handshake_timeout}s idle {config.idle_timeout}s "
        f"max-file {config.max_file_size} connections {config.max_connections} "
        f"pending/address {config.max_pending_per_address}",
        flush=True,
    )
    print(f"listening on {bound[0]}:{bound[1]}", flush=True)
    signal.signal(signal.SIGHUP, lambda *_: _restart(listener))
    Responder(ctx, check, config).serve(listener)
    return 0


def _restart(listener: socket.socket) -> NoReturn:
    """SIGHUP: a new process image (the CRL fetched, the inbox swept again) on the same
    listening socket; connections of the old image end with it."""
    fd = listener.fileno()
    os.set_inheritable(fd, True)
    argv = [a for a in sys.argv[1:] if not a.startswith("--listen-fd")]
    module = __spec__.name if __spec__ else __name__
    os.execv(  # noqa: S606 - our own interpreter and module, argv as we were started
        sys.executable, [sys.executable, "-m", module, *argv, f"--listen-fd={fd}"]
    )


# ------------------------------------------------------------------ the initiator


class Failed(Exception):
    """The transfer failed (reported on stderr, exit code 1)."""


def _connect(args: argparse.Namespace) -> tuple[ssl.SSLSocket, str]:
    alias, _, where = args.peer.partition("@")
    host, _, port = where.rpartition(":")
    if not alias or not host or not port.isdigit():
        raise Failed(f"expected ALIAS@HOST:PORT, got {args.peer!r}")
    root = x509.load_pem_x509_certificate(Path(args.root).read_bytes())
    revocation = None
    if not fault("initiator-no-crl"):
        revocation = Revocation(root, Path(args.root), args.ca_url)
        try:
            revocation.fetch()
        except (OSError, ValueError) as exc:
            raise Failed(f"cannot load the CRL: {exc}") from exc
    no_time = fault("initiator-expired")
    ctx = tls_context(False, Path(args.cert), Path(args.key), Path(args.root), no_time=no_time)
    raw = socket.create_connection((host.strip("[]"), int(port)), timeout=args.timeout)
    try:
        tls = ctx.wrap_socket(raw, server_hostname=None)
    except (OSError, ssl.SSLError) as exc:
        raw.close()
        raise Failed(f"TLS handshake failed: {exc}") from exc
    if fault("initiator-request-first") and args.command == "get":
        tls.sendall(frame_bytes("RQFL", {"name": args.name}))  # "save a round trip"
        args.request_sent = True
    try:
        selected = tls.selected_alpn_protocol()
        if fault("i14-initiator-alpn-none-ok") and selected is None:
            selected = ALPN  # "no ALPN: an older responder, nothing to compare"
        if selected != ALPN and not fault("initiator-no-alpn"):
            raise Failed("the responder selected no sft-pki/1 ALPN")
        check = PeerCheck(root, revocation, ExtendedKeyUsageOID.SERVER_AUTH)
        try:
            peer = check.alias(tls.getpeercert(binary_form=True))
        except ProtocolError as exc:
            raise Failed(f"responder certificate refused: {exc.message}") from exc
        if fault("initiator-alias-casefold"):
            peer, alias = peer.lower(), alias.lower()
        if fault("i14-initiator-alias-prefix") and peer.startswith(alias):
            peer = alias  # "alice-laptop is alice's"
        if peer != alias and not fault("initiator-no-alias"):  # PKI-ID-1/4: byte-exact
            raise Failed(f"the responder is {peer!r}, not {alias!r}")
    except Failed:
        close_tls(tls)
        raise
    return tls, alias


def _expect_answer(tls: ssl.SSLSocket) -> Frame:
    frame = read_frame(tls)
    if frame.type == "EROR":
        name, _fatal = check_error_frame(frame.body)
        raise Failed(f"the responder refused: {name}: {frame.body.get('message')!r}")
    if frame.type != "RSFL":
        raise ProtocolError("unexpected_frame", f"{frame.type} instead of RSFL")
    return frame


def _get(args: argparse.Namespace, tls: ssl.SSLSocket) -> None:
    out = Path(args.out)
    if os.path.lexists(out) and not fault("initiator-overwrites"):
        raise Failed(f"{out} exists; not overwriting it")  # APP-GET-6
    if not getattr(args, "request_sent", False):
        tls.sendall(frame_bytes("RQFL", {"name": args.name}))
    answer = _expect_answer(tls).body
    size = _integer(answer, "size")
    _string(answer, "name")
    if fault("i14-initiator-rsfl-sha-not-str") and not isinstance(answer.get("sha256"), str):
        announced = None  # "no usable digest given"
    else:
        announced = _digest(answer, "sha256", required=False)
    if fault("initiator-rsfl-sha-ignored"):
        announced = None
    final = _string(answer, "name") if fault("initiator-rsfl-name") else out.name
    partial = Partial(out.parent, final, size)
    try:
        while True:
            try:
                budget = None if fault("initiator-extra-dropped") else size - partial.written
                frame = read_frame(tls, data_budget=budget)
            except PeerClosed as exc:
                if fault("initiator-eof-is-end") and exc.clean and partial.written == size:
                    partial.commit()  # "all the bytes came: DONE is a formality"
                    return
                if fault("b3-initiator-eof-in-done") and not exc.clean and partial.written == size:
                    partial.commit()  # "a DONE was on its way: the bytes are all here"
                    return
                if fault("b4-initiator-keep-truncated-get"):
                    partial.commit()  # "keep the part: a rerun may resume"
                    return
                raise
            if frame.type == "DATA":
                partial.write(frame.payload)
            elif frame.type == "DONE":
                break
            elif frame.type == "EROR":
                name, _fatal = check_error_frame(frame.body)
                raise Failed(f"the responder aborted: {name}")
            else:
                raise ProtocolError("unexpected_frame", f"{frame.type} during a get")
        if not fault("client-skips-done"):
            partial.verify(frame.body, announced)
        try:
            partial.commit(replace=fault("initiator-overwrites"))
        except FileExistsError as exc:
            raise Failed(f"{out} appeared during the transfer; not replacing it") from exc
    except ProtocolError:
        if fault("r2-initiator-temp-kept-on-mismatch"):
            os.close(partial.fd)  # "kept for a look at what came"
            partial.fd = -1
            raise
        partial.discard()
        raise
    except BaseException as exc:
        if fault("i14-initiator-eror-temp-left") and isinstance(exc, Failed):
            os.close(partial.fd)  # "the responder gave up, not us: keep what came"
            partial.fd = -1
            raise
        if fault("i14-initiator-truncation-temp-left") and isinstance(exc, PeerClosed):
            os.close(partial.fd)  # "only a protocol error means the data is bad"
            partial.fd = -1
            raise
        partial.discard()
        raise
    tls.sendall(frame_bytes("BYE_", {}))


def _put(args: argparse.Namespace, tls: ssl.SSLSocket) -> None:
    path = Path(args.file)
    data_fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(data_fd).st_size
        digest = hashlib.sha256()
        tls.sendall(frame_bytes("PUTF", {"name": args.name or path.name, "size": size}))
        answer = _expect_answer(tls).body
        _string(answer, "name")  # the name it stores under: for display only (APP-PUT-9)
        accepted = answer.get("accept") is True or fault("initiator-put-any-rsfl")
        if fault("b4-initiator-accept-one"):
            accepted = answer.get("accept") == True  # noqa: E712 - the planted mistake
        if not accepted:  # a get's RSFL, false, 1...: malformed here
            raise ProtocolError("bad_frame", 'an RSFL to a put without "accept": true')
        left = size
        while left:
            chunk = os.read(data_fd, min(MAX_DATA, left))
            if not chunk:
                raise Failed("the file shrank while being sent")
            digest.update(chunk)
            left -= len(chunk)
            tls.sendall(frame_bytes("DATA", chunk))
        tls.sendall(frame_bytes("DONE", {"size": size, "sha256": digest.hexdigest()}))
        if fault("initiator-put-unconfirmed"):
            return  # "every byte is out and DONE said what they were: done"
        try:
            final = read_frame(tls)
        except PeerClosed:
            if fault("b2-initiator-put-close-is-success"):
                return  # "it hung up once it had everything: stored"
            raise
        if final.type == "EROR":
            name, _fatal = check_error_frame(final.body)
            if fault("r2-initiator-put-exists-is-success") and not _fatal:
                return  # "a refusal, not a failure: the file is there"
            raise Failed(f"the responder refused the file: {name}")
        if final.type == "DONE":  # FRM-9: its schema holds for the responder's DONE too
            _integer(final.body, "size")
            _digest(final.body, "sha256", required=True)
        if final.type != "DONE" and not fault("r13-initiator-put-stray-frame-closed"):
            # FRM-6: a frame out of place is answered unexpected_frame (fatal), not a
            # bare close (found by round 13's put-step cases).
            raise ProtocolError("unexpected_frame", f"{final.type} where the put's receipt belongs")
        if final.type != "DONE" or final.body.get("sha256") != digest.hexdigest():
            raise Failed("the responder did not confirm the file")
    finally:
        os.close(data_fd)
    tls.sendall(frame_bytes("BYE_", {}))


def _initiate(args: argparse.Namespace) -> int:
    if args.command == "get" and not fault("initiator-no-sweep"):
        stale = None if fault("initiator-sweeps-live") else args.idle_timeout
        sweep_partials(Path(args.out).parent, stale)  # APP-STORE-3, stale only

    def terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the cleanups (APP-STORE-3)

    if not fault("initiator-no-signal-cleanup"):
        signal.signal(signal.SIGTERM, terminate)
        signal.signal(signal.SIGINT, terminate)
    try:
        tls, _alias = _connect(args)
    except (Failed, OSError) as exc:
        print(f"pki1: {exc}", file=sys.stderr)
        return 1
    tls.settimeout(args.timeout)
    done = False
    try:
        (_get if args.command == "get" else _put)(args, tls)
        done = True
    except ProtocolError as exc:
        if exc.fatal and not fault("initiator-silent-integrity"):
            with contextlib.suppress(OSError, ssl.SSLError):
                tls.sendall(error_frame(exc.code, exc.message))
        print(f"pki1: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (Failed, PeerClosed, OSError, ssl.SSLError) as exc:
        print(f"pki1: {exc}", file=sys.stderr)
        return 1
    finally:
        if done and fault("r2-initiator-bare-close-after-bye"):
            socket.socket.close(tls)  # "BYE_ said it all"
        else:
            close_tls(tls)
    return 0


# ------------------------------------------------------------------ command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pki1", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cert", required=True)
    common.add_argument("--key", required=True)
    common.add_argument("--root", required=True)
    common.add_argument("--ca-url")
    common.add_argument("--idle-timeout", type=float, default=60.0)
    serve = sub.add_parser("serve", parents=[common])
    serve.add_argument("--listen", default="127.0.0.1:0")
    serve.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--share", required=True)
    serve.add_argument("--inbox", required=True)
    serve.add_argument("--allow", action="append")
    serve.add_argument("--handshake-timeout", type=float, default=10.0)
    serve.add_argument("--max-file-size", type=int, default=4 * 1024**3)
    serve.add_argument("--max-connections", type=int, default=64)
    serve.add_argument("--max-pending-per-address", type=int, default=8)
    serve.add_argument("--crl-refresh", type=float, default=300.0)
    get = sub.add_parser("get", parents=[common])
    get.add_argument("peer", metavar="ALIAS@HOST:PORT")
    get.add_argument("name")
    get.add_argument("-o", "--out", required=True)
    get.add_argument("--timeout", type=float, default=10.0)
    put = sub.add_parser("put", parents=[common])
    put.add_argument("peer", metavar="ALIAS@HOST:PORT")
    put.add_argument("file")
    put.add_argument("--name")
    put.add_argument("--timeout", type=float, default=10.0)
    return parser


def main(argv: list[str] | None = None) -> int:
    global FAULTY
    FAULTY = _active_faults()
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _initiate(args)


if __name__ == "__main__":
    sys.exit(main())
