"""A clean-room sft-eke/1 server and client, written from docs/SPEC.md alone.

The conformance suite was written beside the reference (`reference/`, on `cryptography`),
so a case can lean on the reference's quirks without anyone noticing. This module is a
second implementation by other hands: pycryptodome and `hashlib` for the primitives, its
own framing, Feistel/EKE, key schedule, records, throttling and share handling, and it
imports neither `reference` nor the suite's own protocol modules (`conformance.eke`,
`conformance.wire`, ...). Where SPEC leaves a choice it takes its own (no `sha256` in
`RSFL`, `EROR busy` for refused connections, no `BYE_` echo checks on the client, ...).

    python -m conformance.selftest.independent.eke1 serve --listen 127.0.0.1:0 \\
        --users USERS --share DIR --inbox DIR [--handshake-timeout S ...]
    python -m conformance.selftest.independent.eke1 user add NAME --users USERS --password-stdin
    python -m conformance.selftest.independent.eke1 get HOST:PORT NAME --user U \\
        --password-file F -o OUT
    python -m conformance.selftest.independent.eke1 put HOST:PORT FILE --user U --password-file F

Planted faults: `SFT_INDEPENDENT_FAULTS=name[,name]` (read once at start) switches on the
mistakes listed in `FAULTS`, each breaking one requirement, so that the self-test
(test_eke1.py) can prove the suite catches them on code that is not the reference.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import ipaddress
import json
import math
import os
import posixpath
import random
import re
import secrets
import signal
import socket
import stat
import struct
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

from Crypto.Cipher import AES
from Crypto.Math.Numbers import Integer

__all__ = [
    "FAULTS",
    "Fault",
    "ErrorCode",
    "ProtocolFailure",
    "password_key",
    "add_user",
    "main",
]


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One planted mistake: the requirement it breaks and the case file that judges it."""

    requirement: str
    test_file: str
    description: str
    client: bool = False


FAULTS: dict[str, Fault] = {
    "hs-ns-not-compared": Fault(
        "EKE-HS-6", "test_eke_handshake.py", "server: EKE3 opens under Kcc, its Ns half unchecked"
    ),
    "hs-x-range-unchecked": Fault(
        "EKE-X-3", "test_eke_handshake.py", "server: X' = 0, 1, p-1 or >= p not rejected"
    ),
    "hs-user-casefolded": Fault(
        "EKE-PW-4", "test_eke_handshake.py", "server: user names case-folded and NFC before lookup"
    ),
    "hs-unknown-user-refused": Fault(
        "EKE-HS-3", "test_eke_handshake.py", "server: an unknown user is refused at EKE1"
    ),
    "hs-no-timeout": Fault(
        "EKE-HS-11", "test_eke_handshake.py", "server: no handshake deadline"
    ),
    "thr-counted-at-eke3": Fault(
        "EKE-THR-5", "test_eke_throttling.py", "server: a guess counted only when EKE3 fails"
    ),
    "thr-pending-counted": Fault(
        "EKE-THR-5", "test_eke_throttling.py", "server: a pending handshake counted as a failure"
    ),
    "thr-no-pending-cap": Fault(
        "EKE-THR-7", "test_eke_throttling.py", "server: no cap on handshakes held open"
    ),
    "thr-counts-in-memory": Fault(
        "EKE-THR-8", "test_eke_throttling.py", "server: failure counts lost at a restart"
    ),
    "thr-address-reset-on-success": Fault(
        "EKE-THR-6", "test_eke_throttling.py", "server: a success resets the address's count"
    ),
    "thr-no-backoff-growth": Fault(
        "EKE-THR-6", "test_eke_throttling.py", "server: every lock lasts the base time"
    ),
    "rec-drop-window": Fault(
        "EKE-REC-4", "test_eke_records.py", "records: a receiver also tries the next seq numbers"
    ),
    "rec-one-key": Fault(
        "EKE-KS-4", "test_eke_records.py", "records: the server seals with the c2s key and IV"
    ),
    "rec-tag-truncated": Fault(
        "EKE-REC-4", "test_eke_records.py", "records: only 12 of the 16 tag bytes verified"
    ),
    "app-dotdot-normalised": Fault(
        "APP-NAME-2", "test_app_names.py", "app: names normalised (a/../b) instead of refused"
    ),
    "app-symlink-followed": Fault(
        "APP-NAME-4", "test_app_names.py", "app: the share path joined and opened, links followed"
    ),
    "app-put-overwrites": Fault(
        "APP-PUT-3", "test_app_put.py", "app: a put replaces an existing inbox file"
    ),
    "app-put-final-name": Fault(
        "APP-PUT-5", "test_app_put.py", "app: a put written under its final name as it arrives"
    ),
    "app-put-excess-at-done": Fault(
        "APP-PUT-6", "test_app_put.py", "app: data beyond the size noticed only at DONE"
    ),
    "lim-no-idle-timeout": Fault(
        "LIM-2", "test_limits.py", "limits: an idle established connection is never closed"
    ),
    "lim-payload-before-limit": Fault(
        "FRM-3", "test_framing.py", "framing: the payload is read before its length is checked"
    ),
    "frm-pipelined-bytes-dropped": Fault(
        "FRM-4", "test_framing.py", "framing: bytes read beyond a frame are thrown away"
    ),
    "frm-duplicate-keys-accepted": Fault(
        "FRM-9", "test_framing.py", "framing: a duplicate JSON key keeps the last value"
    ),
    "err-wait-for-peer-after-fatal": Fault(
        "ERR-3", "test_framing.py", "errors: after a fatal EROR, waits for the peer to close"
    ),
    "app-name-nfc": Fault(
        "APP-NAME-3", "test_app_names.py", "app: names NFC-normalised before use"
    ),
    "app-put-max-size-off-by-one": Fault(
        "APP-PUT-7", "test_app_put.py", "app: a put of exactly the maximum size refused"
    ),
    "app-reserved-prefix-accepted": Fault(
        "APP-NAME-9", "test_app_reserved_names.py", "app: a put named .sft-partial-* stored"
    ),
    "app-dir-forbidden": Fault(
        "APP-GET-2", "test_app_get.py", "app: a directory answered forbidden, not not_found"
    ),
    "app-put-sha-ignored": Fault(
        "APP-PUT-5", "test_app_put.py", "app: PUTF's sha256 never compared with the data"
    ),
    "app-exists-checked-at-done": Fault(
        "APP-PUT-3", "test_app_put.py", "app: an existing name noticed only at DONE"
    ),
    "lim-no-idle-timeout-during-put": Fault(
        "LIM-2", "test_limits.py", "limits: no idle timeout while a put is in progress"
    ),
    "lim-no-connection-cap": Fault(
        "LIM-4", "test_lockout.py", "limits: max_connections never enforced"
    ),
    "hs-upper-hex-accepted": Fault(
        "FRM-12", "test_eke_handshake.py", "server: upper-case hex accepted in handshake members"
    ),
    "app-bye-ends-put": Fault(
        "APP-BYE-1", "test_app_put.py", "app: BYE_ during a put closes quietly"
    ),
    "hs-sign-ignored": Fault(
        "EKE-X-3", "test_eke_handshake.py", "server: X taken as X' (the sign never folded back)"
    ),
    "thr-no-address-count": Fault(
        "EKE-THR-1", "test_eke_throttling.py", "server: failures counted per user name only"
    ),
    "lim-no-eviction": Fault(
        "LIM-9", "test_lockout.py", "limits: a full server refuses even when handshakes idle"
    ),
    "cli-keeps-partial": Fault(
        "APP-STORE-3", "test_eke_client_transfer.py", "client: the temporary left after a failure",
        client=True,
    ),
    "cli-digest-any-case": Fault(
        "FRM-12", "test_eke_client_transfer.py", "client: digests compared case-insensitively",
        client=True,
    ),
    "cli-rsfl-digest-ignored": Fault(
        "APP-GET-3", "test_eke_client_transfer.py", "client: RSFL's sha256 never compared",
        client=True,
    ),
    "cli-size-unchecked": Fault(
        "APP-GET-3", "test_eke_client_transfer.py", "client: only the digest checked at DONE",
        client=True,
    ),
    "cli-excess-clipped": Fault(
        "APP-GET-4", "test_eke_client_transfer.py", "client: DATA beyond the size silently cut",
        client=True,
    ),
    "cli-eke4-unchecked": Fault(
        "EKE-HS-7", "test_eke_client.py", "client: EKE4 not verified", client=True
    ),
    "cli-writes-final-name": Fault(
        "APP-GET-6", "test_eke_client_transfer.py", "client: writes the output file directly",
        client=True,
    ),
    "cli-y-range-unchecked": Fault(
        "EKE-X-3", "test_eke_client.py", "client: Y' = 0, 1, p-1, >= p not rejected",
        client=True,
    ),
    "cli-put-any-rsfl": Fault(
        "APP-PUT-9", "test_client_put.py", "client: any RSFL to a put taken as an acceptance",
        client=True,
    ),
    "cli-put-no-wait": Fault(
        "APP-PUT-1", "test_client_put.py", "client: a put's data sent without awaiting RSFL",
        client=True,
    ),
    "cli-put-empty-data": Fault(
        "FRM-14", "test_client_put.py", "client: an empty file sent as one empty DATA frame",
        client=True,
    ),
    "app-rsfl-basename": Fault(
        "APP-GET-7", "test_app_get.py", "app: a get's RSFL names the basename, as a put's does"
    ),
    # Blind round 2 (B2): the same mistakes as the reference's b2cli-* mutants.
    "b2-cli-rsfl-name": Fault(
        "APP-GET-7", "test_eke_client_transfer.py", "client: a get saved under RSFL.name",
        client=True,
    ),
    "b2-cli-put-close-is-success": Fault(
        "APP-PUT-10", "test_client_put.py", "client: a close in place of DONE is success",
        client=True,
    ),
    "b2-cli-user-nfc": Fault(
        "EKE-HS-1", "test_eke_client.py", "client: the user name NFC-normalised before use",
        client=True,
    ),
    "lim-no-send-timeout": Fault(
        "LIM-10", "test_limits.py", "limits: a send waits as long as the peer does not read"
    ),
    # Blind round 2 (B1): the same mistakes as the reference's b2eke-* mutants.
    "b2-hs-sign-from-parity": Fault(
        "EKE-X-2", "test_eke_handshake.py", "server: the sign is Y's parity, not a fresh bit"
    ),
    "b2-x-reduced-mod-p": Fault(
        "EKE-X-3", "test_eke_handshake.py", "server: an X' >= p reduced mod p, not rejected"
    ),
    "b2-thr-lock-crash": Fault(
        "EKE-THR-11", "test_eke_throttling.py", "server: a locked name's retry_after is inf: crash"
    ),
    "b2-thr-busy-counted": Fault(
        "EKE-THR-7", "test_eke_throttling.py", "server: an EKE1 refused busy counts as a failure"
    ),
    "b2-err-refusal-lingers": Fault(
        "ERR-3", "test_eke_throttling.py", "server: after throttled/busy, waits for the peer"
    ),
    "b2-hs-auth-message-by-cause": Fault(
        "EKE-HS-8", "test_eke_handshake.py", "server: auth_failed says 'nonce mismatch' for Ns"
    ),
    "b2-hs-fake-secret-zero": Fault(
        "EKE-HS-3", "test_eke_handshake.py", "server: the fake-key secret left at 32 zero bytes"
    ),
    # Blind round 2 (B3): the same mistakes as the reference's b2app-* mutants.
    "b2-app-close-after-refusal": Fault(
        "ERR-3", "test_app_refusals.py", "app: every EROR, even not_found or forbidden, closes"
    ),
    "b2-lim-connections-off-by-one": Fault(
        "LIM-4", "test_lockout.py", "limits: max_connections + 1 connections admitted"
    ),
    "b2-lim-share-lock": Fault(
        "LIM-5", "test_limits_responder.py", "limits: gets run under one server-wide lock"
    ),
    "b2-app-done-sha-trusts-putf": Fault(
        "APP-PUT-5", "test_app_put.py", "app: DONE's sha256 compared with PUTF's, not the data"
    ),
    # Blind round 3 (B6): the same mistakes as the reference's b3eke-* mutants.
    "b3-rec-empty-get-one-record": Fault(
        "EKE-REC-1", "test_eke_records.py", "server: a 0-byte get's RSFL and DONE in one record"
    ),
    "b3-frm-length-in-chars": Fault(
        "FRM-1", "test_eke_records.py", "server: a control frame's length counts characters"
    ),
    "b3-lim-handshakes-serialised": Fault(
        "LIM-5", "test_eke_handshake_stalls.py", "server: one lock around every handshake"
    ),
    "b3-cli-key-check-value": Fault(
        "EKE-PW-3", "test_eke_client.py", "client: EKE1 carries 4 bytes of SHA-256(pw)",
        client=True,
    ),
    # Blind round 4 (B10): the same mistakes as the reference's b4eke-* mutants.
    "b4-hs-timeout-per-read": Fault(
        "LIM-1", "test_eke_handshake_stalls.py", "server: every read re-arms the handshake timeout"
    ),
    "b4-thr-timeout-slot-kept": Fault(
        "EKE-THR-7", "test_eke_throttling.py", "server: a timed-out handshake keeps its slot"
    ),
    "b4-user-64-refused": Fault(
        "EKE-HS-3", "test_eke_handshake.py", "server: a 64-byte user name refused (< 64, not <=)"
    ),
    # Blind round 5 (B13): the same mistakes as the reference's b5eke-* mutants.
    "b5-thr-peer-eror-forgiven": Fault(
        "EKE-THR-5", "test_eke_throttling.py", "server: a client's EROR after EKE2 is not counted"
    ),
    "b5-thr-malformed-eke3-forgiven": Fault(
        "EKE-THR-5", "test_eke_throttling.py", "server: a bad or misplaced EKE3 is not counted"
    ),
    "b5-thr-user-casefolded": Fault(
        "EKE-THR-2", "test_eke_throttling.py", "server: the throttle counts case-folded names"
    ),
    "b5-err-auth-failed-lingers": Fault(
        "ERR-3", "test_eke_handshake.py", "server: after auth_failed, waits for the peer to close"
    ),
    "b5-lim-slot-kept-after-eror": Fault(
        "LIM-8", "test_eke_handshake_stalls.py", "server: a client's EROR keeps its address slot"
    ),
    # Blind round r2 (F1, session 8): read from this file's own code, not from the cases.
    "r2-data-empty-accepted": Fault(
        "FRM-13",
        "test_framing.py",
        "server: an empty DATA during a put taken as no bytes",
    ),
    "r2-data-full-refused": Fault(
        "FRM-13",
        "test_framing.py",
        "server: a DATA of exactly 1048576 bytes refused bad_frame",
    ),
    "r2-control-limit-inclusive": Fault(
        "FRM-8",
        "test_eke_handshake.py test_framing.py",
        "server: a control payload of exactly 65536 bytes refused",
    ),
    "r2-unknown-type-bad-frame": Fault(
        "FRM-5",
        "test_framing.py",
        "server: an undefined inner frame type answered bad_frame",
    ),
    "r2-float-integer-accepted": Fault(
        "FRM-11",
        "test_framing.py",
        "server: an integral JSON float (5.0, 1e3) taken as an integer",
    ),
    "r2-idle-timeout-silent": Fault(
        "LIM-2",
        "test_limits.py",
        "server: an idle connection closed without EROR timeout",
    ),
    "r2-bye-keeps-open": Fault(
        "APP-BYE-1",
        "test_app_get.py",
        "server: after answering BYE_ the connection stays open",
    ),
    "r2-put-rsfl-no-accept": Fault(
        "APP-PUT-1",
        "test_app_put.py",
        "server: a put's RSFL carries the stored name, no accept",
    ),
    "r2-put-short-accepted": Fault(
        "APP-PUT-5",
        "test_app_put.py",
        "server: fewer bytes than announced stored when DONE agrees",
    ),
    "r2-put-done-size-ignored": Fault(
        "APP-PUT-5",
        "test_app_put.py",
        "server: DONE.size never compared with PUTF.size",
    ),
    "r2-too-large-fatal": Fault(
        "ERR-3",
        "test_app_refusals.py",
        "server: too_large treated as fatal: the connection closes",
    ),
    "r2-eke3-wrong-frame-bad-frame": Fault(
        "EKE-HS-9",
        "test_eke_handshake.py",
        "server: a frame other than EKE3 after EKE2 answered bad_frame",
    ),
    "r2-thr-threshold-late": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py",
        "server: throttled only after N + 1 failures (> not >=)",
    ),
    "r2-thr-retry-after-floor": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: retry_after the time left rounded down",
    ),
    "r2-thr-lock-from-first-failure": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: the lock counted from the first failure, not the last",
    ),
    "r2-thr-success-keeps-user-count": Fault(
        "EKE-THR-4",
        "test_eke_restart.py test_eke_throttling.py",
        "server: a success leaves the user's failure count",
    ),
    "r2-thr-pending-cap-inclusive": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: P + 1 handshakes of a user pending (> not >=)",
    ),
    "r2-thr-busy-no-retry-after": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: busy sent without retry_after",
    ),
    "r2-lim-pending-address-inclusive": Fault(
        "LIM-8",
        "test_lockout.py",
        "limits: one more unfinished connection per address than the cap",
    ),
    "r2-lim-evicts-newest": Fault(
        "LIM-9",
        "test_lockout.py",
        "limits: a full server closes the newest unfinished handshake",
    ),
    "r2-rec-plaintext-accepted": Fault(
        "EKE-REC-5",
        "test_eke_records.py",
        "server: a plaintext application frame after EKE4 served",
    ),
    "r2-rec-bad-record-answered": Fault(
        "EKE-REC-4",
        "test_eke_records.py",
        "server: a record that fails to open answered in clear",
    ),
    "r2-rec-inner-length-unchecked": Fault(
        "EKE-REC-1",
        "test_eke_records.py",
        "server: bytes after the record's inner frame ignored",
    ),
    "r2-cli-password-rstrip": Fault(
        "PWF-1",
        "test_eke_client_password_file.py",
        "client: trailing white space stripped from the password file",
        client=True,
    ),
    "r2-cli-password-crlf-kept": Fault(
        "PWF-1",
        "test_eke_client_password_file.py",
        "client: only a trailing LF removed, a CRLF's CR refused",
        client=True,
    ),
    "r2-cli-done-size-ignored": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "client: DONE.size never compared",
        client=True,
    ),
    "r2-cli-done-sha-skipped": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "client: DONE.sha256 unchecked when RSFL carried one",
        client=True,
    ),
    "r2-cli-eke4-nonce-unchecked": Fault(
        "EKE-HS-7",
        "test_eke_client.py",
        "client: EKE4 must open, its Na is not compared",
        client=True,
    ),
    "r2-cli-data-empty-accepted": Fault(
        "FRM-13",
        "test_eke_client_transfer.py",
        "client: an empty DATA in a get taken as no bytes",
        client=True,
    ),
    "r2-cli-overwrites-out": Fault(
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "client: an existing output file replaced",
        client=True,
    ),
    "r2-cli-plaintext-accepted": Fault(
        "EKE-REC-5",
        "test_eke_client.py",
        "client: a plaintext frame after EKE4 taken",
        client=True,
    ),
    "r2-cli-put-exists-at-done-success": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "client: EROR exists in place of DONE taken as stored",
        client=True,
    ),
    "r2-cli-truncation-complete": Fault(
        "APP-GET-5",
        "test_eke_client_transfer.py",
        "client: a close after all announced bytes kept as done",
        client=True,
    ),
    # Blind round r12b (I10, session 12): read from this file's own code, not from the
    # cases, through the six round-12 lenses (L1 two values mixed up, L2 acknowledged
    # before done, L3 peer-claimed values trusted, L4 sloppy output, L5 two principals at
    # once, L6 deny-lists and enumerations).
    "r12b-put-exists-offered-path": Fault(  # L1: the offered path vs the stored basename
        "APP-PUT-3",
        "test_app_put.py test_app_put_name_memory.py test_app_inbox_files.py "
        "test_app_share_and_inbox.py test_app_put_inbox_links.py test_eke_later_requests.py",
        "server: the existence check looks up the offered path, not the stored basename",
    ),
    "r12b-put-commit-deferred": Fault(  # L2: DONE answered before the file is stored
        "APP-PUT-5",
        "test_app_put.py test_app_put_concurrent.py test_app_put_sequence.py "
        "test_app_put_visibility.py test_eke_put_digests.py test_interop_transfer_state.py "
        "test_interop_empty_transfers.py",
        "server: a put's DONE answered first, its fsync+link done at the next frame or close",
    ),
    "r12b-thr-retry-after-precise": Fault(  # L4: a number sent as a float
        "ERR-7",
        "test_eke_throttling.py test_eke_clear_errors.py test_ops_throttle_principals.py",
        "server: throttled's retry_after sent as the exact time left (a float)",
    ),
    "r12b-rsfl-sha-null": Fault(  # L4: an optional member sent as null
        "FRM-14",
        "test_app_get_frame_sizes.py test_interop_answer_frames.py test_framing.py "
        "test_eke_records.py test_app_error_frames.py test_app_get.py",
        'server: a get\'s RSFL carries "sha256": null (not computed yet)',
    ),
    "r12b-put-digest-shared": Fault(  # L5: a per-put object shared by every put
        "APP-2",
        "test_app_put_sequence.py test_interop_transfer_state.py test_eke_later_requests.py "
        "test_ops_long_sessions.py test_app_get.py test_app_put.py",
        "server: every put hashes into one digest object (a default evaluated once)",
    ),
    "r12b-thr-current-attempt": Fault(  # L5: one handshake's bookkeeping on another's
        "EKE-THR-5",
        "test_eke_throttling.py test_ops_eke_abandon_boundaries.py "
        "test_ops_eke_interleaved_logins.py test_ops_throttle_principals.py",
        "server: a handshake's end is booked on the last admitted attempt",
    ),
    "r12b-name-dot-component": Fault(  # L6: '..' and '' refused, '.' forgotten
        "APP-NAME-2",
        "test_app_names.py test_app_put_name_memory.py test_eke_later_requests.py",
        "server: a '.' component accepted (only '' and '..' listed)",
    ),
    "r12b-name-bidi-overrides-only": Fault(  # L6: two of the nine characters listed
        "APP-NAME-8",
        "test_app_names_controls.py test_eke_later_requests.py",
        "server: only U+202D/U+202E refused of the bidirectional formatting characters",
    ),
    "r12b-idle-unlisted-ignored": Fault(  # L6: the listed frames refused, the rest dropped
        "FRM-6",
        "test_framing.py test_eke_records.py test_app_put.py test_app_integrity.py",
        "server: in IDLE only RSFL and DONE refused; a stray DATA silently ignored",
    ),
    "r12b-peer-eror-code-trusted": Fault(  # L3: the peer's EROR code taken as the truth
        "ERR-3",
        "test_app_eror_from_initiator.py test_framing.py test_app_put.py test_app_get.py",
        "server: an initiator's non-fatal EROR (not_found...) ignored, the connection kept",
    ),
    "r12b-cli-excess-per-frame": Fault(  # L1: this frame's length vs the running total
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "client: excess DATA judged per frame (len > size), not on the running total",
        client=True,
    ),
    "r12b-cli-commit-at-last-byte": Fault(  # L2: visible before verified
        "APP-GET-6",
        "test_eke_client_transfer.py test_client_lies.py",
        "client: the get renamed once all bytes are in, before DONE is checked",
        client=True,
    ),
    "r12b-cli-put-answer-unread": Fault(  # L2: success before the responder's DONE
        "APP-PUT-10",
        "test_client_put.py test_client_put_wire.py test_client_put_renamed.py "
        "test_client_lifetime.py test_eke_client_put_ack.py",
        "client: after its DONE the put sends BYE_ and exits 0, the answer never read",
        client=True,
    ),
    "r12b-cli-busy-retry-capped": Fault(  # L3: a peer's retry_after bounded wrongly
        "EKE-THR-7",
        "test_eke_client_busy_retries.py test_eke_client.py",
        "client: busy retried once after min(retry_after, 2) s",
        client=True,
    ),
    "r12b-cli-announced-digest-trusted": Fault(  # L3: RSFL.sha256 taken for the data's
        "APP-GET-3",
        "test_eke_client_transfer.py test_eke_client.py test_client_lies.py",
        "client: when RSFL carries sha256 it stands for the data's digest",
        client=True,
    ),
    "r12b-cli-bye-empty": Fault(  # L4: a control frame with no JSON
        "FRM-14",
        "test_eke_client.py test_client_put.py test_client_lies.py test_eke_client_transfer.py "
        "test_interop_client_closing_frames.py",
        "client: BYE_ sent with an empty payload, not {}",
        client=True,
    ),
    "r12b-cli-eror-name-is-text": Fault(  # L4: EROR.name is the human text
        "ERR-1",
        "test_eke_client_answers.py test_client_lies.py test_client_fatal_errors.py",
        "client: its EROR's name member carries the message text",
        client=True,
    ),
    "r12b-cli-unlisted-frame-ignored": Fault(  # L6: requests refused, other frames dropped
        "FRM-6",
        "test_eke_client_transfer.py test_eke_client_answers.py test_client_lies.py",
        "client: during a get only request frames refused; a stray RSFL ignored",
        client=True,
    ),
    # Blind round 24 (B163, session 24): read from this file's own code, not from the
    # cases, through the round-24 lenses (L1 what the authenticator does not cover, L2
    # legacy bleed, L3 the scanner's checklist, L4 the second-order fix, L5 debug
    # leftovers, L6 fitted to the examples).
    "b24_cli-z-minimal": Fault(
        "EKE-KS-2",
        "test_eke_client_group_edges.py",
        "(L6) client: Z encoded in as few bytes as it needs, not I2OSP(Z, 384)",
        client=True,
    ),
    "b24_cli-th-char-length": Fault(
        "EKE-KS-1",
        "test_eke_client_keys.py test_eke_client_user_name_characters.py",
        "(L6) client: the transcript's u16be(len(U)) counts characters, not UTF-8 bytes",
        client=True,
    ),
    "b24_cli-na-fixed-seed": Fault(
        "EKE-HS-10",
        "test_eke_client.py",
        "(L5) client: Na drawn from a PRNG under a fixed test seed (SFT_TEST_SEED default)",
        client=True,
    ),
    "b24_hs-eke2-cached": Fault(
        "EKE-HS-10",
        "test_eke_handshake.py",
        "(L4) server: an EKE1 seen before (a retry) answered with the cached y, B and Ns",
    ),
    "b24_hs-eke3-other-pending": Fault(
        "EKE-HS-10",
        "test_eke_eke3_spliced_across_logins.py",
        "(L1) server: an EKE3 that fails is tried under the user's other pending handshakes",
    ),
    "b24_thr-log-ns": Fault(
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "(L5) server: a failed login logged with the Ns it expected (hex)",
    ),
    "b24_hs-a-short-padded": Fault(
        "FRM-12",
        "test_eke_handshake.py",
        "(L6) server: an EKE1 'a' shorter than 768 hex digits left-padded with zeros",
    ),
    "b24_cli-rec-own-key-fallback": Fault(
        "EKE-REC-4",
        "test_interop_client_reflected_records.py",
        "(L4) client: a record that fails under the s2c key retried under its own c2s key",
        client=True,
    ),
}


def _active_faults() -> frozenset[str]:
    names = {n.strip() for n in os.environ.get("SFT_INDEPENDENT_FAULTS", "").split(",")}
    names.discard("")
    unknown = names - set(FAULTS)
    if unknown:
        raise SystemExit(f"unknown fault(s): {', '.join(sorted(unknown))}")
    return frozenset(names)


_ACTIVE = _active_faults()


def fault(name: str) -> bool:
    """Whether the planted mistake `name` is switched on (the name must be catalogued)."""
    if name not in FAULTS:
        raise KeyError(name)
    return name in _ACTIVE


# --------------------------------------------------------------------------- errors


class ErrorCode(IntEnum):
    BAD_FRAME = 1
    FRAME_TOO_LARGE = 2
    UNEXPECTED_FRAME = 3
    AUTH_FAILED = 4
    FORBIDDEN = 5
    NOT_FOUND = 6
    TOO_LARGE = 7
    INTEGRITY_FAILED = 8
    BUSY = 9
    TIMEOUT = 10
    INTERNAL = 11
    EXISTS = 12
    UNSUPPORTED = 13
    THROTTLED = 14


_NON_FATAL = {
    ErrorCode.FORBIDDEN,
    ErrorCode.NOT_FOUND,
    ErrorCode.TOO_LARGE,
    ErrorCode.EXISTS,
    ErrorCode.UNSUPPORTED,
}


class ProtocolFailure(Exception):
    """The peer broke the protocol (or a request is refused): the EROR to send."""

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def fatal(self) -> bool:
        return self.code not in _NON_FATAL


class PeerClosed(Exception):
    """EOF; `inside_frame` when it cut a frame (FRM-7)."""

    def __init__(self, inside_frame: bool) -> None:
        super().__init__("connection closed" + (" inside a frame" if inside_frame else ""))
        self.inside_frame = inside_frame


class DeadlineExpired(Exception):
    """Nothing (complete) arrived before the deadline."""


class ChannelBroken(Exception):
    """A record failed: the connection is closed without a word (EKE-REC-4, EKE-REC-5)."""


class AuthFailure(Exception):
    """The handshake did not authenticate."""


# --------------------------------------------------------------------------- group

P = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
    "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB"
    "B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA"
    "886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D"
    "ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
    16,
)
G = 2
Q = (P - 1) // 2
ELEMENT_BYTES = 384
DEFAULT_FRAME_LIMIT = 1_048_832
MAX_CONTROL = 65_536
MAX_DATA = 1_048_576
# EKE-REC-7: AES blocks per direction key.
AES_BLOCK_BUDGET = 2**34


# --------------------------------------------------------------------------- crypto recipes


def password_key(user: bytes, password: str) -> bytes:
    """EKE-PW-1: scrypt of the password as given, salted with the user name."""
    salt = b"sft-eke/1" + struct.pack(">H", len(user)) + user
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=64 * 1024**2
    )


def fake_password_key(server_secret: bytes, user: bytes) -> bytes:
    """EKE-HS-3: the key an unknown user gets, stable for a given secret."""
    return hmac.new(server_secret, b"sft-eke/1 fake" + user, hashlib.sha256).digest()


def _round_function(pw: bytes, index: int, half: bytes) -> bytes:
    return hashlib.shake_256(b"sft-eke/1 feistel" + pw + bytes([index]) + half).digest(192)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def feistel_encrypt(pw: bytes, block: bytes) -> bytes:
    left, right = block[:192], block[192:]
    for i in range(14):
        left, right = right, _xor(left, _round_function(pw, i, right))
    return left + right


def feistel_decrypt(pw: bytes, block: bytes) -> bytes:
    left, right = block[:192], block[192:]
    for i in reversed(range(14)):
        left, right = _xor(right, _round_function(pw, i, left)), left
    return left + right


_P_INTEGER = Integer(P)


def modexp(base: int, exponent: int) -> int:
    """base^exponent mod p, by pycryptodome's constant-time C modexp (5x Python's pow)."""
    return int(pow(Integer(base), exponent, _P_INTEGER))


def fresh_exponent() -> int:
    # 320 random bits under a set bit 320: 321-bit exponents, far below q.
    return secrets.randbits(320) | (1 << 320)


def hide_element(value: int) -> bytes:
    """EKE-X-2: X or p - X with a fresh random sign."""
    if (value & 1) if fault("b2-hs-sign-from-parity") else secrets.randbits(1):
        value = P - value
    return value.to_bytes(ELEMENT_BYTES, "big")


def recover_element(
    encoded: bytes, *, check_range: bool = True, fold_sign: bool = True
) -> int | None:
    """EKE-X-3: the quadratic residue of X', p - X'; None for an invalid X'."""
    value = int.from_bytes(encoded, "big")
    if fault("b2-x-reduced-mod-p"):
        value %= P
    if check_range and (value in (0, 1, P - 1) or value >= P):
        return None
    if not fold_sign:
        return value
    # Blinded by a fresh square, the Jacobi loop runs on a value unrelated to X'
    # (EKE-SEC-4), and costs far less than Euler's criterion (a 3071-bit exponent).
    blind = secrets.randbelow(P - 2) + 2
    residue = _jacobi(value * blind * blind % P, P) == 1
    return value if residue else P - value


def _jacobi(a: int, n: int) -> int:
    a %= n
    result = 1
    while a:
        zeros = (a & -a).bit_length() - 1
        a >>= zeros
        if zeros & 1 and n & 7 in (3, 5):
            result = -result
        a, n = n, a
        if a & 3 == 3 and n & 3 == 3:
            result = -result
        a %= n
    return result if n == 1 else 0


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass(frozen=True)
class SessionKeys:
    transcript: bytes
    confirm_server: bytes
    confirm_client: bytes
    key_c2s: bytes
    iv_c2s: bytes
    key_s2c: bytes
    iv_s2c: bytes


def derive_keys(
    user: bytes,
    a: bytes,
    b: bytes,
    shared: int,
    *,
    user_length: int | None = None,
    z_length: int = ELEMENT_BYTES,
) -> SessionKeys:
    """EKE-KS-1..3 (`user_length`, `z_length`: only for the faults b24_cli-*)."""
    length = len(user) if user_length is None else user_length
    th = hashlib.sha256(
        b"sft-eke/1 transcript" + struct.pack(">H", length) + user + a + b
    ).digest()
    prk = _hkdf_extract(th, shared.to_bytes(z_length, "big"))

    def expand(label: str, length: int) -> bytes:
        return _hkdf_expand(prk, label.encode(), length)

    return SessionKeys(
        transcript=th,
        confirm_server=expand("sft-eke/1 confirm s", 32),
        confirm_client=expand("sft-eke/1 confirm c", 32),
        key_c2s=expand("sft-eke/1 key c2s", 32),
        iv_c2s=expand("sft-eke/1 iv c2s", 12),
        key_s2c=expand("sft-eke/1 key s2c", 32),
        iv_s2c=expand("sft-eke/1 iv s2c", 12),
    )


def _handshake_nonce(n: int) -> bytes:
    return bytes(11) + bytes([n])


def aead_seal(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=16)
    cipher.update(ad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return bytes(ciphertext) + bytes(tag)


def aead_open(
    key: bytes, nonce: bytes, sealed: bytes, ad: bytes, *, tag_len: int = 16
) -> bytes | None:
    if len(sealed) < 16:
        return None
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=tag_len)
    cipher.update(ad)
    try:
        return bytes(cipher.decrypt_and_verify(sealed[:-16], sealed[-16:][:tag_len]))
    except ValueError:
        return None


def shared_secret_is_degenerate(z: int) -> bool:
    return z in (0, 1, P - 1)


# --------------------------------------------------------------------------- frames

_TYPE = re.compile(rb"[A-Z0-9_]{4}")
_HEX = re.compile(r"[0-9a-f]*")
_KNOWN_TYPES = {b"RQFL", b"RSFL", b"PUTF", b"DATA", b"DONE", b"EROR", b"BYE_"}
_HANDSHAKE_TYPES = {b"EKE1", b"EKE2", b"EKE3", b"EKE4", b"RECD"}


def encode_frame(frame_type: bytes, payload: bytes) -> bytes:
    return frame_type + struct.pack(">I", len(payload)) + payload


def control_payload(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error_payload(code: ErrorCode, message: str, **extra: Any) -> bytes:
    return control_payload(
        {"code": int(code), "name": code.name.lower(), "message": message[:200], **extra}
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key[:40]!r}")
        obj[key] = value
    return obj


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def parse_control(payload: bytes) -> dict[str, Any]:
    """FRM-8, FRM-9: a UTF-8 JSON object, no duplicates, no NaN/Infinity."""
    if len(payload) > MAX_CONTROL - fault("r2-control-limit-inclusive"):
        raise ProtocolFailure(ErrorCode.FRAME_TOO_LARGE, "control payload above 65536 bytes")
    try:
        text = payload.decode("utf-8")
        pairs = dict if fault("frm-duplicate-keys-accepted") else _no_duplicates
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolFailure(ErrorCode.BAD_FRAME, "malformed control payload") from exc
    if not isinstance(value, dict):
        raise ProtocolFailure(ErrorCode.BAD_FRAME, "control payload is not an object")
    return value


def member_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ProtocolFailure(ErrorCode.BAD_FRAME, f"member {key!r} missing or not a string")
    return value


def member_int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if fault("r2-float-integer-accepted") and isinstance(value, float) and value.is_integer():
        value = int(value)  # "5.0 is 5"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ProtocolFailure(ErrorCode.BAD_FRAME, f"member {key!r} missing or not an integer")
    return value


def member_hex(obj: dict[str, Any], key: str, length: int) -> bytes:
    value = member_str(obj, key)
    if fault("hs-upper-hex-accepted"):
        value = value.lower()
    if len(value) != 2 * length or not _HEX.fullmatch(value):
        raise ProtocolFailure(ErrorCode.BAD_FRAME, f"member {key!r} is not {length} bytes of hex")
    return bytes.fromhex(value)


def member_sha256(obj: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    if optional and key not in obj:
        return None
    value = member_str(obj, key)
    if fault("cli-digest-any-case"):
        value = value.lower()
    if len(value) != 64 or not _HEX.fullmatch(value):
        raise ProtocolFailure(ErrorCode.BAD_FRAME, f"member {key!r} is not a SHA-256 digest")
    return value


class FrameSocket:
    """Length-prefixed frames over a blocking socket, each read bounded by a deadline."""

    def __init__(
        self, sock: socket.socket, frame_limit: int, *, send_timeout: float = 30.0
    ) -> None:
        self.sock = sock
        self.frame_limit = frame_limit
        # LIM-10: a peer that stops reading holds a send at most this long (the server
        # gives its idle timeout).
        self.send_timeout = send_timeout
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        # Fault b4-hs-timeout-per-read: a socket timeout per read instead of a deadline.
        self.rearm: float | None = None
        # LIM-2: in the record phase a deadline is idleness, not the frame's whole time:
        # bytes that arrive push it this far ahead.
        self.idle: float | None = None

    def _fill(self, wanted: int, deadline: float | None) -> float | None:
        while len(self._buffer) < wanted:
            if self.rearm is not None:
                self.sock.settimeout(self.rearm)
            elif deadline is None:
                self.sock.settimeout(None)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExpired
                self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(min(max(wanted - len(self._buffer), 4096), 1 << 20))
            except TimeoutError as exc:
                raise DeadlineExpired from exc
            except OSError as exc:
                raise PeerClosed(inside_frame=bool(self._buffer)) from exc
            if not chunk:
                raise PeerClosed(inside_frame=bool(self._buffer))
            self._buffer += chunk
            if self.idle is not None and deadline is not None:
                deadline = time.monotonic() + self.idle
        return deadline

    def read_frame(self, deadline: float | None) -> tuple[bytes, bytes]:
        deadline = self._fill(8, deadline)
        frame_type = bytes(self._buffer[:4])
        (length,) = struct.unpack(">I", self._buffer[4:8])
        if not _TYPE.fullmatch(frame_type):
            raise ProtocolFailure(ErrorCode.BAD_FRAME, "frame type is not [A-Z0-9_]{4}")
        too_large = length > self.frame_limit
        if too_large and not fault("lim-payload-before-limit"):
            raise ProtocolFailure(ErrorCode.FRAME_TOO_LARGE, "frame length above the limit")
        self._fill(8 + length, deadline)
        payload = bytes(self._buffer[8 : 8 + length])
        del self._buffer[: 8 + length]
        if fault("frm-pipelined-bytes-dropped"):
            self._buffer.clear()
        if too_large:
            raise ProtocolFailure(ErrorCode.FRAME_TOO_LARGE, "frame length above the limit")
        return frame_type, payload

    def send_raw(self, data: bytes) -> None:
        with self._send_lock:
            # The fault: "a slow reader is no idle peer", so sends get no timeout at all.
            self.sock.settimeout(None if fault("lim-no-send-timeout") else self.send_timeout)
            try:
                self.sock.sendall(data)
            except TimeoutError:
                # LIM-10: a write that made no progress for the idle timeout ends the
                # connection (a swallowed refusal would leave it open, its record cut).
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                raise

    def send_frame(self, frame_type: bytes, payload: bytes) -> None:
        self.send_raw(encode_frame(frame_type, payload))

    def send_error(self, code: ErrorCode, message: str, **extra: Any) -> None:
        with contextlib.suppress(OSError):
            self.send_frame(b"EROR", error_payload(code, message, **extra))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


# --------------------------------------------------------------------------- records


class RecordChannel:
    """EKE-REC-*: every application frame sealed in one RECD, per-direction key and seq."""

    def __init__(
        self, frames: FrameSocket, send_key: bytes, send_iv: bytes, recv_key: bytes, recv_iv: bytes
    ) -> None:
        self.frames = frames
        self._send_key, self._send_iv = send_key, send_iv
        self._recv_key, self._recv_iv = recv_key, recv_iv
        self._send_seq = 0
        self._recv_seq = 0
        self._send_blocks = 0
        self._recv_blocks = 0
        # Only for the fault "b24_cli-rec-own-key-fallback": a second key to open with.
        self.fallback: tuple[bytes, bytes] | None = None

    @staticmethod
    def _nonce(iv: bytes, seq: int) -> bytes:
        return _xor(iv, bytes(4) + struct.pack(">Q", seq))

    def send(self, frame_type: bytes, payload: bytes) -> None:
        inner = encode_frame(frame_type, payload)
        if fault("b3-frm-length-in-chars") and frame_type != b"DATA":
            inner = frame_type + struct.pack(">I", len(payload.decode("utf-8"))) + payload
        self.send_inner(inner)

    def send_inner(self, inner: bytes) -> None:
        self._send_blocks += -(-len(inner) // 16) + 1
        if self._send_blocks > AES_BLOCK_BUDGET or self._send_seq >= 2**64 - 1:
            raise ChannelBroken("record key exhausted")
        header = b"RECD" + struct.pack(">I", len(inner) + 16)
        nonce = self._nonce(self._send_iv, self._send_seq)
        sealed = aead_seal(self._send_key, nonce, inner, header)
        self._send_seq += 1
        self.frames.send_raw(header + sealed)

    def send_error(self, code: ErrorCode, message: str, **extra: Any) -> None:
        with contextlib.suppress(OSError, ChannelBroken):
            self.send(b"EROR", error_payload(code, message, **extra))

    def _open(self, body: bytes, header: bytes) -> bytes | None:
        tag_len = 12 if fault("rec-tag-truncated") else 16
        window = 4 if fault("rec-drop-window") else 1
        for skip in range(window):
            nonce = self._nonce(self._recv_iv, self._recv_seq + skip)
            inner = aead_open(self._recv_key, nonce, body, header, tag_len=tag_len)
            if inner is not None:
                self._recv_seq += skip
                return inner
        return None

    def receive(self, deadline: float | None) -> tuple[bytes, bytes]:
        frame_type, body = self.frames.read_frame(deadline)
        if frame_type != b"RECD":
            plain = fault("r2-rec-plaintext-accepted") or fault("r2-cli-plaintext-accepted")
            if plain and frame_type in _KNOWN_TYPES:  # "a peer that forgot to seal"
                return frame_type, body
            raise ChannelBroken(f"plaintext {frame_type!r} frame after the handshake")
        header = b"RECD" + struct.pack(">I", len(body))
        inner = self._open(body, header)
        if inner is None and self.fallback is not None:  # "servers built with one key"
            key, iv = self.fallback
            inner = aead_open(key, self._nonce(iv, self._recv_seq), body, header)
        if inner is None:
            if fault("r2-rec-bad-record-answered"):
                self.frames.send_error(ErrorCode.BAD_FRAME, "record does not authenticate")
            raise ChannelBroken("record does not authenticate")
        self._recv_seq += 1
        self._recv_blocks += -(-len(inner) // 16) + 1
        if self._recv_blocks > AES_BLOCK_BUDGET:
            raise ChannelBroken("record key exhausted")
        if len(inner) < 8 or not _TYPE.fullmatch(inner[:4]):
            raise ProtocolFailure(ErrorCode.BAD_FRAME, "record plaintext is not one frame")
        (length,) = struct.unpack(">I", inner[4:8])
        if length != len(inner) - 8 and not (
            fault("r2-rec-inner-length-unchecked") and length < len(inner) - 8
        ):
            raise ProtocolFailure(ErrorCode.BAD_FRAME, "record plaintext is not one frame")
        return inner[:4], inner[8 : 8 + length]


# --------------------------------------------------------------------------- names


_DRIVE = re.compile(r"[A-Za-z]:")


def name_problem(name: str) -> str | None:
    """Why a name is refused (APP-NAME-1, -2, -8, FRM-15), or None."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "not Unicode text"
    if not encoded or len(encoded) > 4096:
        return "empty or longer than 4096 bytes"
    if name.startswith("/") or _DRIVE.match(name) or "\\" in name:
        return "absolute, drive letter or backslash"
    for ch in name:
        cp = ord(ch)
        if fault("r12b-name-bidi-overrides-only"):
            if cp < 0x20 or 0x7F <= cp <= 0x9F or cp in (0x202D, 0x202E):  # "the overrides"
                return "control or bidirectional override character"
            continue
        if cp < 0x20 or 0x7F <= cp <= 0x9F or 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
            return "control or bidirectional formatting character"
    parts = name.split("/")
    if fault("app-dotdot-normalised"):
        parts = [p for p in posixpath.normpath(name).split("/") if p]
        if parts and parts[0] == "..":
            return "outside the share"
        return None if parts else "empty name"
    refused = ("", "..") if fault("r12b-name-dot-component") else ("", ".", "..")
    for part in parts:
        if part in refused:
            return "empty, . or .. component"
        if len(part.encode("utf-8")) > 255:
            return "component longer than 255 bytes"
    return None


def _usable_name(name: str) -> str:
    if fault("app-dotdot-normalised"):
        return posixpath.normpath(name)
    if fault("app-name-nfc"):
        return unicodedata.normalize("NFC", name)
    return name


def open_in_share(share: Path, name: str) -> int:
    """A read-only descriptor of a regular file inside the share (APP-NAME-4, -5)."""
    problem = name_problem(name)
    if not problem and name.split("/")[-1].startswith(PARTIAL_PREFIX):
        problem = "reserved prefix"  # never a temporary file being written (APP-NAME-9)
    if problem:
        raise ProtocolFailure(ErrorCode.FORBIDDEN, f"name refused: {problem}")
    name = _usable_name(name)
    if fault("app-symlink-followed"):
        try:
            fd = os.open(share / name, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise ProtocolFailure(ErrorCode.NOT_FOUND, "no such file") from exc
        return _regular_or_not_found(fd)
    root = os.path.realpath(share)
    resolved = os.path.realpath(os.path.join(root, name))
    if resolved != root and os.path.commonpath([root, resolved]) != root:
        raise ProtocolFailure(ErrorCode.FORBIDDEN, "name leads outside the share")
    relative = os.path.relpath(resolved, root)
    components = [] if relative == "." else relative.split(os.sep)
    if not components:
        raise ProtocolFailure(ErrorCode.NOT_FOUND, "no such file")
    # Walk the resolved path one component at a time without following links: a link
    # swapped in after realpath() cannot lead out (APP-NAME-5).
    dirfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in components[:-1]:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            os.close(dirfd)
            dirfd = nxt
        fd = os.open(components[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
    except FileNotFoundError as exc:
        raise ProtocolFailure(ErrorCode.NOT_FOUND, "no such file") from exc
    except OSError as exc:
        # ELOOP / ENOTDIR: a link appeared under us, or a file where a directory was.
        raise ProtocolFailure(ErrorCode.FORBIDDEN, "name leads outside the share") from exc
    finally:
        os.close(dirfd)
    return _regular_or_not_found(fd)


def _regular_or_not_found(fd: int) -> int:
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode) and fault("app-dir-forbidden"):
            raise ProtocolFailure(ErrorCode.FORBIDDEN, "a directory")
        raise ProtocolFailure(ErrorCode.NOT_FOUND, "no such file")
    return fd


PARTIAL_PREFIX = ".sft-partial-"


def create_partial(directory: Path) -> tuple[Path, int]:
    """APP-STORE-1: an exclusive 0600 temporary file that no final name can be."""
    for _ in range(8):
        path = directory / (PARTIAL_PREFIX + secrets.token_hex(8))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        return path, fd
    raise OSError("cannot create a temporary file")


def commit_partial(partial: Path, final: Path, fd: int, *, replace: bool = False) -> None:
    """APP-STORE-2: fsync, link without replacing, unlink, fsync the directory."""
    os.fsync(fd)
    if replace:
        os.replace(partial, final)
    else:
        os.link(partial, final)
        os.unlink(partial)
    dirfd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def sweep_partials(directory: Path, older_than: float | None) -> None:
    """APP-STORE-3: remove stale temporaries (all of them for the owner of an inbox)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in directory.iterdir():
            if not entry.name.startswith(PARTIAL_PREFIX):
                continue
            with contextlib.suppress(OSError):
                if older_than is None or now - entry.lstat().st_mtime > older_than:
                    entry.unlink()


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class ServerConfig:
    users: Path
    share: Path
    inbox: Path | None
    secret: bytes
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_file_size: int = 4 * 1024**3
    max_connections: int = 64
    max_pending_per_address: int = 8
    frame_limit: int = DEFAULT_FRAME_LIMIT
    throttle_failures: int = 5
    throttle_base: float = 1.0
    throttle_cap: float = 300.0
    pending_per_user: int = 4
    pending_per_address: int = 8
    lock_after: int = 100


def add_user(users: Path, user: str, password: str) -> None:
    """Store `pw` (never the password) in a 0600 file: `hex(user) hex(pw)` per line."""
    name = user.encode("utf-8")
    if not 1 <= len(name) <= 64 or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in user):
        raise ValueError("a user name is 1-64 bytes of UTF-8 without control characters")
    fd = os.open(users, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as fh:
        fh.write(f"{name.hex()} {password_key(name, password).hex()}\n")


def load_users(users: Path) -> dict[bytes, bytes]:
    accounts = {}
    for line in users.read_text(encoding="ascii").splitlines():
        if line.strip():
            name, pw = line.split()
            accounts[bytes.fromhex(name)] = bytes.fromhex(pw)
    return accounts


def load_secret(path: Path) -> bytes:
    """EKE-HS-3's server secret, made once and kept across restarts."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass
class _Attempt:
    keys: tuple[tuple[str, str], ...]
    ended: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why an EKE1 gets no EKE2: `throttled` (failures) or `busy` (pending caps)."""

    code: ErrorCode
    retry_after: int


class Throttle:
    """EKE-THR-1, -4..-11: failures per user name and per address, with backoff.

    Only ended handshakes count as failures; the ones between EKE2 and EKE3 are pending
    and bounded by their own caps (EKE-THR-7). Counts are kept in a JSON file so that a
    restart does not wash them (EKE-THR-8), with wall-clock times for the same reason.
    """

    def __init__(
        self,
        failures: int,
        base: float,
        cap: float,
        *,
        pending_per_user: int = 4,
        pending_per_address: int = 8,
        lock_after: int = 100,
        state: Path | None = None,
    ) -> None:
        self.failures, self.base, self.cap = failures, base, cap
        self.pending_caps = {"user": pending_per_user, "address": pending_per_address}
        self.lock_after = lock_after
        self.state = state
        # One table per kind (EKE-THR-9): key -> [failures, time of the last failure].
        self._failed: dict[str, dict[str, list[float]]] = {"user": {}, "address": {}}
        self._locked_users: set[str] = set()
        self._pending: dict[tuple[str, str], int] = {}
        self._current: _Attempt | None = None
        self._lock = threading.Lock()
        if state is not None and fault("thr-counts-in-memory"):
            state = self.state = None
        if state is not None and state.exists():
            saved = json.loads(state.read_text(encoding="utf-8"))
            self._failed = saved["failed"]
            self._locked_users = set(saved["locked"])

    @staticmethod
    def _keys(user: bytes, address: str) -> tuple[tuple[str, str], ...]:
        if fault("thr-no-address-count"):
            return (("user", user.hex()),)
        if fault("b5-thr-user-casefolded"):
            user = user.decode("utf-8", "surrogatepass").casefold().encode("utf-8", "surrogatepass")
        host = address
        if ":" in address:  # IPv6: one host holds a whole /64 (EKE-THR-10)
            host = str(ipaddress.ip_network(f"{address.split('%')[0]}/64", strict=False))
        return (("user", user.hex()), ("address", host))

    def _lock_seconds(self, n: float) -> float:
        if fault("thr-no-backoff-growth"):
            return float(max(1, math.ceil(self.base)))
        growth = self.base * 2.0 ** (n - self.failures)
        return float(max(1, math.ceil(min(self.cap, growth))))

    def admit(self, user: bytes, address: str) -> _Attempt | Refusal:
        """At EKE1, before any exponentiation: refuse, or reserve a pending slot."""
        keys = self._keys(user, address)
        now = time.time()
        with self._lock:
            if keys[0][1] in self._locked_users:
                forever = math.inf if fault("b2-thr-lock-crash") else self.cap
                return Refusal(ErrorCode.THROTTLED, max(1, math.ceil(forever)))
            worst = 0.0
            for kind, key in keys:
                count, last = self._failed[kind].get(key, [0, 0.0])
                if fault("thr-pending-counted"):
                    count += self._pending.get((kind, key), 0)
                if count >= self.failures + fault("r2-thr-threshold-late"):
                    worst = max(worst, last + self._lock_seconds(count) - now)
            if worst > 0:
                left = int(worst) if fault("r2-thr-retry-after-floor") else math.ceil(worst)
                if fault("r12b-thr-retry-after-precise"):
                    precise: Any = round(worst, 2)  # "tell the client exactly how long"
                    return Refusal(ErrorCode.THROTTLED, precise)
                return Refusal(ErrorCode.THROTTLED, left)
            for kind, key in keys:
                if fault("thr-no-pending-cap"):
                    break
                cap = self.pending_caps[kind]
                if self._pending.get((kind, key), 0) >= cap + fault("r2-thr-pending-cap-inclusive"):
                    if fault("b2-thr-busy-counted"):
                        for counted in keys:
                            entry = self._failed[counted[0]].setdefault(counted[1], [0, now])
                            entry[0] += 1
                            entry[1] = now
                    return Refusal(ErrorCode.BUSY, 1)
            for kind, key in keys:
                self._pending[(kind, key)] = self._pending.get((kind, key), 0) + 1
                if fault("thr-pending-counted"):
                    entry = self._failed[kind].setdefault(key, [0, now])
                    entry[1] = now
            attempt = _Attempt(keys)
            self._current = attempt  # only for the fault "r12b-thr-current-attempt"
        return attempt

    def _release(self, attempt: _Attempt) -> bool:
        if attempt.ended:
            return False
        attempt.ended = True
        for key in attempt.keys:
            self._pending[key] = max(0, self._pending.get(key, 0) - 1)
        return True

    def fail(self, attempt: _Attempt, *, verified_wrong: bool = False) -> None:
        """The handshake ended without a valid EKE3: a failure, counted now (EKE-THR-5)."""
        with self._lock:
            if fault("r12b-thr-current-attempt") and self._current is not None:
                attempt = self._current  # "the attempt in progress"
            if not self._release(attempt):
                return
            if fault("thr-counted-at-eke3") and not verified_wrong:
                return
            now = time.time()
            for kind, key in attempt.keys:
                entry = self._failed[kind].setdefault(key, [0, now])
                entry[0] += 1
                if not fault("r2-thr-lock-from-first-failure"):
                    entry[1] = now
                if kind == "user" and entry[0] >= self.lock_after:
                    self._locked_users.add(key)
            self._save()

    def succeed(self, attempt: _Attempt) -> None:
        with self._lock:
            self._release(attempt)
            for kind, key in attempt.keys:
                # EKE-THR-4: the user's count goes; the address keeps other users' failures.
                if kind == "user" and fault("r2-thr-success-keeps-user-count"):
                    continue
                if kind == "user" or fault("thr-address-reset-on-success"):
                    self._failed[kind].pop(key, None)
            self._save()

    def _save(self) -> None:
        if self.state is None:
            return
        temporary = self.state.with_name(self.state.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"failed": self._failed, "locked": sorted(self._locked_users)}, fh)
        os.replace(temporary, self.state)


@dataclass
class _Connection:
    sock: socket.socket
    address: str
    accepted: float
    established: bool = False


_SHARE_LOCK = threading.Lock()  # only for the fault "b2-lim-share-lock"
_HANDSHAKE_LOCK = threading.Lock()  # only for the fault "b3-lim-handshakes-serialised"
_KEPT_SLOTS: set[int] = set()  # only for the fault "b5-lim-slot-kept-after-eror"
# Only for the faults "b24_hs-eke2-cached" and "b24_hs-eke3-other-pending".
_EKE2_CACHE: dict[tuple[bytes, bytes], tuple[int, bytes, bytes]] = {}
_PENDING_KEYS: dict[bytes, list[tuple[SessionKeys, bytes]]] = {}
_SHARED_DIGEST = hashlib.sha256()  # only for the fault "r12b-put-digest-shared"


class ConnectionTable:
    """LIM-4, LIM-8, LIM-9: admission of new connections."""

    def __init__(self, max_connections: int, max_pending_per_address: int) -> None:
        self.max_connections = max_connections
        self.max_pending = max_pending_per_address
        self._live: list[_Connection] = []
        self._lock = threading.Lock()

    def admit(self, sock: socket.socket, address: str) -> _Connection | None:
        with self._lock:
            pending = [c for c in self._live if not c.established]
            mine = sum(1 for c in pending if c.address == address)
            if mine >= self.max_pending + fault("r2-lim-pending-address-inclusive"):
                return None
            cap = self.max_connections + (1 if fault("b2-lim-connections-off-by-one") else 0)
            if len(self._live) >= cap and not fault("lim-no-connection-cap"):
                if not pending or fault("lim-no-eviction"):
                    return None
                # Room for handshakes that complete: the oldest unfinished one goes.
                pick = max if fault("r2-lim-evicts-newest") else min
                oldest = pick(pending, key=lambda c: c.accepted)
                self._live.remove(oldest)
                with contextlib.suppress(OSError):
                    oldest.sock.shutdown(socket.SHUT_RDWR)
            conn = _Connection(sock, address, time.monotonic())
            self._live.append(conn)
            return conn

    def established(self, conn: _Connection) -> None:
        with self._lock:
            conn.established = True

    def release(self, conn: _Connection) -> None:
        with self._lock:
            if conn in self._live:
                self._live.remove(conn)


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(f"{stamp} eke1: {message}", file=sys.stderr, flush=True)


class EkeServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.accounts = load_users(config.users)
        self.throttle = Throttle(
            config.throttle_failures,
            config.throttle_base,
            config.throttle_cap,
            pending_per_user=config.pending_per_user,
            pending_per_address=config.pending_per_address,
            lock_after=config.lock_after,
            state=config.users.with_name(config.users.name + ".throttle"),
        )
        self.table = ConnectionTable(config.max_connections, config.max_pending_per_address)
        self._put_lock = threading.Lock()

    def serve_forever(self, listener: socket.socket) -> None:
        while True:
            sock, peer = listener.accept()
            address = peer[0]
            conn = self.table.admit(sock, address)
            if conn is None:
                with contextlib.suppress(OSError):
                    sock.sendall(encode_frame(b"EROR", error_payload(ErrorCode.BUSY, "busy")))
                sock.close()
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: _Connection) -> None:
        frames = FrameSocket(
            conn.sock, self.config.frame_limit, send_timeout=self.config.idle_timeout
        )
        try:
            if fault("b3-lim-handshakes-serialised"):  # "the store is shared"
                with _HANDSHAKE_LOCK:
                    channel = self._handshake(frames, conn)
            else:
                channel = self._handshake(frames, conn)
            if channel is not None:
                self.table.established(conn)
                Session(self, channel).run()
        except Exception as exc:  # one connection never takes the server down
            _log(f"connection from {conn.address} failed internally: {type(exc).__name__}")
        finally:
            if id(conn) not in _KEPT_SLOTS:
                self.table.release(conn)
            frames.close()

    def _lookup(self, user: str) -> bytes:
        if fault("hs-user-casefolded"):
            user = unicodedata.normalize("NFC", user).casefold()
            for name, pw in self.accounts.items():
                if unicodedata.normalize("NFC", name.decode()).casefold() == user:
                    return pw
        name = user.encode("utf-8", "surrogatepass")
        known = self.accounts.get(name)
        secret = bytes(32) if fault("b2-hs-fake-secret-zero") else self.config.secret
        return known if known is not None else fake_password_key(secret, name)

    def _handshake(self, frames: FrameSocket, conn: _Connection) -> RecordChannel | None:
        deadline = None if fault("hs-no-timeout") else conn.accepted + self.config.handshake_timeout
        if fault("b4-hs-timeout-per-read"):
            frames.rearm = self.config.handshake_timeout
        try:
            frame_type, payload = frames.read_frame(deadline)
            if frame_type == b"EROR":
                if fault("b5-lim-slot-kept-after-eror"):  # the slot is released elsewhere
                    _KEPT_SLOTS.add(id(conn))
                return None
            if frame_type != b"EKE1":
                raise ProtocolFailure(ErrorCode.UNEXPECTED_FRAME, "expected EKE1")
            hello = parse_control(payload)
            user = member_str(hello, "user")
            if fault("b24_hs-a-short-padded"):  # "a peer that drops leading zero bytes"
                short = member_str(hello, "a")
                if len(short) < 2 * ELEMENT_BYTES and len(short) % 2 == 0:
                    hello = {**hello, "a": "00" * (ELEMENT_BYTES - len(short) // 2) + short}
            a = member_hex(hello, "a", ELEMENT_BYTES)
            if fault("b4-user-64-refused") and len(user.encode("utf-8", "surrogatepass")) >= 64:
                raise ProtocolFailure(ErrorCode.BAD_FRAME, "user name too long")
        except ProtocolFailure as failure:
            frames.send_error(failure.code, failure.message)
            return None
        except DeadlineExpired:
            frames.send_error(ErrorCode.TIMEOUT, "handshake timeout")
            return None
        except PeerClosed:
            return None
        user_bytes = user.encode("utf-8", "surrogatepass")
        if fault("hs-unknown-user-refused") and user_bytes not in self.accounts:
            frames.send_error(ErrorCode.AUTH_FAILED, "authentication failed")
            return None
        admitted = self.throttle.admit(user_bytes, conn.address)
        if isinstance(admitted, Refusal):
            throttled = admitted.code == ErrorCode.THROTTLED
            if throttled:
                _log(f"throttled user {user[:64]!r} from {conn.address}")
            message = "too many failed logins" if throttled else "too many logins in progress"
            extra = {"retry_after": admitted.retry_after}
            if not throttled and fault("r2-thr-busy-no-retry-after"):
                extra = {}
            frames.send_error(admitted.code, message, **extra)
            if fault("b2-err-refusal-lingers"):  # let the client read it and hang up first
                frames.sock.settimeout(10.0)
                with contextlib.suppress(OSError):
                    frames.sock.recv(1)
            return None
        try:
            return self._authenticate(frames, conn, user, a, admitted, deadline)
        finally:
            # Anything but a verified EKE3 ends the guess as a failure (EKE-THR-5).
            self.throttle.fail(admitted)

    def _authenticate(
        self,
        frames: FrameSocket,
        conn: _Connection,
        user: str,
        a: bytes,
        attempt: _Attempt,
        deadline: float | None,
    ) -> RecordChannel | None:
        user_bytes = user.encode("utf-8", "surrogatepass")
        pw = self._lookup(user)
        x_value = recover_element(
            feistel_decrypt(pw, a),
            check_range=not fault("hs-x-range-unchecked"),
            fold_sign=not fault("hs-sign-ignored"),
        )
        valid = x_value is not None
        y = fresh_exponent()
        cached = _EKE2_CACHE.get((user_bytes, a)) if fault("b24_hs-eke2-cached") else None
        if cached is not None:  # "a client that retried after a lost EKE2: same answer"
            y = cached[0]
        b = feistel_encrypt(pw, hide_element(modexp(G, y))) if cached is None else cached[1]
        # An invalid X' takes the same path on a stand-in element (EKE-X-3): the failure
        # shows at EKE3 only, like a wrong password.
        shared = modexp(x_value if x_value is not None else modexp(G, fresh_exponent()), y)
        valid = valid and not shared_secret_is_degenerate(shared)
        keys = derive_keys(user_bytes, a, b, shared)
        ns = secrets.token_bytes(32) if cached is None else cached[2]
        if fault("b24_hs-eke2-cached"):
            _EKE2_CACHE[(user_bytes, a)] = (y, b, ns)
        c2 = aead_seal(keys.confirm_server, _handshake_nonce(2), ns, b"EKE2" + keys.transcript)
        pending_entry = (keys, ns)
        if fault("b24_hs-eke3-other-pending"):
            _PENDING_KEYS.setdefault(user_bytes, []).append(pending_entry)
        try:
            eke2 = control_payload({"b": b.hex(), "c": c2.hex()})
            return self._confirm(frames, conn, user, attempt, deadline, keys, ns, valid, eke2)
        finally:
            if fault("b24_hs-eke3-other-pending"):
                with contextlib.suppress(ValueError):
                    _PENDING_KEYS.get(user_bytes, []).remove(pending_entry)

    def _confirm(
        self,
        frames: FrameSocket,
        conn: _Connection,
        user: str,
        attempt: _Attempt,
        deadline: float | None,
        keys: SessionKeys,
        ns: bytes,
        valid: bool,
        eke2: bytes,
    ) -> RecordChannel | None:
        user_bytes = user.encode("utf-8", "surrogatepass")
        try:
            frames.send_frame(b"EKE2", eke2)
            frame_type, payload = frames.read_frame(deadline)
            if frame_type == b"EROR":
                if fault("b5-thr-peer-eror-forgiven"):  # "the client gave up: no guess"
                    with self.throttle._lock:
                        self.throttle._release(attempt)
                self.throttle.fail(attempt)
                return None
            if frame_type != b"EKE3":
                code = ErrorCode.UNEXPECTED_FRAME
                if fault("r2-eke3-wrong-frame-bad-frame"):
                    code = ErrorCode.BAD_FRAME
                raise ProtocolFailure(code, "expected EKE3")
            c3 = member_hex(parse_control(payload), "c", 80)
        except ProtocolFailure as failure:
            if fault("b5-thr-malformed-eke3-forgiven"):  # "a broken client, not a guess"
                with self.throttle._lock:
                    self.throttle._release(attempt)
            self.throttle.fail(attempt)
            frames.send_error(failure.code, failure.message)
            return None
        except DeadlineExpired:
            self.throttle.fail(attempt)
            if fault("b4-thr-timeout-slot-kept"):
                with self.throttle._lock:  # the timeout path takes its slot back: kept
                    for key in attempt.keys:
                        self.throttle._pending[key] = self.throttle._pending.get(key, 0) + 1
            frames.send_error(ErrorCode.TIMEOUT, "handshake timeout")
            return None
        except (PeerClosed, OSError):
            self.throttle.fail(attempt)
            return None
        confirmation = aead_open(
            keys.confirm_client, _handshake_nonce(3), c3, b"EKE3" + keys.transcript
        )
        ok = confirmation is not None and len(confirmation) == 64 and valid
        if ok and not fault("hs-ns-not-compared"):
            assert confirmation is not None
            ok = hmac.compare_digest(confirmation[32:], ns)
        if not ok and fault("b24_hs-eke3-other-pending"):  # "the client mixed up sockets"
            for other_keys, other_ns in list(_PENDING_KEYS.get(user_bytes, [])):
                other = aead_open(
                    other_keys.confirm_client, _handshake_nonce(3), c3,
                    b"EKE3" + other_keys.transcript,
                )
                if other is not None and len(other) == 64 and other[32:] == other_ns:
                    keys, ns, confirmation, ok = other_keys, other_ns, other, True
                    break
        if not ok or confirmation is None:
            self.throttle.fail(attempt, verified_wrong=True)
            _log(f"failed login for user {user[:64]!r} from {conn.address}")
            if fault("b24_thr-log-ns"):  # "to debug the interop with other clients"
                _log(f"  expected Ns {ns.hex()}")
            message = "authentication failed"
            opened = confirmation is not None and len(confirmation) == 64 and valid
            if opened and fault("b2-hs-auth-message-by-cause"):
                message += ": nonce mismatch"
            frames.send_error(ErrorCode.AUTH_FAILED, message)
            if fault("b5-err-auth-failed-lingers"):  # let the client read it and hang up first
                frames.sock.settimeout(10.0)
                with contextlib.suppress(OSError):
                    frames.sock.recv(1)
            return None
        self.throttle.succeed(attempt)
        c4 = aead_seal(
            keys.confirm_server, _handshake_nonce(4), confirmation[:32], b"EKE4" + keys.transcript
        )
        frames.send_frame(b"EKE4", control_payload({"c": c4.hex()}))
        frames.rearm = None  # the record phase has its own (idle) deadlines
        frames.idle = self.config.idle_timeout
        if fault("rec-one-key"):
            return RecordChannel(frames, keys.key_c2s, keys.iv_c2s, keys.key_c2s, keys.iv_c2s)
        return RecordChannel(frames, keys.key_s2c, keys.iv_s2c, keys.key_c2s, keys.iv_c2s)


@dataclass
class _Upload:
    name: str
    final: Path
    partial: Path
    fd: int
    size: int
    sha256: str | None
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)


class Session:
    """The responder's application layer (§3) over an established record channel."""

    def __init__(self, server: EkeServer, channel: RecordChannel) -> None:
        self.server = server
        self.config = server.config
        self.channel = channel
        self.upload: _Upload | None = None
        self.deferred: _Upload | None = None  # only for the fault "r12b-put-commit-deferred"

    def run(self) -> None:
        try:
            self._loop()
        finally:
            self._store_deferred()
            self._discard()

    def _store_deferred(self) -> None:
        upload, self.deferred = self.deferred, None
        if upload is None:
            return
        try:
            with self.server._put_lock:
                commit_partial(upload.partial, upload.final, upload.fd)
        except OSError:
            with contextlib.suppress(OSError):
                upload.partial.unlink()
        with contextlib.suppress(OSError):
            os.close(upload.fd)

    def _loop(self) -> None:
        idle = None if fault("lim-no-idle-timeout") else self.config.idle_timeout
        while True:
            deadline = None if idle is None else time.monotonic() + idle
            if self.upload is not None and fault("lim-no-idle-timeout-during-put"):
                deadline = None
            try:
                frame_type, payload = self.channel.receive(deadline)
            except DeadlineExpired:
                if not fault("r2-idle-timeout-silent"):
                    self.channel.send_error(ErrorCode.TIMEOUT, "idle timeout")
                return
            except (PeerClosed, ChannelBroken, OSError):
                return
            except ProtocolFailure as failure:
                self.channel.send_error(failure.code, failure.message)
                return
            try:
                if not self._handle(frame_type, payload):
                    return
            except ProtocolFailure as failure:
                self.channel.send_error(failure.code, failure.message, **failure.extra)
                if not failure.fatal and fault("b2-app-close-after-refusal"):
                    return  # "an error is an error"
                if failure.code == ErrorCode.TOO_LARGE and fault("r2-too-large-fatal"):
                    return  # "nothing more to say to that peer"
                if failure.fatal:
                    if fault("err-wait-for-peer-after-fatal"):
                        self._drain_until_closed()
                    return

    def _drain_until_closed(self) -> None:
        deadline = time.monotonic() + self.config.idle_timeout
        with contextlib.suppress(DeadlineExpired, PeerClosed, ChannelBroken, ProtocolFailure):
            while True:
                self.channel.frames.read_frame(deadline)

    def _handle(self, frame_type: bytes, payload: bytes) -> bool:
        """One frame; False when the connection ends."""
        self._store_deferred()
        limit = MAX_CONTROL - fault("r2-control-limit-inclusive")
        if frame_type == b"EROR" and len(payload) > limit:
            # FRM-8 holds for an EROR received too (found by test_app_oversize_closing_frames.py)
            raise ProtocolFailure(ErrorCode.FRAME_TOO_LARGE, "control payload above 65536 bytes")
        if frame_type == b"EROR" and fault("r12b-peer-eror-code-trusted"):
            with contextlib.suppress(ProtocolFailure, ValueError):
                if ErrorCode(member_int(parse_control(payload), "code")) in _NON_FATAL:
                    return True  # "the peer only refused something: nothing to tear down"
        if frame_type == b"EROR" or (frame_type == b"BYE_" and fault("app-bye-ends-put")):
            return False
        if frame_type not in _KNOWN_TYPES:
            code = ErrorCode.UNEXPECTED_FRAME
            if fault("r2-unknown-type-bad-frame"):
                code = ErrorCode.BAD_FRAME
            raise ProtocolFailure(code, "frame type not of this profile")
        smallest = 0 if fault("r2-data-empty-accepted") else 1
        largest = MAX_DATA - fault("r2-data-full-refused")
        if frame_type == b"DATA" and not smallest <= len(payload) <= largest:
            raise ProtocolFailure(ErrorCode.BAD_FRAME, "DATA must hold 1 to 1048576 bytes")
        if frame_type != b"DATA":
            message = parse_control(payload)
        if self.upload is None:
            if frame_type == b"RQFL":
                self._get(member_str(message, "name"))
                return True
            if frame_type == b"PUTF":
                self._offer(message)
                return True
            if frame_type == b"BYE_":
                with contextlib.suppress(OSError, ChannelBroken):
                    self.channel.send(b"BYE_", b"{}")
                return fault("r2-bye-keeps-open")
            if fault("r12b-idle-unlisted-ignored") and frame_type not in (b"RSFL", b"DONE"):
                return True  # "APP-1 names RSFL and DONE; anything else is noise"
            raise ProtocolFailure(ErrorCode.UNEXPECTED_FRAME, "not allowed when idle")
        if frame_type == b"DATA":
            self._data(payload)
            return True
        if frame_type == b"DONE":
            self._done(message)
            return True
        raise ProtocolFailure(ErrorCode.UNEXPECTED_FRAME, "not allowed during a put")

    # -- get --

    def _get(self, name: str) -> None:
        if fault("b2-lim-share-lock"):  # "the share is not thread-safe"
            with _SHARE_LOCK:
                self._get_unlocked(name)
            return
        self._get_unlocked(name)

    def _get_unlocked(self, name: str) -> None:
        fd = open_in_share(self.config.share, name)
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > self.config.max_file_size:
                raise ProtocolFailure(ErrorCode.TOO_LARGE, "file above the size limit")
            # "The same RSFL as a put's": the stored file's basename (APP-GET-7 fault).
            shown = name.rsplit("/", 1)[-1] if fault("app-rsfl-basename") else name
            if size == 0 and fault("b3-rec-empty-get-one-record"):  # "one record will do"
                done = control_payload({"size": 0, "sha256": hashlib.sha256().hexdigest()})
                rsfl = control_payload({"name": shown, "size": 0})
                self.channel.send_inner(encode_frame(b"RSFL", rsfl) + encode_frame(b"DONE", done))
                return
            header: dict[str, Any] = {"name": shown, "size": size}
            if fault("r12b-rsfl-sha-null"):
                header["sha256"] = None  # "not computed yet: the digest comes with DONE"
            self.channel.send(b"RSFL", control_payload(header))
            digest = hashlib.sha256()
            sent = 0
            while sent < size:
                chunk = fh.read(min(MAX_DATA, size - sent))
                if not chunk:
                    break
                digest.update(chunk)
                self.channel.send(b"DATA", chunk)
                sent += len(chunk)
        if sent != size:
            # The file shrank under us: the size announced cannot be kept.
            raise ProtocolFailure(ErrorCode.INTERNAL, "file changed while being sent")
        self.channel.send(b"DONE", control_payload({"size": size, "sha256": digest.hexdigest()}))

    # -- put --

    def _offer(self, message: dict[str, Any]) -> None:
        name = member_str(message, "name")
        size = member_int(message, "size")
        sha = member_sha256(message, "sha256", optional=True)
        inbox = self.config.inbox
        if inbox is None:
            raise ProtocolFailure(ErrorCode.UNSUPPORTED, "put is disabled")
        problem = name_problem(name)
        if problem:
            raise ProtocolFailure(ErrorCode.FORBIDDEN, f"name refused: {problem}")
        stored = _usable_name(name).split("/")[-1]
        if stored.startswith(PARTIAL_PREFIX) and not fault("app-reserved-prefix-accepted"):
            # reserved for temporaries (APP-NAME-9)
            raise ProtocolFailure(ErrorCode.FORBIDDEN, "name refused: reserved prefix")
        final = inbox / stored
        late = fault("app-put-overwrites") or fault("app-exists-checked-at-done")
        probe = final
        if fault("r12b-put-exists-offered-path"):
            probe = inbox / _usable_name(name)  # "the name the initiator asked for"
        if os.path.lexists(probe) and not late:
            raise ProtocolFailure(ErrorCode.EXISTS, "a file of that name exists")
        limit = self.config.max_file_size - fault("app-put-max-size-off-by-one")
        if size > limit:
            raise ProtocolFailure(ErrorCode.TOO_LARGE, "file above the size limit")
        if fault("app-put-final-name"):
            fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            partial = final
        else:
            partial, fd = create_partial(inbox)
        self.upload = _Upload(stored, final, partial, fd, size, sha)
        if fault("r12b-put-digest-shared"):
            self.upload.digest = _SHARED_DIGEST  # as `digest: Any = hashlib.sha256()` would
        answer: dict[str, Any] = {"accept": True, "name": stored}
        if fault("r2-put-rsfl-no-accept"):
            answer = {"name": stored, "size": size}  # "the same RSFL as a get's"
        self.channel.send(b"RSFL", control_payload(answer))

    def _data(self, payload: bytes) -> None:
        upload = self.upload
        assert upload is not None
        if upload.received + len(payload) > upload.size and not fault("app-put-excess-at-done"):
            self._discard()
            raise ProtocolFailure(ErrorCode.INTEGRITY_FAILED, "more data than announced")
        os.write(upload.fd, payload[: max(0, upload.size - upload.received)])
        upload.digest.update(payload)
        upload.received += len(payload)

    def _done(self, message: dict[str, Any]) -> None:
        upload = self.upload
        assert upload is not None
        size = member_int(message, "size")
        sha = member_sha256(message, "sha256")
        digest = upload.digest.hexdigest()
        if fault("b2-app-done-sha-trusts-putf") and upload.sha256 is not None:
            digest = upload.sha256  # "the initiator told us the digest already"
        if (
            (size != upload.size and not fault("r2-put-done-size-ignored"))
            or (upload.received != upload.size and not fault("r2-put-short-accepted"))
            or sha != digest
            or (upload.sha256 not in (None, digest) and not fault("app-put-sha-ignored"))
        ):
            self._discard()
            raise ProtocolFailure(ErrorCode.INTEGRITY_FAILED, "size or SHA-256 mismatch")
        if fault("r12b-put-commit-deferred") and upload.partial != upload.final:
            # "fsync is slow: answer now, store when the connection moves on"
            self.deferred = upload
            self.upload = None
            self.channel.send(b"DONE", control_payload({"size": size, "sha256": digest}))
            return
        try:
            if upload.partial != upload.final:
                with self.server._put_lock:
                    commit_partial(
                        upload.partial, upload.final, upload.fd,
                        replace=fault("app-put-overwrites"),
                    )
            else:
                os.fsync(upload.fd)
        except FileExistsError as exc:
            self._discard()
            raise ProtocolFailure(ErrorCode.EXISTS, "a file of that name was stored") from exc
        os.close(upload.fd)
        self.upload = None
        self.channel.send(b"DONE", control_payload({"size": size, "sha256": digest}))

    def _discard(self) -> None:
        upload, self.upload = self.upload, None
        if upload is None:
            return
        with contextlib.suppress(OSError):
            os.close(upload.fd)
        if upload.partial != upload.final:
            with contextlib.suppress(OSError):
                upload.partial.unlink()


# --------------------------------------------------------------------------- client


class ClientError(Exception):
    """What the client tells its user (exit status 1)."""


class _Busy(ClientError):
    """EROR busy (only for the fault "r12b-cli-busy-retry-capped")."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("server busy")
        self.retry_after = retry_after


def read_password_file(path: Path) -> str:
    """PWF-1: one UTF-8 line; exactly one trailing LF or CRLF removed."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientError(f"cannot read the password file {path}") from exc
    if fault("r2-cli-password-rstrip"):
        text = text.rstrip()  # "a stray blank at the end of a file"
    elif text.endswith("\r\n") and not fault("r2-cli-password-crlf-kept"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text or "\n" in text or "\r" in text:
        raise ClientError("the password file must hold one non-empty line")
    return text


def _hostport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


class EkeClient:
    def __init__(self, address: tuple[str, int], user: str, password: str, timeout: float) -> None:
        self.address = address
        self.user = user
        # scrypt takes a moment: done before connecting, so the server's handshake
        # deadline (LIM-1) is not spent on it.
        self.pw = password_key(user.encode("utf-8"), password)
        self.timeout = timeout

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout

    def connect(self) -> RecordChannel:
        if not fault("r12b-cli-busy-retry-capped"):
            return self._connect_once()
        try:
            return self._connect_once()
        except _Busy as busy:
            # "retry once; never let a server make us wait long"
            time.sleep(min(busy.retry_after, 2.0))
        try:
            return self._connect_once()
        except _Busy as exc:
            raise ClientError("server busy") from exc

    def _connect_once(self) -> RecordChannel:
        try:
            sock = socket.create_connection(self.address, timeout=self.timeout)
        except OSError as exc:
            raise ClientError(f"cannot connect to {self.address[0]}:{self.address[1]}") from exc
        frames = FrameSocket(sock, DEFAULT_FRAME_LIMIT)
        try:
            return self._handshake(frames)
        except BaseException:
            frames.close()
            raise

    def _handshake(self, frames: FrameSocket) -> RecordChannel:
        user = self.user.encode("utf-8")
        pw = self.pw
        x = fresh_exponent()
        a = feistel_encrypt(pw, hide_element(modexp(G, x)))
        hello: dict[str, Any] = {"user": self.user, "a": a.hex()}
        if fault("b3-cli-key-check-value"):  # "lets the server report a typo early"
            hello["kcv"] = hashlib.sha256(pw).hexdigest()[:8]
        frames.send_frame(b"EKE1", control_payload(hello))
        reply = self._expect(frames, b"EKE2")
        try:
            b = member_hex(reply, "b", ELEMENT_BYTES)
            c2 = member_hex(reply, "c", 48)
        except ProtocolFailure as failure:
            frames.send_error(failure.code, failure.message)
            raise ClientError("malformed EKE2 from the server") from failure
        y_value = recover_element(
            feistel_decrypt(pw, b), check_range=not fault("cli-y-range-unchecked")
        )
        shared = modexp(y_value, x) if y_value is not None else 0
        z_length = ELEMENT_BYTES
        if fault("b24_cli-z-minimal"):
            z_length = max(1, (shared.bit_length() + 7) // 8)  # "the integer's bytes"
        user_length = len(self.user) if fault("b24_cli-th-char-length") else None
        keys = derive_keys(user, a, b, shared, user_length=user_length, z_length=z_length)
        ns = None
        if y_value is not None and not shared_secret_is_degenerate(shared):
            ns = aead_open(keys.confirm_server, _handshake_nonce(2), c2, b"EKE2" + keys.transcript)
        if ns is None or len(ns) != 32:
            frames.send_error(ErrorCode.AUTH_FAILED, "authentication failed")
            raise ClientError("authentication failed: wrong password or unknown user")
        na = secrets.token_bytes(32)
        if fault("b24_cli-na-fixed-seed"):  # "reproducible transcripts for the test rig"
            seed = int(os.environ.get("SFT_TEST_SEED", "24"))
            na = random.Random(seed).randbytes(32)
        c3 = aead_seal(keys.confirm_client, _handshake_nonce(3), na + ns, b"EKE3" + keys.transcript)
        frames.send_frame(b"EKE3", control_payload({"c": c3.hex()}))
        reply = self._expect(frames, b"EKE4")
        try:
            c4 = member_hex(reply, "c", 48)
        except ProtocolFailure as failure:
            raise ClientError("malformed EKE4 from the server") from failure
        proof = aead_open(keys.confirm_server, _handshake_nonce(4), c4, b"EKE4" + keys.transcript)
        if not fault("cli-eke4-unchecked") and (
            proof is None
            or (not hmac.compare_digest(proof, na) and not fault("r2-cli-eke4-nonce-unchecked"))
        ):
            raise ClientError(
                "the server failed to prove it knows the password (possible impostor)"
            )
        channel = RecordChannel(frames, keys.key_c2s, keys.iv_c2s, keys.key_s2c, keys.iv_s2c)
        if fault("b24_cli-rec-own-key-fallback"):
            channel.fallback = (keys.key_c2s, keys.iv_c2s)
        return channel

    def _expect(self, frames: FrameSocket, wanted: bytes) -> dict[str, Any]:
        try:
            frame_type, payload = frames.read_frame(self._deadline())
        except DeadlineExpired as exc:
            raise ClientError("timed out before the handshake completed") from exc
        except PeerClosed as exc:
            raise ClientError("the server closed the connection during the handshake") from exc
        except ProtocolFailure as failure:
            frames.send_error(failure.code, failure.message)
            raise ClientError(f"bad frame from the server: {failure.message}") from failure
        if frame_type == b"EROR":
            if fault("r12b-cli-busy-retry-capped"):
                with contextlib.suppress(ProtocolFailure):
                    refusal = parse_control(payload)
                    if member_int(refusal, "code") == ErrorCode.BUSY:
                        wait = refusal.get("retry_after")
                        raise _Busy(float(wait) if isinstance(wait, int) else 1.0)
            raise ClientError(_describe_error(payload))
        if frame_type != wanted:
            frames.send_error(ErrorCode.UNEXPECTED_FRAME, f"expected {wanted.decode()}")
            raise ClientError(f"unexpected {frame_type!r} from the server")
        try:
            return parse_control(payload)
        except ProtocolFailure as failure:
            frames.send_error(failure.code, failure.message)
            raise ClientError("malformed handshake frame from the server") from failure


def _describe_error(payload: bytes) -> str:
    try:
        message = parse_control(payload)
        code = member_int(message, "code")
    except ProtocolFailure:
        return "the server sent a malformed error"
    if code == ErrorCode.BUSY:
        return "server busy"
    if code == ErrorCode.THROTTLED:
        return f"throttled: retry after {message.get('retry_after')} s"
    try:
        return f"the server refused: {ErrorCode(code).name.lower()}"
    except ValueError:
        return "the server failed (internal)"


class _Terminated(Exception):
    pass


def _on_signal(signum: int, frame: object) -> NoReturn:
    raise _Terminated(signum)


def client_get(args: argparse.Namespace) -> int:
    out = Path(args.out)
    directory = out.parent if str(out.parent) else Path(".")
    if os.path.lexists(out) and not fault("r2-cli-overwrites-out"):
        raise ClientError(f"{out} exists: not overwritten")
    sweep_partials(directory, older_than=args.idle_timeout)
    if fault("b2-cli-user-nfc"):
        args.user = unicodedata.normalize("NFC", args.user)  # "the canonical form"
    client = EkeClient(_hostport(args.server), args.user, read_password_file(args.password_file),
                       args.timeout)
    channel = client.connect()
    try:
        _receive_file(channel, client, args.name, out, directory)
    finally:
        channel.frames.close()
    return 0


def _receive(channel: RecordChannel, client: EkeClient) -> tuple[bytes, bytes]:
    try:
        return channel.receive(client._deadline())
    except DeadlineExpired as exc:
        raise ClientError("the server stopped answering") from exc
    except PeerClosed as exc:
        raise ClientError("the connection closed before the transfer ended") from exc
    except ChannelBroken as exc:
        raise ClientError(f"secure channel broken: {exc}") from exc
    except ProtocolFailure as failure:
        channel.send_error(failure.code, failure.message)
        raise ClientError(f"bad frame from the server: {failure.message}") from failure


def _bye_payload() -> bytes:
    return b"" if fault("r12b-cli-bye-empty") else b"{}"  # "BYE_ carries nothing"


def _fail(channel: RecordChannel, code: ErrorCode, message: str) -> NoReturn:
    if fault("r12b-cli-eror-name-is-text"):  # "name: what went wrong"
        with contextlib.suppress(OSError, ChannelBroken):
            channel.send(
                b"EROR", control_payload({"code": int(code), "name": message, "message": message})
            )
        raise ClientError(message)
    channel.send_error(code, message)
    raise ClientError(message)


def _write_all(fd: int, data: bytes) -> None:
    """Every byte, or an OSError: a write may be short (a file-size limit, a full disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _receive_file(
    channel: RecordChannel, client: EkeClient, name: str, out: Path, directory: Path
) -> None:
    channel.send(b"RQFL", control_payload({"name": name}))
    frame_type, payload = _receive(channel, client)
    if frame_type == b"EROR":
        raise ClientError(_describe_error(payload))
    if frame_type != b"RSFL":
        _fail(channel, ErrorCode.UNEXPECTED_FRAME, "expected RSFL")
    try:
        header = parse_control(payload)
        member_str(header, "name")
        size = member_int(header, "size")
        announced = member_sha256(header, "sha256", optional=True)
    except ProtocolFailure as failure:
        _fail(channel, failure.code, failure.message)
    if fault("b2-cli-rsfl-name") and header["name"] != name:
        out = directory / header["name"]  # "the server knows the file's real name"
    if fault("cli-writes-final-name"):
        partial = out
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    else:
        partial, fd = create_partial(directory)
    kept = False
    early: Path | None = None  # only for the fault "r12b-cli-commit-at-last-byte"
    try:
        digest = hashlib.sha256()
        received = 0
        while True:
            try:
                frame_type, payload = _receive(channel, client)
            except ClientError as exc:
                ended = fault("r2-cli-truncation-complete") and "closed" in str(exc)
                if not (ended and received == size and partial != out):
                    raise
                commit_partial(partial, out, fd)  # "every announced byte arrived"
                kept = True
                return
            if frame_type == b"DATA":
                smallest = 0 if fault("r2-cli-data-empty-accepted") else 1
                if not smallest <= len(payload) <= MAX_DATA:
                    _fail(channel, ErrorCode.BAD_FRAME, "DATA must hold 1 to 1048576 bytes")
                beyond = received + len(payload) > size
                if fault("r12b-cli-excess-per-frame"):
                    beyond = len(payload) > size  # "a frame larger than the file"
                if beyond:
                    if not fault("cli-excess-clipped"):
                        _fail(channel, ErrorCode.INTEGRITY_FAILED, "more data than announced")
                    payload = payload[: size - received]
                _write_all(fd, payload)
                digest.update(payload)
                received += len(payload)
                if fault("r12b-cli-commit-at-last-byte") and received == size and partial != out:
                    commit_partial(partial, out, fd)  # "all there: DONE only confirms it"
                    partial = early = out
                continue
            if frame_type == b"EROR":
                raise ClientError(_describe_error(payload))
            if fault("r12b-cli-unlisted-frame-ignored"):
                if frame_type in (b"RQFL", b"PUTF", b"BYE_"):  # "a responder never sends these"
                    _fail(channel, ErrorCode.UNEXPECTED_FRAME, "expected DATA or DONE")
                if frame_type != b"DONE":
                    continue
            if frame_type != b"DONE":
                _fail(channel, ErrorCode.UNEXPECTED_FRAME, "expected DATA or DONE")
            try:
                done = parse_control(payload)
                done_size = member_int(done, "size")
                done_sha = member_sha256(done, "sha256")
            except ProtocolFailure as failure:
                _fail(channel, failure.code, failure.message)
            actual = digest.hexdigest()
            if fault("r12b-cli-announced-digest-trusted") and announced is not None:
                actual = announced  # "the server told us the digest up front"
            sizes_ok = received == size == done_size or fault("cli-size-unchecked")
            if fault("r2-cli-done-size-ignored"):
                sizes_ok = received == size
            if fault("r2-cli-done-sha-skipped") and announced is not None:
                done_sha = actual  # "RSFL's digest is checked already"
            announced_ok = announced in (None, actual) or fault("cli-rsfl-digest-ignored")
            if not sizes_ok or done_sha != actual or not announced_ok:
                _fail(channel, ErrorCode.INTEGRITY_FAILED, "size or SHA-256 mismatch")
            if partial == out:
                os.fsync(fd)
            else:
                try:
                    commit_partial(partial, out, fd, replace=fault("r2-cli-overwrites-out"))
                except FileExistsError as exc:
                    raise ClientError(f"{out} appeared meanwhile: not overwritten") from exc
            kept = True
            with contextlib.suppress(OSError, ChannelBroken):
                channel.send(b"BYE_", _bye_payload())
            return
    finally:
        os.close(fd)
        if not kept and partial != out and not fault("cli-keeps-partial"):
            with contextlib.suppress(OSError):
                partial.unlink()
        if not kept and early is not None:
            with contextlib.suppress(OSError):
                early.unlink()


def client_put(args: argparse.Namespace) -> int:
    source = Path(args.file)
    data = source.read_bytes()
    name = args.name or source.name
    client = EkeClient(_hostport(args.server), args.user, read_password_file(args.password_file),
                       args.timeout)
    channel = client.connect()
    try:
        digest = hashlib.sha256(data).hexdigest()
        channel.send(b"PUTF", control_payload({"name": name, "size": len(data), "sha256": digest}))

        def send_file() -> None:
            if not data and fault("cli-put-empty-data"):
                channel.send(b"DATA", b"")  # "one DATA frame per read, the last one empty"
            for start in range(0, len(data), MAX_DATA):
                channel.send(b"DATA", data[start : start + MAX_DATA])
            channel.send(b"DONE", control_payload({"size": len(data), "sha256": digest}))

        if fault("cli-put-no-wait"):
            send_file()  # "pipelined: the answer is read afterwards"
        frame_type, payload = _receive(channel, client)
        if frame_type == b"EROR":
            raise ClientError(_describe_error(payload))
        if frame_type != b"RSFL":
            _fail(channel, ErrorCode.UNEXPECTED_FRAME, "expected RSFL")
        try:  # APP-PUT-9: only `"accept": true` accepts; anything else is malformed here
            answer = parse_control(payload)
            member_str(answer, "name")  # the stored name: for display only
            if answer.get("accept") is not True and not fault("cli-put-any-rsfl"):
                raise ProtocolFailure(ErrorCode.BAD_FRAME, 'RSFL to a put without "accept": true')
        except ProtocolFailure as failure:
            _fail(channel, failure.code, failure.message)
        if not fault("cli-put-no-wait"):
            send_file()
        if fault("r12b-cli-put-answer-unread"):
            with contextlib.suppress(OSError, ChannelBroken):
                channel.send(b"BYE_", b"{}")
            return 0  # "everything was sent and the connection held: done"
        try:
            frame_type, payload = _receive(channel, client)
        except ClientError as exc:
            if fault("b2-cli-put-close-is-success") and "closed" in str(exc):
                return 0  # "the server hung up after the upload: it went through"
            raise
        if frame_type == b"EROR" and fault("r2-cli-put-exists-at-done-success"):
            with contextlib.suppress(ProtocolFailure):
                if member_int(parse_control(payload), "code") == ErrorCode.EXISTS:
                    return 0  # "the file is there: someone stored it"
        if frame_type == b"EROR":
            raise ClientError(_describe_error(payload))
        if frame_type != b"DONE":
            _fail(channel, ErrorCode.UNEXPECTED_FRAME, "expected DONE")
        try:  # FRM-9: the responder's DONE has its schema too (size and sha256)
            done = parse_control(payload)
            member_int(done, "size")
            member_sha256(done, "sha256")
        except ProtocolFailure as failure:
            _fail(channel, failure.code, failure.message)
        with contextlib.suppress(OSError, ChannelBroken):
            channel.send(b"BYE_", _bye_payload())
    finally:
        channel.frames.close()
    return 0


# --------------------------------------------------------------------------- CLI


def _serve(args: argparse.Namespace) -> int:
    users = Path(args.users)
    inbox = Path(args.inbox) if args.inbox else None
    config = ServerConfig(
        users=users,
        share=Path(args.share),
        inbox=inbox,
        secret=load_secret(Path(args.secret_file or f"{users}.secret")),
        handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout,
        max_file_size=args.max_file_size,
        max_connections=args.max_connections,
        max_pending_per_address=args.max_pending_per_address,
        frame_limit=args.frame_limit,
        throttle_failures=args.throttle_failures,
        throttle_base=args.throttle_base,
        throttle_cap=args.throttle_cap,
        pending_per_user=args.pending_per_user,
        pending_per_address=args.pending_per_address,
        lock_after=args.lock_after,
    )
    if inbox is not None:
        sweep_partials(inbox, older_than=None)
    if args.listen_fd is not None:  # a restart (SIGHUP) keeps its listening socket
        listener = socket.socket(fileno=args.listen_fd)
    else:
        host, port = _hostport(args.listen)
        listener = socket.create_server((host, port), backlog=128)
    server = EkeServer(config)
    bound = listener.getsockname()
    limits = {k: v for k, v in vars(config).items() if k not in ("users", "secret")}
    _log(f"limits {limits}; faults {sorted(_ACTIVE)}")
    print(f"listening on {bound[0]}:{bound[1]}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGHUP, lambda *_: _restart(listener))
    server.serve_forever(listener)
    return 0


def _restart(listener: socket.socket) -> NoReturn:
    """SIGHUP: a real restart (a new process image, state only from disk: EKE-THR-8) on
    the same listening socket, so that the address stays the same."""
    fd = listener.fileno()
    os.set_inheritable(fd, True)
    argv = [a for a in sys.argv[1:] if not a.startswith("--listen-fd")]
    module = __spec__.name if __spec__ else __name__
    # Our own interpreter and module, argv as we were started: no shell, nothing injected.
    os.execv(  # noqa: S606
        sys.executable, [sys.executable, "-m", module, *argv, f"--listen-fd={fd}"]
    )


def _user_add(args: argparse.Namespace) -> int:
    password = sys.stdin.readline()
    password = password[:-1] if password.endswith("\n") else password
    password = password[:-1] if password.endswith("\r") else password
    add_user(Path(args.users), args.name, password)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eke1", description="independent sft-eke/1")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--listen", default="127.0.0.1:0")
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--users", required=True)
    serve.add_argument("--secret-file")
    serve.add_argument("--share", required=True)
    serve.add_argument("--inbox")
    serve.add_argument("--handshake-timeout", type=float, default=10.0)
    serve.add_argument("--idle-timeout", type=float, default=60.0)
    serve.add_argument("--max-file-size", type=int, default=4 * 1024**3)
    serve.add_argument("--max-connections", type=int, default=64)
    serve.add_argument("--max-pending-per-address", type=int, default=8)
    serve.add_argument("--frame-limit", type=int, default=DEFAULT_FRAME_LIMIT)
    serve.add_argument("--throttle-failures", type=int, default=5)
    serve.add_argument("--throttle-base", type=float, default=1.0)
    serve.add_argument("--throttle-cap", type=float, default=300.0)
    serve.add_argument("--pending-per-user", type=int, default=4)
    serve.add_argument("--pending-per-address", type=int, default=8)
    serve.add_argument("--lock-after", type=int, default=100)
    serve.set_defaults(run=_serve)
    user = commands.add_parser("user").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add")
    add.add_argument("name")
    add.add_argument("--users", required=True)
    add.add_argument("--password-stdin", action="store_true", required=True)
    add.set_defaults(run=_user_add)
    for name, run in (("get", client_get), ("put", client_put)):
        sub = commands.add_parser(name)
        sub.add_argument("server", help="HOST:PORT")
        sub.add_argument("name" if name == "get" else "file")
        sub.add_argument("--user", required=True)
        sub.add_argument("--password-file", type=Path, required=True)
        sub.add_argument("--timeout", type=float, default=10.0)
        if name == "get":
            sub.add_argument("-o", "--out", required=True)
            sub.add_argument("--idle-timeout", type=float, default=60.0)
        else:
            sub.add_argument("--name")
        sub.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("get", "put"):
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    try:
        result: int = args.run(args)
        return result
    except ClientError as exc:
        print(f"eke1: {exc}", file=sys.stderr)
        return 1
    except _Terminated:
        print("eke1: stopped by a signal", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
