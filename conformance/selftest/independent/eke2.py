"""A second clean-room sft-eke/1 server and client (round 2), from docs/SPEC.md alone.

Written without reading the reference, the suite's protocol modules or eke1.py: asyncio
(one task per connection), `cryptography` for AES-256-GCM and HKDF-Expand, `hashlib` for
scrypt, SHA-256 and SHAKE256, the group arithmetic with Python ints.

    python -m conformance.selftest.independent.eke2 user add NAME --store F --password-stdin
    python -m conformance.selftest.independent.eke2 user unlock NAME --store F
    python -m conformance.selftest.independent.eke2 restart --store F   (SIGHUP, waits)
    python -m conformance.selftest.independent.eke2 serve --listen 127.0.0.1:0 --store F \
        --share DIR --inbox DIR [--state-dir DIR] [--handshake-timeout S] [--idle-timeout S]
        [--max-frame N] [--max-file-size N[K|M|G]] [--max-connections N]
        [--max-pending-per-address N] [--throttle-failures N] [--throttle-base S]
        [--throttle-cap S] [--pending-per-user P] [--pending-per-address Q]
        [--lock-after L] [--no-put]
    python -m conformance.selftest.independent.eke2 get HOST:PORT NAME --user U \
        --password-file F -o OUT [--force]
    python -m conformance.selftest.independent.eke2 put HOST:PORT FILE --user U \
        --password-file F [--as NAME]

The server prints `listening on HOST:PORT` on stdout once it accepts connections, and its
effective limits on stderr (LIM-7). SIGHUP re-executes it on the same listening socket,
with its failure counts (EKE-THR-8); `restart` sends it and returns once the new process
serves. The client takes `--connect-timeout`, `--handshake-timeout`, `--idle-timeout`
(defaults 10, 10, 60 s), `--max-frame` and `-q`.

Choices where the SPEC leaves one (listed so that a case leaning on another reading shows):

- Password store (EKE-PW-2): a text file, mode 0600 (the server refuses to start on a
  store that group or others may read), first line `sft-eke2 store 1`, then one line per
  account `hex(user UTF-8 bytes) SP hex(pw)`. Stored names are the exact bytes; `user
  add` refuses an existing name. The server secret (EKE-HS-3) and the failure counts
  (EKE-THR-8) live in the state directory (default: the store's path + `.state`), as
  `server_secret` (hex, 0600) and `throttle.json` (rewritten atomically on each change).
- An invalid user name in EKE1 (EKE-PW-5) is handled as an unknown user, not bad_frame.
- A control string holding a lone surrogate is `bad_frame` (FRM-15's first reading).
- Header checks in order: type bytes (bad_frame), length against the frame limit
  (frame_too_large), type defined by the profile (unexpected_frame), control length
  above 65 536 (frame_too_large); then the state, then the payload.
- The residuosity decision (EKE-X-3) is a Jacobi symbol on X'·r² for a fresh random r
  (blinded, EKE-SEC-4), not Euler's criterion (value-independent but ~15x slower).
- A wrong-length or non-hex `c` in EKE3 is `auth_failed` like any other EKE3 failure; a
  malformed EKE1 (missing member, wrong length of `a`) is `bad_frame`.
- EKE1 checks in order: hard lock, then the user's and the address's backoff
  (`throttled`), then the pending caps (`busy`, retry_after 1).
- A success resets the user name's count only; the address's count is never reset.
- `RSFL` of a get carries `sha256` (the file is hashed before it is sent; if the bytes
  sent then hash differently the server sends `EROR internal`). DATA chunks are 256 KiB.
- Symbolic links that stay inside the share are followed (APP-NAME-4 allows it); the
  resolved path is opened component by component with O_NOFOLLOW from the share's
  descriptor (APP-NAME-5). A get of a reserved `.sft-partial-` name is `forbidden`.
- `BYE_` is not echoed: the server closes at once.
- A stored put keeps its temporary file's mode, 0600; the inbox's stale `.sft-partial-*`
  are all removed at start, the client's output directory's only when older than its
  idle timeout (APP-STORE-3).
- A record that fails to authenticate, or a plaintext frame after EKE4, is answered by a
  close without any EROR (nothing may go in clear; the peer's keys are suspect).
- Refused connections (LIM-4, LIM-8) get `EROR busy` (retry_after 1) in clear, then a
  close. When every slot is taken, the oldest connection still in its handshake is
  closed to make room (LIM-9).
- The client refuses an existing output file before connecting unless `--force`; it
  fails a get whose RSFL names another file (APP-GET-7's first reading) with bad_frame;
  it retries `busy` at most 3 times when retry_after is at most 5 s; it sends
  `EROR auth_failed` both when C2 and when C4 do not verify; it sends `sha256` in PUTF.

Planted faults: `SFT_INDEPENDENT_FAULTS=name[,name]` (read once at start) switches on the
mistakes listed in `FAULTS`, each breaking one requirement.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import enum
import hashlib
import hmac
import ipaddress
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import stat
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

__all__ = [
    "FAULTS",
    "Fault",
    "main",
]


# ---------------------------------------------------------------------------
# planted faults


@dataclasses.dataclass(frozen=True)
class Fault:
    """One planted mistake: the requirement it breaks and the case file that judges it."""

    requirement: str
    test_file: str
    description: str
    client: bool = False


FAULTS: dict[str, Fault] = {
    f.description.split(":")[0]: f
    for f in (
        # -- the server's handshake and throttling
        Fault("EKE-HS-6", "test_eke_handshake.py",
              "eke2-ns-prefix: EKE3's Ns compared on its first 16 bytes only"),
        Fault("EKE-HS-3", "test_eke_handshake.py",
              "eke2-unknown-early: an unknown user is refused auth_failed at EKE1"),
        Fault("EKE-X-3", "test_eke_handshake.py",
              "eke2-x-range: X' checked against p only (0, 1 and p - 1 accepted)"),
        Fault("EKE-PW-4", "test_eke_handshake.py",
              "eke2-user-casefold: user names looked up case-insensitively"),
        Fault("EKE-THR-1", "test_eke_throttling.py",
              "eke2-no-address-count: failures counted per user name only"),
        Fault("EKE-THR-6", "test_eke_throttling.py",
              "eke2-constant-backoff: every lock lasts the base time, no doubling"),
        Fault("EKE-THR-6", "test_eke_throttling.py",
              "eke2-success-washes-address: a success also resets the address's count"),
        Fault("EKE-THR-5", "test_eke_throttling.py",
              "eke2-pending-is-failure: a guess counts as a failure when EKE2 is sent"),
        Fault("EKE-X-1", "test_eke_handshake.py",
              "eke2-cached-y: the server's y drawn once per process, to save an exponentiation"),
        Fault("EKE-THR-7", "test_eke_throttling.py",
              "eke2-busy-counts: an EKE1 refused busy counts as a failure"),
        Fault("EKE-THR-11", "test_eke_throttling.py",
              "eke2-hard-lock-expires: no hard lock, the backoff alone after L failures"),
        Fault("LIM-8", "test_lockout.py",
              "eke2-lim8-off-by-one: one more connection in its handshake than the cap"),
        Fault("LIM-9", "test_lockout.py",
              "eke2-no-eviction: a full server refuses even when handshakes hold the slots"),
        Fault("EKE-HS-8", "test_eke_handshake.py",
              "eke2-auth-message-cause: a wrong Ns gets its own auth_failed message"),
        Fault("EKE-THR-6", "test_eke_throttling.py",
              "eke2-retry-floor: retry_after rounded down (0 in the last second)"),
        Fault("EKE-THR-4", "test_eke_throttling.py",
              "eke2-no-reset: a successful login leaves the user's failure count"),
        Fault("LIM-10", "test_limits.py",
              "eke2-no-send-timeout: a write waits for a reader that never reads"),
        # -- records, framing and limits
        Fault("EKE-REC-4", "test_eke_records.py",
              "eke2-skip-bad-record: a record that fails to authenticate is skipped"),
        Fault("FRM-3", "test_framing.py",
              "eke2-limit-after-payload: a record's length checked after reading it"),
        Fault("FRM-9", "test_framing.py",
              "eke2-duplicate-keys: a duplicate JSON member is taken (the last wins)"),
        Fault("FRM-11", "test_framing.py",
              "eke2-bool-int: true and false accepted as integers"),
        Fault("ERR-3", "test_framing.py",
              "eke2-no-close-after-fatal: a fatal EROR sent, the connection kept"),
        Fault("LIM-2", "test_limits.py",
              "eke2-no-idle-during-put: no idle timeout while a put is received"),
        Fault("ERR-5", "test_error_disclosure.py",
              "eke2-eror-echoes-data: a refused DATA frame's first bytes quoted in the EROR"),
        Fault("EKE-THR-5", "test_eke_throttling.py",
              "eke2-timeout-free: a handshake ended by the server's timeout is not counted"),
        Fault("EKE-THR-5", "test_eke_throttling.py",
              "eke2-throttled-counts: an EKE1 refused throttled counts as a failure"),
        # Blind round 5 (B13): the same mistakes as the reference's b5eke-* mutants.
        Fault("EKE-THR-5", "test_eke_throttling.py",
              "eke2-eror-free: the client's EROR after EKE2 ends the guess uncounted"),
        Fault("EKE-THR-2", "test_eke_throttling.py",
              "eke2-throttle-casefold: the throttle counts user names case-folded"),
        Fault("ERR-3", "test_eke_handshake.py",
              "eke2-auth-failed-lingers: after auth_failed, waits for the client to close"),
        # -- the application
        Fault("APP-NAME-4", "test_app_names.py",
              "eke2-prefix-confinement: confinement by string prefix of the share path"),
        Fault("APP-NAME-2", "test_app_names.py",
              "eke2-backslash: a backslash in a name is accepted"),
        Fault("APP-NAME-8", "test_app_names_controls.py",
              "eke2-bidi: bidirectional overrides and C1 controls accepted in names"),
        Fault("APP-PUT-3", "test_app_put.py",
              "eke2-exists-late: an existing name noticed only at commit, after the data"),
        Fault("APP-PUT-6", "test_app_put.py",
              "eke2-extra-data-at-done: data beyond the size noticed only at DONE"),
        Fault("APP-GET-7", "test_app_get.py",
              "eke2-rsfl-basename: a get's RSFL names the basename of the request"),
        Fault("APP-NAME-7", "test_app_names.py",
              "eke2-name-255: a whole name above 255 bytes refused as too long"),
        Fault("APP-GET-2", "test_app_get.py",
              "eke2-dir-forbidden: a get of a directory answered forbidden"),
        Fault("FRM-13", "test_framing.py",
              "eke2-empty-data: an empty DATA frame accepted during a put"),
        Fault("APP-PUT-5", "test_app_put.py",
              "eke2-offer-hash-ignored: PUTF's sha256 never compared with the data"),
        Fault("APP-STORE-1", "test_app_put.py",
              "eke2-partial-0644: the put's temporary file created 0644"),
        # -- the client
        Fault("APP-GET-3", "test_eke_client_transfer.py",
              "eke2-client-no-hash: the get's SHA-256 never compared", client=True),
        Fault("EKE-HS-7", "test_eke_client.py",
              "eke2-client-no-na: C4 opened but its Na never compared", client=True),
        Fault("APP-PUT-9", "test_client_put.py",
              "eke2-client-any-rsfl: any RSFL taken as the put's acceptance", client=True),
        Fault("APP-STORE-1", "test_eke_client_transfer.py",
              "eke2-client-partial-0644: the get's temporary file created 0644", client=True),
        Fault("APP-PUT-10", "test_client_put.py",
              "eke2-client-put-no-done: a put reported done once its DONE is sent", client=True),
        Fault("APP-STORE-3", "test_eke_client_transfer.py",
              "eke2-client-keeps-partial: a failed or stopped get leaves its temporary file",
              client=True),
        Fault("APP-GET-5", "test_eke_client_transfer.py",
              "eke2-client-eof-done: the end of the stream at full size taken as DONE",
              client=True),
        Fault("APP-GET-6", "test_eke_client_transfer.py",
              "eke2-client-replace: an existing output file replaced at the end", client=True),
        Fault("FRM-12", "test_eke_client.py",
              "eke2-client-upper-hex: EKE2's hex members accepted in upper case", client=True),
        # Blind round r2 (F1, session 8): read from this file's own code, not from the cases.
        Fault("FRM-8", "test_framing.py",
              "r2-record-control-limit-inclusive: a 65536-byte control frame in a record refused"),
        Fault("FRM-6", "test_eke_records.py",
              "r2-handshake-type-in-record-bad-frame: an EKE* frame in a record: bad_frame"),
        Fault("FRM-5", "test_framing.py",
              "r2-undefined-type-in-record-bad-frame: an undefined type in a record: bad_frame"),
        Fault("ERR-3", "test_app_refusals.py",
              "r2-not-found-closes: a get answered not_found, then the connection closed"),
        Fault("APP-PUT-8", "test_app_put.py",
              "r2-put-race-integrity: a put that loses the race answered integrity_failed"),
        Fault("APP-PUT-7", "test_app_put.py",
              "r2-put-size-limit-inclusive: a put of exactly the maximum size refused"),
        Fault("APP-PUT-5", "test_app_put.py",
              "r2-put-short-accepted: fewer bytes than announced stored when DONE agrees"),
        Fault("APP-PUT-2", "test_app_put.py",
              "r2-put-full-name: a put stored under its whole name, not its basename"),
        Fault("LIM-2", "test_limits.py",
              "r2-idle-timeout-silent: an idle connection closed without EROR timeout"),
        Fault("EKE-HS-11", "test_eke_handshake.py",
              "r2-hs-timeout-silent-after-eke2: a handshake timeout after EKE2 closes quietly"),
        Fault("EKE-THR-1", "test_eke_throttling.py",
              "r2-thr-lock-late: the lock starts at the N + 1st failure, not the Nth"),
        Fault("EKE-THR-7", "test_eke_throttling.py",
              "r2-thr-success-keeps-pending: a success never ends its pending slot"),
        Fault("EKE-THR-11", "test_eke_throttling.py",
              "r2-thr-hard-lock-retry-one: a hard-locked name's retry_after is 1, not the cap"),
        Fault("EKE-THR-11", "test_eke_restart.py test_eke_throttling.py",
              "r2-thr-hard-lock-late: the hard lock set after L + 1 failures"),
        Fault("EKE-THR-8", "test_eke_restart.py",
              "r2-thr-addresses-not-reloaded: the address table starts empty at a restart"),
        Fault("LIM-9", "test_lockout.py",
              "r2-lim-evicts-established: a full server closes its oldest connection"),
        Fault("LIM-8", "test_lockout.py",
              "r2-lim8-counts-established: the per-address cap counts established connections"),
        Fault("FRM-3", "test_framing.py",
              "r2-record-limit-inclusive: a record of exactly the frame limit refused"),
        Fault("APP-GET-3", "test_eke_client_transfer.py",
              "r2-client-done-size-ignored: DONE.size never compared", client=True),
        Fault("FRM-13", "test_eke_client_transfer.py",
              "r2-client-empty-data: an empty DATA in a get taken as no bytes", client=True),
        Fault("FRM-8", "test_eke_client_transfer.py",
              "r2-client-no-control-limit: a control frame above 65536 bytes taken",
              client=True),
        Fault("FRM-3", "test_eke_client_transfer.py",
              "r2-client-limit-after-payload: a record's length checked after reading it",
              client=True),
        Fault("PWF-1", "test_eke_client_password_file.py",
              "r2-client-password-lone-cr: a password ending in a lone CR accepted",
              client=True),
        Fault("PWF-1", "test_eke_client_password_file.py",
              "r2-client-password-empty: an empty password file accepted", client=True),
        Fault("APP-PUT-10", "test_client_put.py",
              "r2-client-put-exists-is-done: EROR exists in place of DONE taken as stored",
              client=True),
        Fault("EKE-REC-5", "test_eke_client.py",
              "r2-client-plaintext-taken: a plaintext frame after EKE4 read as a clear one",
              client=True),
        Fault("EKE-REC-4", "test_eke_client_transfer.py",
              "r2-client-skip-bad-record: a record that fails to open is skipped", client=True),
        Fault("EKE-X-3", "test_eke_client.py",
              "r2-client-y-reduced: Y' >= p reduced mod p, not refused", client=True),
        # Blind round 12 (I9, session 12): round-12 lenses, read from this file's own code.
        # Lens 1 (two values of one type mixed up)
        Fault("APP-PUT-3", "test_app_put.py",
              "r12-exists-full-name: exists checked at inbox/NAME, stored at its basename"),
        Fault("LIM-1", "test_limits.py test_eke_handshake_stalls.py",
              "r12-handshake-deadline-idle: the handshake deadline counted with the idle timeout"),
        Fault("EKE-THR-7", "test_eke_client_busy_retries.py test_eke_client.py",
              "r12-client-retry-after-ms: the client reads busy's retry_after as milliseconds",
              client=True),
        # Lens 2 (acknowledged before done)
        Fault("APP-PUT-5", "test_app_put.py",
              "r12-done-before-commit: a put's DONE sent, then the file committed in a thread"),
        Fault("APP-STORE-5", "test_eke_client_transfer.py",
              "r12-client-writes-final: a get written under its final name, unlinked on failure",
              client=True),
        # Lens 3 (peer-claimed values trusted)
        Fault("APP-PUT-5", "test_app_put.py",
              "r12-offer-hash-trusted: PUTF's sha256, when present, taken as the data's digest"),
        Fault("APP-GET-3", "test_eke_client_transfer.py",
              "r12-client-trusts-done-size: the byte count compared with DONE.size, not RSFL's",
              client=True),
        Fault("APP-STORE-3", "test_client_run_temporaries.py",
              "r13-client-short-write-ignored: os.write's count ignored (eke2 as written until "
              "round 13): a write cut short by a full disk or a file-size limit is a "
              "truncated file kept under the final name, exit 0",
              client=True),
        Fault("APP-NAME-6", "test_app_names.py",
              "r12-exists-before-confine: a resolved path that does not exist is not_found first"),
        # Lens 4 (sloppy output)
        Fault("ERR-1", "test_app_error_frames.py test_app_refusals.py",
              "r12-eror-name-upper: EROR's name is the enum's name (NOT_FOUND), not the table's"),
        Fault("ERR-7", "test_eke_throttling.py",
              "r12-retry-after-float: throttled's retry_after sent as the float time left"),
        Fault("EKE-THR-7", "test_eke_throttling.py",
              "r12-busy-no-retry-after: EKE1 refused busy without retry_after (throttled only)"),
        # Lens 5 (two principals at once)
        Fault("EKE-THR-7", "test_eke_throttling.py",
              "r12-pending-user-by-address: pending guesses per user keyed by the address"),
        Fault("EKE-THR-10", "test_eke_address_units.py",
              "r12-ipv4-slash24: IPv4 addresses counted per /24, as IPv6 per /64"),
        Fault("LIM-8", "test_lockout.py",
              "r12-lim8-keyed-by-port: the per-address handshake cap keyed by host:port"),
        # Lens 6 (deny-lists)
        Fault("APP-NAME-2", "test_app_names.py",
              "r12-dot-component: empty and .. components refused, a . component not"),
        Fault("APP-NAME-2", "test_app_names.py",
              "r12-drive-upper-only: drive letters matched as [A-Z]: only"),
        Fault("APP-NAME-9", "test_app_reserved_names.py",
              "r12-reserved-whole-name: .sft-partial- refused at the start of the whole name only"),
        Fault("FRM-6", "test_app_put.py test_framing.py",
              "r12-put-denylist: during a put RQFL and PUTF refused, other frames ignored"),
        # Found by test_ops_throttle_principals.py (session 12): eke2's own code until then.
        Fault("EKE-THR-6", "test_ops_throttle_principals.py",
              "lead-retry-after-first-lock: user and address locked, retry_after of the user's"),
        # Found by test_interop_live_slow_senders.py (session 14): eke2's own code until then.
        Fault("LIM-2", "test_interop_live_slow_senders.py",
              "b14-idle-per-record: one idle deadline per record: a record trickling in is cut "
              "before the idle timeout since its last byte"),
        # Blind round 17 (I22, session 17): the six round-17 lenses, from the SPEC and this
        # file's own code, before reading any case file.
        # Lens 1 (boundaries and exact multiples)
        Fault("FRM-13", "test_framing.py",
              "b17-data-limit-exclusive: a put's DATA of exactly 1048576 bytes refused bad_frame"),
        Fault("FRM-14", "test_app_get_frame_sizes.py",
              "b17-get-empty-tail: a get's loop ends on a short chunk: a file of 0 bytes or a "
              "multiple of 256 KiB ends with an empty DATA"),
        Fault("APP-NAME-7", "test_app_names.py",
              "b17-name-4096-exclusive: a name of exactly 4096 bytes refused forbidden"),
        Fault("EKE-THR-7", "test_eke_throttling.py",
              "b17-pending-cap-gt: pending guesses compared with > P: P + 1 in flight"),
        Fault("FRM-14", "test_client_put.py",
              "b17-client-put-empty-tail: the put's loop ends on a short chunk: a file of 0 "
              "bytes or a multiple of 256 KiB ends with an empty DATA", client=True),
        # Lens 2 (fatal vs recoverable)
        Fault("ERR-3", "test_app_put.py",
              "b17-integrity-nonfatal: a put refused integrity_failed, the connection kept"),
        Fault("APP-BYE-1", "test_app_put.py",
              "b17-bye-during-put: BYE_ during a put ends the connection quietly"),
        Fault("APP-GET-3", "test_eke_client_transfer.py",
              "b17-client-integrity-no-eror: a get that fails its check closed without EROR "
              "integrity_failed", client=True),
        # Lens 3 (duplicates and repetition)
        Fault("FRM-9", "test_framing.py",
              "b17-dup-keys-same-value: a duplicate key with the same value taken as harmless"),
        Fault("EKE-HS-9", "test_eke_handshake.py",
              "b17-second-eke1: an EKE1 in place of EKE3 restarts the handshake"),
        Fault("FRM-9",
              "test_eke_client_login_frames.py test_interop_done_members.py test_client_lies.py",
              "b17-client-dup-keys: the client parses the server's frames with plain json.loads",
              client=True),
        # Lens 4 (cryptographic API misuse)
        Fault("EKE-X-3", "test_eke_invalid_elements.py",
              "b17-invalid-x-valid-ignored: an invalid X' replaced by g for constant work, and "
              "the flag never consulted at EKE3"),
        Fault("EKE-X-1", "test_eke_client_busy_retries.py",
              "b17-client-x-per-client: the client's x drawn once per client, reused by the "
              "retries after busy", client=True),
        Fault("EKE-KS-1", "test_eke_handshake.py",
              "b17-th-user-chars: the transcript's u16be(len(U)) counts characters, not bytes"),
        # Lens 5 (content that looks like structure)
        Fault("APP-NAME-3", "test_app_names.py",
              "b17-name-strip: a get's name stripped of surrounding white space before the open"),
        Fault("APP-PUT-2", "test_app_put_dot_runs.py",
              "b17-dotdot-substring: a name holding .. anywhere refused forbidden"),
        # Lens 6 (lifecycle ends)
        Fault("APP-2", "test_eke_half_close.py",
              "b17-half-close-abort: a get not answered once the client's FIN has arrived"),
        Fault("EKE-THR-8", "test_eke_restart.py",
              "b17-throttle-save-on-lock: failure counts written to disk only when a lock starts"),
        # -- round 27 (foreign pass; lenses of docs/DETECTION.md's round 27)
        Fault("FRM-7", "test_eke_handshake_frame_edges.py",
              "b27_hs_eof_partial: (L1) a clear handshake frame cut short by the end of the "
              "stream taken as what arrived (the announced length may count white space)"),
        Fault("APP-GET-4", "test_app_share_files.py",
              "b27_get_until_eof: (L6) a get streams its file to EOF: a file that grew after "
              "RSFL sends more DATA than announced, DONE giving what was sent"),
        Fault("FRM-15", "test_framing.py",
              "b27_surrogate_replaced: (L2) a lone surrogate in a control string repaired "
              "to ? (errors='replace') and the name used"),
        Fault("APP-PUT-8", "test_ops_put_after_failed_put.py",
              "b27_put_name_sticky: (L5) puts in progress kept in a set, a name left out of "
              "it only once stored: after a failed put its name is answered exists"),
        Fault("ERR-8", "test_app_malformed_eror_then_request.py",
              "b27_eror_unparsed_skipped: (L2) the client's EROR parsed for the log; one that "
              "does not parse is skipped as noise and the connection served on"),
        Fault("ERR-4", "test_eke_client_transfer.py",
              "b27_client_unknown_code_bye: (L3) fatal by a list of ERR-2's fatal codes: an "
              "unknown code is a refusal, answered BYE_ before the close", client=True),
        Fault("APP-BYE-1", "test_interop_client_closing_frames.py",
              "b27_client_bye_empty: (L4) the client's BYE_ sent with an empty payload, "
              "not {}", client=True),
        Fault("FRM-10", "test_eke_client.py",
              "b27_client_rsfl_strict: (L2) a get's RSFL with a member the schema does not "
              "define refused bad_frame", client=True),
        Fault("APP-NAME-5", "test_app_toctou.py",
              "b27_name_toctou: (L2) confinement by realpath, then the joined path opened "
              "without O_NOFOLLOW: a link swapped in after the check is followed"),
        Fault("APP-STORE-2", "test_eke_client_transfer.py",
              "b27_client_commit_replace: (L5) the output's absence checked before "
              "connecting, the get committed with os.replace: a file made meanwhile is "
              "replaced", client=True),
        Fault("FRM-7", "test_eke_client_login_cuts.py",
              "b27_client_hs_eof_partial: (L1) the client takes a clear handshake frame "
              "cut short by the end of the stream as what arrived", client=True),
        Fault("ERR-6", "test_eke_client_answer_member_types.py",
              "b27_client_rsfl_size_unchecked: (L2) a get's RSFL size read as answer['size'] "
              "unchecked: a missing or odd size ends in a Python traceback", client=True),
        Fault("FRM-9", "test_eke_client_answer_member_types.py",
              "b27_client_sha256_null_absent: (L2, post-blind) a get's RSFL sha256 of null "
              "taken as absent", client=True),
    )
}  # fmt: skip


def _read_active_faults() -> frozenset[str]:
    raw = os.environ.get("SFT_INDEPENDENT_FAULTS", "")
    # Names that are not ours are ignored: one variable may drive several processes.
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


_ACTIVE_FAULTS: frozenset[str] = frozenset()


def _fault(name: str) -> bool:
    return name in _ACTIVE_FAULTS


def write_all(descriptor: int, data: bytes) -> None:
    """os.write until every byte is out: a short count (a full disk, a file-size limit)
    is retried, and the error that follows raises — never a file silently cut short."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


# ---------------------------------------------------------------------------
# group, password key, E_pw (SPEC §5.1, §5.2)

P = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED085636555"
    "3DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8721DF158A1"
    "36ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB7"
    "60D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1"
    "CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B"
    "4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA886B4238"
    "611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D26"
    "91F7F7EE598CB0FAC186D91CAEFE130985139270B4130C93BC437944F4FD4452"
    "E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0DABC52197"
    "9B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B"
    "66C62E37FFFFFFFFFFFFFFFF",
    16,
)
G = 2
Q = (P - 1) // 2
ELEMENT_BYTES = 384
_HALF = ELEMENT_BYTES // 2


def password_key(user: bytes, password: str) -> bytes:
    """EKE-PW-1: scrypt of the password as given, salted with the user name's bytes."""
    salt = b"sft-eke/1" + len(user).to_bytes(2, "big") + user
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=64 * 2**20
    )


def fake_key(server_secret: bytes, user: bytes) -> bytes:
    """EKE-HS-3: the key an unknown user name gets, stable for the name."""
    return hmac.new(server_secret, b"sft-eke/1 fake" + user, hashlib.sha256).digest()


def _round_function(pw: bytes, index: int, half: bytes) -> bytes:
    return hashlib.shake_256(b"sft-eke/1 feistel" + pw + bytes([index]) + half).digest(_HALF)


def _xor(left: bytes, right: bytes) -> bytes:
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(len(left), "big")


def feistel_encrypt(pw: bytes, block: bytes) -> bytes:
    """EKE-FEI-1: E_pw, 14 rounds of a balanced Feistel network over 384 bytes."""
    left, right = block[:_HALF], block[_HALF:]
    for index in range(14):
        left, right = right, _xor(left, _round_function(pw, index, right))
    return left + right


def feistel_decrypt(pw: bytes, block: bytes) -> bytes:
    """EKE-FEI-2: D_pw, the inverse of E_pw."""
    left, right = block[:_HALF], block[_HALF:]
    for index in reversed(range(14)):
        left, right = _xor(right, _round_function(pw, index, left)), left
    return left + right


def draw_exponent() -> int:
    """EKE-X-1: 320 random bits with bit 320 set above them (321-bit exponents)."""
    return secrets.randbits(320) | (1 << 320)


_CACHED: list[int] = []


def _cached_exponent() -> int:
    if not _CACHED:
        _CACHED.append(draw_exponent())
    return _CACHED[0]


def hide_element(element: int) -> int:
    """EKE-X-2: send X or p − X on a fresh random bit."""
    return P - element if secrets.randbits(1) else element


def _jacobi(value: int, modulus: int) -> int:
    value %= modulus
    sign = 1
    while value:
        while not value & 1:
            value >>= 1
            if modulus & 7 in (3, 5):
                sign = -sign
        value, modulus = modulus, value
        if value & 3 == 3 and modulus & 3 == 3:
            sign = -sign
        value %= modulus
    return sign if modulus == 1 else 0


def is_residue(value: int) -> bool:
    """EKE-X-3's residuosity decision, blinded (EKE-SEC-4): the Jacobi loop runs on
    value·r² for a fresh random r, whose symbol is the value's but whose bits are not.
    (Euler's criterion, pow(value, q, p), is value-independent too but costs a full
    3072-bit exponentiation: ~15x a 321-bit Diffie-Hellman step in CPython.)"""
    blind = secrets.randbelow(P - 1) + 1
    return _jacobi(value * blind * blind % P, P) == 1


def unhide_element(hidden: int) -> int | None:
    """EKE-X-3: None for a forbidden X'; else whichever of X', p − X' is a residue."""
    if hidden >= P or (hidden in (0, 1, P - 1) and not _fault("eke2-x-range")):
        return None
    return hidden if is_residue(hidden) else P - hidden


# ---------------------------------------------------------------------------
# key schedule and records (SPEC §5.3–§5.5)

NONCE_EKE2 = bytes(11) + b"\x02"
NONCE_EKE3 = bytes(11) + b"\x03"
NONCE_EKE4 = bytes(11) + b"\x04"


def transcript_hash(user: bytes, a_value: bytes, b_value: bytes) -> bytes:
    """EKE-KS-1."""
    return hashlib.sha256(
        b"sft-eke/1 transcript" + len(user).to_bytes(2, "big") + user + a_value + b_value
    ).digest()


@dataclasses.dataclass(frozen=True)
class SessionKeys:
    confirm_server: bytes
    confirm_client: bytes
    key_c2s: bytes
    iv_c2s: bytes
    key_s2c: bytes
    iv_s2c: bytes


def derive_keys(th: bytes, shared: bytes) -> SessionKeys:
    """EKE-KS-3: HKDF-SHA256 with the transcript hash as salt."""
    prk = hmac.new(th, shared, hashlib.sha256).digest()

    def expand(label: str, length: int) -> bytes:
        return HKDFExpand(hashes.SHA256(), length, label.encode()).derive(prk)

    return SessionKeys(
        confirm_server=expand("sft-eke/1 confirm s", 32),
        confirm_client=expand("sft-eke/1 confirm c", 32),
        key_c2s=expand("sft-eke/1 key c2s", 32),
        iv_c2s=expand("sft-eke/1 iv c2s", 12),
        key_s2c=expand("sft-eke/1 key s2c", 32),
        iv_s2c=expand("sft-eke/1 iv s2c", 12),
    )


def shared_secret(public: int, exponent: int) -> bytes | None:
    """EKE-KS-2: Z, or None when Z is 0, 1 or p − 1."""
    value = pow(public, exponent, P)
    if value in (0, 1, P - 1) and not _fault("eke2-x-range"):
        return None
    return value.to_bytes(ELEMENT_BYTES, "big")


class RecordAuthError(Exception):
    """A record did not authenticate (EKE-REC-4)."""


class RecordLimitError(Exception):
    """The direction's key is spent (EKE-REC-2 / EKE-REC-7)."""


_MAX_BLOCKS = 2**34
_MAX_SEQ = 2**64 - 1


class RecordDirection:
    """One direction's AES-256-GCM record state: key, IV, sequence number, blocks used."""

    def __init__(self, key: bytes, iv: bytes) -> None:
        self._aead = AESGCM(key)
        self._iv = int.from_bytes(iv, "big")
        self._seq = 0
        self._blocks = 0

    def _next_nonce(self, inner_length: int) -> bytes:
        if self._seq > _MAX_SEQ:
            raise RecordLimitError("sequence numbers exhausted")
        blocks = -(-inner_length // 16) + 1
        if self._blocks + blocks > _MAX_BLOCKS:
            raise RecordLimitError("AES-GCM usage limit reached")
        self._blocks += blocks
        nonce = (self._iv ^ self._seq).to_bytes(12, "big")
        self._seq += 1
        return nonce

    def seal(self, inner: bytes) -> bytes:
        header = b"RECD" + (len(inner) + 16).to_bytes(4, "big")
        return header + self._aead.encrypt(self._next_nonce(len(inner)), inner, header)

    def open(self, header: bytes, sealed: bytes) -> bytes:
        if len(sealed) < 16:
            raise RecordAuthError("record shorter than its tag")
        nonce = self._next_nonce(len(sealed) - 16)
        try:
            return self._aead.decrypt(nonce, sealed, header)
        except InvalidTag:
            raise RecordAuthError("record does not authenticate") from None


# ---------------------------------------------------------------------------
# frames and errors (SPEC §1, §2)


class Code(enum.IntEnum):
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


FATAL_CODES = frozenset(
    {
        Code.BAD_FRAME,
        Code.FRAME_TOO_LARGE,
        Code.UNEXPECTED_FRAME,
        Code.AUTH_FAILED,
        Code.INTEGRITY_FAILED,
        Code.BUSY,
        Code.TIMEOUT,
        Code.INTERNAL,
        Code.THROTTLED,
    }
)


class ProtocolFailure(Exception):
    """The peer broke the protocol: answer `code` (fatal or not, as the table says)."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


DEFAULT_FRAME_LIMIT = 1_048_832
CONTROL_LIMIT = 65_536
DATA_LIMIT = 1_048_576
APPLICATION_TYPES = frozenset({b"RQFL", b"RSFL", b"PUTF", b"DATA", b"DONE", b"EROR", b"BYE_"})
HANDSHAKE_TYPES = frozenset({b"EKE1", b"EKE2", b"EKE3", b"EKE4"})
PROFILE_TYPES = APPLICATION_TYPES | HANDSHAKE_TYPES | {b"RECD"}
_TYPE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_INT_MAX = 2**63 - 1


def encode_frame(frame_type: bytes, payload: bytes) -> bytes:
    return frame_type + len(payload).to_bytes(4, "big") + payload


def encode_control(frame_type: bytes, members: dict[str, Any]) -> bytes:
    return encode_frame(frame_type, json.dumps(members, separators=(",", ":")).encode("utf-8"))


def error_frame(code: Code, message: str, retry_after: float | None = None) -> bytes:
    name = code.name if _fault("r12-eror-name-upper") else code.name.lower()
    members: dict[str, Any] = {"code": int(code), "name": name, "message": message}
    if retry_after is not None:
        members["retry_after"] = retry_after
    return encode_control(b"EROR", members)


def check_header(header: bytes, frame_limit: int) -> tuple[bytes, int]:
    """The checks a header allows on its own, in this implementation's order."""
    frame_type, length = header[:4], int.from_bytes(header[4:8], "big")
    if any(byte not in _TYPE_BYTES for byte in frame_type):
        raise ProtocolFailure(Code.BAD_FRAME, "frame type is not [A-Z0-9_]{4}")
    if length > frame_limit:
        raise ProtocolFailure(Code.FRAME_TOO_LARGE, f"frame of {length} bytes refused")
    if frame_type not in PROFILE_TYPES:
        raise ProtocolFailure(Code.UNEXPECTED_FRAME, "frame type not defined by sft-eke/1")
    if frame_type not in (b"DATA", b"RECD") and length > CONTROL_LIMIT:
        raise ProtocolFailure(Code.FRAME_TOO_LARGE, "control payload above 65536 bytes")
    return frame_type, length


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            if _fault("b17-dup-keys-same-value") and result[key] == value:
                continue  # "a harmless repeat"
            raise ProtocolFailure(Code.BAD_FRAME, "duplicate JSON member")
        result[key] = value
    return result


def _refuse_constant(name: str) -> NoReturn:
    raise ProtocolFailure(Code.BAD_FRAME, "NaN and Infinity are not JSON")


def _all_strings_are_text(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_all_strings_are_text(k) and _all_strings_are_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_strings_are_text(item) for item in value)
    return True


def _repaired(value: Any) -> Any:
    """Only for the fault b27_surrogate_replaced: a lone surrogate becomes `?`."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_repaired(k): _repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    return value


def parse_control(payload: bytes) -> dict[str, Any]:
    """FRM-8/9/15: a UTF-8 JSON object, strict."""
    try:
        text = payload.decode("utf-8")
        hook = None if _fault("eke2-duplicate-keys") else _pairs_without_duplicates
        value = json.loads(text, object_pairs_hook=hook, parse_constant=_refuse_constant)
    except ProtocolFailure:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolFailure(Code.BAD_FRAME, "control payload is not a JSON object") from None
    if not isinstance(value, dict):
        raise ProtocolFailure(Code.BAD_FRAME, "control payload is not a JSON object")
    if not _all_strings_are_text(value):
        if _fault("b27_surrogate_replaced"):  # "be liberal: repair, don't refuse"
            return dict(_repaired(value))
        raise ProtocolFailure(Code.BAD_FRAME, "string with a lone surrogate")
    return value


def member_str(members: dict[str, Any], key: str) -> str:
    value = members.get(key)
    if not isinstance(value, str):
        raise ProtocolFailure(Code.BAD_FRAME, f"member {key!r} missing or not a string")
    return value


def member_int(members: dict[str, Any], key: str) -> int:
    value = members.get(key)
    boolean = isinstance(value, bool) and not _fault("eke2-bool-int")
    if boolean or not isinstance(value, int) or not 0 <= value <= _INT_MAX:
        raise ProtocolFailure(Code.BAD_FRAME, f"member {key!r} missing or not an integer")
    return value


def member_sha256(members: dict[str, Any], key: str, required: bool) -> str | None:
    if key not in members and not required:
        return None
    value = member_str(members, key)
    if not _SHA256_HEX.fullmatch(value):
        raise ProtocolFailure(Code.BAD_FRAME, f"member {key!r} is not 64 lowercase hex digits")
    return value


def member_hex(members: dict[str, Any], key: str, length: int, code: Code) -> bytes:
    value = members.get(key)
    if not isinstance(value, str) or len(value) != 2 * length:
        raise ProtocolFailure(code, f"member {key!r} is not {2 * length} hex digits")
    digits = r"[0-9a-fA-F]*" if _fault("eke2-client-upper-hex") else r"[0-9a-f]*"
    if not re.fullmatch(digits, value):
        raise ProtocolFailure(code, f"member {key!r} is not lowercase hex")
    return bytes.fromhex(value)


def split_inner_frame(plain: bytes) -> tuple[bytes, bytes]:
    """EKE-REC-1: a record's plaintext is exactly one well-formed frame."""
    if len(plain) < 8:
        raise ProtocolFailure(Code.BAD_FRAME, "record plaintext shorter than a frame header")
    frame_type = plain[:4]
    if any(byte not in _TYPE_BYTES for byte in frame_type):
        raise ProtocolFailure(Code.BAD_FRAME, "frame type is not [A-Z0-9_]{4}")
    if int.from_bytes(plain[4:8], "big") != len(plain) - 8:
        raise ProtocolFailure(Code.BAD_FRAME, "record plaintext is not exactly one frame")
    return frame_type, plain[8:]


# ---------------------------------------------------------------------------
# names (SPEC §3.5)

_PARTIAL_PREFIX = ".sft-partial-"
_DRIVE = re.compile(r"[A-Za-z]:")
_DRIVE_UPPER = re.compile(r"[A-Z]:")


def _refused_character(char: str) -> bool:
    point = ord(char)
    if point < 0x20 or point == 0x7F:
        return True
    if char == "\\":
        return not _fault("eke2-backslash")
    if _fault("eke2-bidi"):
        return False
    return 0x80 <= point <= 0x9F or 0x202A <= point <= 0x202E or 0x2066 <= point <= 0x2069


def name_is_refused(name: str) -> bool:
    """APP-NAME-1/2/8/9: True for a name every receiver refuses with `forbidden`."""
    encoded = name.encode("utf-8")
    if _fault("eke2-name-255") and len(encoded) > 255:
        return True
    drive = _DRIVE_UPPER if _fault("r12-drive-upper-only") else _DRIVE
    if not encoded or len(encoded) > 4096 or name.startswith("/") or drive.match(name):
        return True
    if _fault("b17-name-4096-exclusive") and len(encoded) >= 4096:
        return True
    if _fault("b17-dotdot-substring") and ".." in name:
        return True
    if any(_refused_character(char) for char in name):
        return True
    components = name.split("/")
    bad = ("", "..") if _fault("r12-dot-component") else ("", ".", "..")
    for component in components:
        if component in bad or len(component.encode("utf-8")) > 255:
            return True
    if _fault("r12-reserved-whole-name"):
        return name.startswith(_PARTIAL_PREFIX)
    return components[-1].startswith(_PARTIAL_PREFIX)


class ShareRefusal(Exception):
    def __init__(self, code: Code) -> None:
        super().__init__(code.name)
        self.code = code


def open_in_share(share: Path, name: str) -> int:
    """APP-NAME-4/5, APP-GET-2: a descriptor of the regular file `name` inside the share."""
    share_real = os.path.realpath(share)
    resolved = os.path.realpath(os.path.join(share_real, name))
    if _fault("r12-exists-before-confine") and not os.path.exists(resolved):
        raise ShareRefusal(Code.NOT_FOUND)
    if _fault("eke2-prefix-confinement"):
        if not resolved.startswith(share_real):
            raise ShareRefusal(Code.FORBIDDEN)
    elif os.path.commonpath([share_real, resolved]) != share_real:
        raise ShareRefusal(Code.FORBIDDEN)
    relative = os.path.relpath(resolved, share_real)
    if relative == ".":
        raise ShareRefusal(Code.NOT_FOUND)
    if _fault("b27_name_toctou"):  # "realpath checked it is inside: open what it resolved to"
        try:
            descriptor = os.open(os.path.join(share_real, name), os.O_RDONLY | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ShareRefusal(Code.NOT_FOUND) from None
        except OSError:
            raise ShareRefusal(Code.FORBIDDEN) from None
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise ShareRefusal(Code.NOT_FOUND)
        return descriptor
    parts = relative.split(os.sep)
    directory = os.open(share_real, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                inner = os.open(part, flags, dir_fd=directory)
            except (FileNotFoundError, NotADirectoryError):
                raise ShareRefusal(Code.NOT_FOUND) from None
            except OSError:
                # A symbolic link appeared after resolution: refuse, never follow it.
                raise ShareRefusal(Code.FORBIDDEN) from None
            os.close(directory)
            directory = inner
        try:
            descriptor = os.open(
                parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=directory
            )
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ShareRefusal(Code.NOT_FOUND) from None
        except OSError:
            raise ShareRefusal(Code.FORBIDDEN) from None
    finally:
        os.close(directory)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ShareRefusal(Code.FORBIDDEN if _fault("eke2-dir-forbidden") else Code.NOT_FOUND)
    return descriptor


def create_partial(directory: Path, mode: int = 0o600) -> tuple[Path, int]:
    """APP-STORE-1: an exclusive 0600 temporary file beside the final name."""
    while True:
        path = directory / f"{_PARTIAL_PREFIX}{secrets.token_hex(12)}"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            os.fchmod(descriptor, mode)  # the umask may not narrow what we asked
            return path, descriptor
        except FileExistsError:
            continue


def commit_partial(partial: Path, descriptor: int, final: Path, replace: bool) -> None:
    """APP-STORE-2: fsync, publish without replacing (unless asked), fsync the directory."""
    os.fsync(descriptor)
    os.close(descriptor)
    if replace:
        os.replace(partial, final)
    else:
        try:
            os.link(partial, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
    directory = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def discard_partial(partial: Path | None, descriptor: int | None) -> None:
    if descriptor is not None:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    if partial is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


# ---------------------------------------------------------------------------
# password files and the store


class UsageError(Exception):
    """A command-line or file error for the user (exit status 2)."""


def password_from_text(raw: bytes, origin: str) -> str:
    """PWF-1: UTF-8, one line; exactly one trailing LF or CRLF removed, nothing trimmed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{origin}: not UTF-8") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if "\n" in text or ("\r" in text and not _fault("r2-client-password-lone-cr")):
        raise UsageError(f"{origin}: the password must be one line")
    if not text and not _fault("r2-client-password-empty"):
        raise UsageError(f"{origin}: empty password")
    return text


def read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_file", None):
        path = Path(args.password_file)
        try:
            return password_from_text(path.read_bytes(), str(path))
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror}") from None
    if getattr(args, "password_stdin", False):
        return password_from_text(sys.stdin.buffer.read(), "stdin")
    raise UsageError("give --password-file F or --password-stdin")


_STORE_HEADER = "sft-eke2 store 1"


def valid_user_name(user: bytes) -> bool:
    """EKE-PW-1: 1–64 bytes of UTF-8 without control characters."""
    if not 1 <= len(user) <= 64:
        return False
    try:
        text = user.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def load_store(path: Path) -> dict[bytes, bytes]:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise UsageError(f"{path}: the password store must be mode 0600 (EKE-PW-2)")
    lines = path.read_text(encoding="ascii").splitlines()
    if not lines or lines[0] != _STORE_HEADER:
        raise UsageError(f"{path}: not an eke2 password store")
    accounts: dict[bytes, bytes] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(" ")
        if len(fields) != 2:
            raise UsageError(f"{path}:{number}: expected 'USERHEX PWHEX'")
        accounts[bytes.fromhex(fields[0])] = bytes.fromhex(fields[1])
    return accounts


def write_private(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, text.encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def save_store(path: Path, accounts: dict[bytes, bytes]) -> None:
    lines = [_STORE_HEADER] + [f"{user.hex()} {pw.hex()}" for user, pw in accounts.items()]
    write_private(path, "\n".join(lines) + "\n")


def state_directory(store: Path, given: str | None) -> Path:
    directory = Path(given) if given else store.with_name(store.name + ".state")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def load_server_secret(state: Path) -> bytes:
    path = state / "server_secret"
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    secret = secrets.token_bytes(32)
    write_private(path, secret.hex() + "\n")
    return secret


# ---------------------------------------------------------------------------
# throttling (SPEC §5.6)


@dataclasses.dataclass
class FailureRecord:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0
    hard_locked: bool = False


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    failures: int = 5
    base: float = 1.0
    cap: float = 300.0
    pending_per_user: int = 4
    pending_per_address: int = 8
    lock_after: int = 100
    table_bound: int = 10_000


def address_key(host: str) -> str:
    """EKE-THR-10: IPv4 per address, IPv6 per /64."""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    if _fault("r12-ipv4-slash24"):
        return str(ipaddress.IPv4Network((address, 24), strict=False))
    return str(address)


class Throttle:
    """Failure counts per user name and per address, persisted; pending guesses in memory."""

    def __init__(self, policy: ThrottlePolicy, path: Path | None) -> None:
        self.policy = policy
        self._path = path
        self.users: dict[str, FailureRecord] = {}
        self.addresses: dict[str, FailureRecord] = {}
        self.pending_users: dict[str, int] = {}
        self.pending_addresses: dict[str, int] = {}
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.users = {k: FailureRecord(**v) for k, v in data.get("users", {}).items()}
            self.addresses = {k: FailureRecord(**v) for k, v in data.get("addresses", {}).items()}
            if _fault("r2-thr-addresses-not-reloaded"):  # "addresses change; users do not"
                self.addresses = {}

    def _save(self) -> None:
        if self._path is None:
            return
        data = {
            "users": {k: dataclasses.asdict(v) for k, v in self.users.items()},
            "addresses": {k: dataclasses.asdict(v) for k, v in self.addresses.items()},
        }
        write_private(self._path, json.dumps(data))

    def _lock_seconds(self, failures: int) -> int:
        if _fault("eke2-constant-backoff"):
            return max(1, math.ceil(self.policy.base))
        exponent = failures - self.policy.failures
        seconds = min(self.policy.cap, self.policy.base * 2.0 ** min(exponent, 64))
        return max(1, math.ceil(seconds))

    def refusal(self, user_key: str, address: str, now: float) -> tuple[Code, float] | None:
        """Why an EKE1 must not get an EKE2 now, or None (EKE-THR-1/6/7/11)."""
        user_record = self.users.get(user_key)
        if user_record is not None and user_record.hard_locked:
            if _fault("r2-thr-hard-lock-retry-one"):
                return Code.THROTTLED, 1
            return Code.THROTTLED, max(1, math.ceil(self.policy.cap))
        # With the user and the address both locked, the EKE1 waits for the later end.
        locks = [
            record.locked_until
            for record in (user_record, self.addresses.get(address))
            if record is not None
            and record.failures >= self.policy.failures
            and now < record.locked_until
        ]
        if locks:
            until = locks[0] if _fault("lead-retry-after-first-lock") else max(locks)
            if _fault("eke2-retry-floor"):
                return Code.THROTTLED, math.floor(until - now)
            if _fault("r12-retry-after-float"):
                return Code.THROTTLED, until - now
            return Code.THROTTLED, max(1, math.ceil(until - now))
        if self.pending_users.get(self._pending_key(user_key, address), 0) >= (
            self.policy.pending_per_user + _fault("b17-pending-cap-gt")
        ):
            return Code.BUSY, 1
        if self.pending_addresses.get(address, 0) >= (
            self.policy.pending_per_address + _fault("b17-pending-cap-gt")
        ):
            return Code.BUSY, 1
        return None

    @staticmethod
    def _pending_key(user_key: str, address: str) -> str:
        return address if _fault("r12-pending-user-by-address") else user_key

    def begin(self, user_key: str, address: str) -> None:
        pending_key = self._pending_key(user_key, address)
        self.pending_users[pending_key] = self.pending_users.get(pending_key, 0) + 1
        self.pending_addresses[address] = self.pending_addresses.get(address, 0) + 1
        if _fault("eke2-pending-is-failure"):
            now = time.time()
            self._bump(self.users, user_key, now, is_user=True)
            self._bump(self.addresses, address, now, is_user=False)
            self._save()

    def _end_pending(self, user_key: str, address: str) -> None:
        pending_key = self._pending_key(user_key, address)
        for table, key in ((self.pending_users, pending_key), (self.pending_addresses, address)):
            left = table.get(key, 0) - 1
            if left > 0:
                table[key] = left
            else:
                table.pop(key, None)

    def _bump(self, table: dict[str, FailureRecord], key: str, now: float, is_user: bool) -> None:
        record = table.get(key)
        if record is None:
            self._make_room(table, now)
            record = table[key] = FailureRecord()
        record.failures += 1
        record.last = now
        if record.failures >= self.policy.failures + _fault("r2-thr-lock-late"):
            record.locked_until = now + self._lock_seconds(record.failures)
        lock_after = self.policy.lock_after + _fault("r2-thr-hard-lock-late")
        if is_user and record.failures >= lock_after and not _fault(
            "eke2-hard-lock-expires"
        ):
            record.hard_locked = True

    def _make_room(self, table: dict[str, FailureRecord], now: float) -> None:
        # EKE-THR-9: each table has its own bound; never evict an entry whose lock runs.
        if len(table) < self.policy.table_bound:
            return
        candidates = [
            (record.last, key)
            for key, record in table.items()
            if not record.hard_locked and record.locked_until <= now
        ]
        if candidates:
            del table[min(candidates)[1]]

    def failed(self, user_key: str, address: str, now: float) -> None:
        self._end_pending(user_key, address)
        if _fault("eke2-pending-is-failure"):
            return  # counted already, when EKE2 was sent
        self._bump(self.users, user_key, now, is_user=True)
        if not _fault("eke2-no-address-count"):
            self._bump(self.addresses, address, now, is_user=False)
        if _fault("b17-throttle-save-on-lock"):  # "only a lock needs to survive"
            records = (self.users.get(user_key), self.addresses.get(address))
            if not any(r is not None and r.failures >= self.policy.failures for r in records):
                return
        self._save()

    def failed_without_pending(self, user_key: str, address: str, now: float) -> None:
        self._bump(self.users, user_key, now, is_user=True)
        self._bump(self.addresses, address, now, is_user=False)
        self._save()

    def succeeded(self, user_key: str, address: str) -> None:
        if not _fault("r2-thr-success-keeps-pending"):
            self._end_pending(user_key, address)
        washed = _fault("eke2-success-washes-address") or _fault("eke2-pending-is-failure")
        if washed and self.addresses.pop(address, None) is not None:
            self._save()
        if _fault("eke2-no-reset"):
            return
        if self.users.pop(user_key, None) is not None:
            self._save()

    def unlock(self, user_key: str) -> bool:
        found = self.users.pop(user_key, None) is not None
        self._save()
        return found


# ---------------------------------------------------------------------------
# the server


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(match.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match.group(2)]


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    share: Path
    inbox: Path
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    frame_limit: int = DEFAULT_FRAME_LIMIT
    max_file_size: int = 4 * 2**30
    max_connections: int = 64
    max_pending_per_address: int = 8
    put_enabled: bool = True


_CHUNK = 256 * 1024


def _log(event: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"{stamp}Z eke2: {event}", file=sys.stderr, flush=True)


class Closed(Exception):
    """The connection is over (the peer closed, or we must close without a word)."""


@dataclasses.dataclass(eq=False)
class Connection:
    """One accepted connection, as the admission control sees it."""

    address: str
    accepted: float
    writer: asyncio.StreamWriter
    task: asyncio.Task[None] | None = None
    established: bool = False
    admission_key: str = ""


class EkeServer:
    def __init__(
        self,
        config: ServerConfig,
        accounts: dict[bytes, bytes],
        server_secret: bytes,
        throttle: Throttle,
    ) -> None:
        self.config = config
        self.accounts = accounts
        self.server_secret = server_secret
        self.throttle = throttle
        self.connections: list[Connection] = []
        self.partials: set[Path] = set()
        self.putting: set[str] = set()  # only for the fault b27_put_name_sticky

    # -- admission (LIM-4, LIM-8, LIM-9)

    def _admit(self, connection: Connection) -> bool:
        in_handshake = [c for c in self.connections if not c.established]
        counted = self.connections if _fault("r2-lim8-counts-established") else in_handshake
        same_address = [c for c in counted if c.admission_key == connection.admission_key]
        cap = self.config.max_pending_per_address + (1 if _fault("eke2-lim8-off-by-one") else 0)
        if len(same_address) >= cap:
            return False
        if len(self.connections) >= self.config.max_connections:
            if not in_handshake or _fault("eke2-no-eviction"):
                return False
            pool = self.connections if _fault("r2-lim-evicts-established") else in_handshake
            oldest = min(pool, key=lambda c: c.accepted)
            self.connections.remove(oldest)
            oldest.writer.transport.abort()
            if oldest.task is not None:
                oldest.task.cancel()
        self.connections.append(connection)
        return True

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        connection = Connection(address=host, accepted=time.monotonic(), writer=writer)
        connection.admission_key = host
        if _fault("r12-lim8-keyed-by-port") and isinstance(peer, tuple):
            connection.admission_key = f"{host}:{peer[1]}"  # "one entry per peer"
        connection.task = asyncio.current_task()
        if not self._admit(connection):
            _log(f"refused address={host} (busy)")
            with contextlib.suppress(OSError):
                writer.write(error_frame(Code.BUSY, "server busy", retry_after=1))
            writer.close()
            return
        session = ServerSession(self, connection, reader, writer)
        try:
            await session.run()
        except asyncio.CancelledError:
            pass
        finally:
            session.cleanup()
            if connection in self.connections:
                self.connections.remove(connection)
            writer.transport.abort()


class ServerSession:
    """One connection: the handshake, then the application protocol in records."""

    def __init__(
        self,
        server: EkeServer,
        connection: Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.config = server.config
        self.connection = connection
        self.reader = reader
        self.writer = writer
        self.address = address_key(connection.address)
        self.pending_user: str | None = None
        self.user_label = ""
        self.sender: RecordDirection | None = None
        self.receiver: RecordDirection | None = None
        self.partial: Path | None = None
        self.partial_fd: int | None = None

    # -- plumbing

    async def _read_exactly(self, count: int, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            async with asyncio.timeout(remaining):
                return await self.reader.readexactly(count)
        except asyncio.IncompleteReadError:
            raise Closed("end of stream inside a frame or between frames") from None
        except TimeoutError:
            raise  # an OSError too, but a deadline, not a lost connection
        except (ConnectionError, OSError):
            raise Closed("connection lost") from None

    async def _send(self, data: bytes) -> None:
        self.writer.write(data)
        send_timeout = None if _fault("eke2-no-send-timeout") else self.config.idle_timeout
        try:
            async with asyncio.timeout(send_timeout):
                await self.writer.drain()
        except TimeoutError:
            # LIM-10: the peer stopped reading; no EROR can pass a full pipe.
            raise Closed("send made no progress for the idle timeout") from None
        except (ConnectionError, OSError):
            raise Closed("connection lost") from None

    async def _send_frame(self, frame: bytes) -> None:
        if self.sender is None:
            await self._send(frame)
        else:
            await self._send(self.sender.seal(frame))

    async def _send_error(self, code: Code, message: str, retry_after: float | None = None) -> None:
        with contextlib.suppress(Closed, RecordLimitError):
            await self._send_frame(error_frame(code, message, retry_after))

    def cleanup(self) -> None:
        if self.pending_user is not None:
            self.server.throttle.failed(self.pending_user, self.address, time.time())
            _log(f"handshake failed user={self.user_label!r} address={self.connection.address}")
            self.pending_user = None
        if self.partial is not None:
            self.server.partials.discard(self.partial)
        discard_partial(self.partial, self.partial_fd)
        self.partial, self.partial_fd = None, None

    async def run(self) -> None:
        handshake_timeout = self.config.handshake_timeout
        if _fault("r12-handshake-deadline-idle"):
            handshake_timeout = self.config.idle_timeout
        deadline = self.connection.accepted + handshake_timeout
        try:
            await self._handshake(deadline)
        except TimeoutError:
            if _fault("eke2-timeout-free") and self.pending_user is not None:
                # The fault: "the client did not even try EKE3": released, not counted.
                self.server.throttle._end_pending(self.pending_user, self.address)
                self.pending_user = None
            if self.pending_user is not None and _fault("r2-hs-timeout-silent-after-eke2"):
                return  # "it had its EKE2: nothing more to say"
            await self._send_error(Code.TIMEOUT, "handshake timeout")
            return
        except ProtocolFailure as failure:
            await self._send_error(failure.code, failure.message)
            if failure.code == Code.AUTH_FAILED and _fault("eke2-auth-failed-lingers"):
                with contextlib.suppress(Exception):  # let the client read it and hang up
                    await self._read_exactly(1, time.monotonic() + 10.0)
            return
        except Closed as closed:
            if str(closed) == "the client sent EROR" and _fault("eke2-eror-free"):
                if self.pending_user is not None:  # "it gave up: not a guess"
                    self.server.throttle._end_pending(self.pending_user, self.address)
                    self.pending_user = None
            return
        self.connection.established = True
        while True:
            try:
                await self._serve_records()
            except ProtocolFailure as failure:
                await self._send_error(failure.code, failure.message)
                if _fault("eke2-no-close-after-fatal"):
                    continue
                if failure.code == Code.INTEGRITY_FAILED and _fault("b17-integrity-nonfatal"):
                    # "the put failed, not the connection": drop it and serve on
                    if self.partial is not None:
                        self.server.partials.discard(self.partial)
                    discard_partial(self.partial, self.partial_fd)
                    self.partial, self.partial_fd = None, None
                    continue
            except (Closed, RecordAuthError, RecordLimitError):
                pass
            return

    # -- handshake (§5.3)

    async def _read_clear_frame(self, deadline: float) -> tuple[bytes, bytes]:
        header = await self._read_exactly(8, deadline)
        frame_type, length = check_header(header, self.config.frame_limit)
        if _fault("b27_hs_eof_partial") and length:
            # "the announced length may count trailing white space: what came is the JSON"
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):
                    return frame_type, await self.reader.readexactly(length)
            except asyncio.IncompleteReadError as short:
                if not short.partial:
                    raise Closed("end of stream inside a frame") from None
                return frame_type, short.partial
        payload = await self._read_exactly(length, deadline) if length else b""
        return frame_type, payload

    async def _expect(self, wanted: bytes, deadline: float) -> dict[str, Any]:
        frame_type, payload = await self._read_clear_frame(deadline)
        if frame_type == b"EROR":
            raise Closed("the client sent EROR")
        if frame_type != wanted:
            raise ProtocolFailure(Code.UNEXPECTED_FRAME, f"expected {wanted.decode()}")
        return parse_control(payload)

    async def _handshake(self, deadline: float, eke1: dict[str, Any] | None = None) -> None:
        if eke1 is None:
            eke1 = await self._expect(b"EKE1", deadline)
        user_text = member_str(eke1, "user")
        a_value = member_hex(eke1, "a", ELEMENT_BYTES, Code.BAD_FRAME)
        user = user_text.encode("utf-8")
        self.user_label = user_text[:64]
        user_key = user.hex()
        if _fault("eke2-throttle-casefold"):
            user_key = user_text.casefold().encode("utf-8").hex()
        throttle = self.server.throttle
        refusal = throttle.refusal(user_key, self.address, time.time())
        if refusal is not None:
            code, retry_after = refusal
            if code == Code.BUSY and _fault("eke2-busy-counts"):
                throttle.failed_without_pending(user_key, self.address, time.time())
            if code == Code.THROTTLED and _fault("eke2-throttled-counts"):
                throttle.failed_without_pending(user_key, self.address, time.time())
            _log(f"{code.name.lower()} user={self.user_label!r} address={self.connection.address}")
            sent_retry: float | None = retry_after
            if code == Code.BUSY and _fault("r12-busy-no-retry-after"):
                sent_retry = None  # "retry_after belongs to throttled (ERR-7)"
            await self._send_error(code, "too many attempts; retry later", sent_retry)
            raise Closed("refused before any exponentiation")

        stored = self.server.accounts.get(user) if valid_user_name(user) else None
        if _fault("eke2-user-casefold"):
            folded = {name.lower(): key for name, key in self.server.accounts.items()}
            stored = folded.get(user.lower())
        if stored is None and _fault("eke2-unknown-early"):
            raise ProtocolFailure(Code.AUTH_FAILED, "authentication failed")
        pw = stored if stored is not None else fake_key(self.server.server_secret, user)
        hidden_x = int.from_bytes(feistel_decrypt(pw, a_value), "big")
        client_public = unhide_element(hidden_x)
        valid = client_public is not None
        y = _cached_exponent() if _fault("eke2-cached-y") else draw_exponent()
        # Same work whatever the outcome: an invalid X' is refused only at EKE3 (EKE-X-3).
        shared = shared_secret(client_public if client_public is not None else G, y)
        valid = valid and shared is not None
        hidden_y = hide_element(pow(G, y, P))
        b_value = feistel_encrypt(pw, hidden_y.to_bytes(ELEMENT_BYTES, "big"))
        th = transcript_hash(user, a_value, b_value)
        if _fault("b17-th-user-chars"):
            th = hashlib.sha256(
                b"sft-eke/1 transcript" + len(user_text).to_bytes(2, "big") + user + a_value
                + b_value
            ).digest()
        keys = derive_keys(th, shared if shared is not None else secrets.token_bytes(ELEMENT_BYTES))
        server_nonce = secrets.token_bytes(32)
        c2 = AESGCM(keys.confirm_server).encrypt(NONCE_EKE2, server_nonce, b"EKE2" + th)
        throttle.begin(user_key, self.address)
        self.pending_user = user_key
        await self._send(encode_control(b"EKE2", {"b": b_value.hex(), "c": c2.hex()}))

        if _fault("b17-second-eke1"):
            frame_type, payload = await self._read_clear_frame(deadline)
            if frame_type == b"EKE1":  # "the client started over": a new handshake
                throttle._end_pending(user_key, self.address)
                self.pending_user = None
                return await self._handshake(deadline, parse_control(payload))
            if frame_type == b"EROR":
                raise Closed("the client sent EROR")
            if frame_type != b"EKE3":
                raise ProtocolFailure(Code.UNEXPECTED_FRAME, "expected EKE3")
            eke3 = parse_control(payload)
        else:
            eke3 = await self._expect(b"EKE3", deadline)
        client_nonce = self._verify_eke3(eke3, keys, th, server_nonce, valid)
        if client_nonce is None:
            raise ProtocolFailure(Code.AUTH_FAILED, "authentication failed")
        c4 = AESGCM(keys.confirm_server).encrypt(NONCE_EKE4, client_nonce, b"EKE4" + th)
        await self._send(encode_control(b"EKE4", {"c": c4.hex()}))
        throttle.succeeded(user_key, self.address)
        self.pending_user = None
        _log(f"login user={self.user_label!r} address={self.connection.address}")
        self.sender = RecordDirection(keys.key_s2c, keys.iv_s2c)
        self.receiver = RecordDirection(keys.key_c2s, keys.iv_c2s)

    @staticmethod
    def _verify_eke3(
        eke3: dict[str, Any], keys: SessionKeys, th: bytes, server_nonce: bytes, valid: bool
    ) -> bytes | None:
        try:
            c3 = member_hex(eke3, "c", 80, Code.AUTH_FAILED)
            plain = AESGCM(keys.confirm_client).decrypt(NONCE_EKE3, c3, b"EKE3" + th)
        except (ProtocolFailure, InvalidTag):
            return None
        if len(plain) != 64:
            return None
        if _fault("eke2-auth-message-cause") and plain[32:] != server_nonce:
            raise ProtocolFailure(Code.AUTH_FAILED, "server nonce mismatch")
        if _fault("eke2-ns-prefix"):
            nonce_ok = hmac.compare_digest(plain[32:48], server_nonce[:16])
        else:
            nonce_ok = hmac.compare_digest(plain[32:], server_nonce)
        if _fault("b17-invalid-x-valid-ignored"):
            valid = True  # (the flag set at EKE1 never reaches this check)
        return plain[:32] if nonce_ok and valid else None

    # -- records (§5.5) and the application (§3)

    async def _read_idle(self, count: int, timeout: float) -> bytes:
        """`count` bytes, the idle timeout counted from the last byte received (LIM-2),
        not from the start of the record."""
        if _fault("b14-idle-per-record"):  # one deadline for the whole record
            return await self._read_exactly(count, time.monotonic() + timeout)
        parts: list[bytes] = []
        left = count
        while left:
            try:
                async with asyncio.timeout(timeout):
                    chunk = await self.reader.read(min(left, 1 << 20))
            except TimeoutError:
                raise
            except (ConnectionError, OSError):
                raise Closed("connection lost") from None
            if not chunk:
                raise Closed("end of stream inside a frame or between frames")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    async def _read_record(self, timeout: float) -> tuple[bytes, bytes]:
        assert self.receiver is not None
        header = await self._read_idle(8, timeout)
        if header[:4] != b"RECD":
            raise Closed("plaintext frame after the handshake (EKE-REC-5)")
        length = int.from_bytes(header[4:], "big")
        if _fault("eke2-limit-after-payload"):
            sealed = await self._read_idle(length, timeout)
        if length > self.config.frame_limit - _fault("r2-record-limit-inclusive"):
            raise ProtocolFailure(Code.FRAME_TOO_LARGE, f"record of {length} bytes refused")
        if not _fault("eke2-limit-after-payload"):
            sealed = await self._read_idle(length, timeout)
        try:
            plain = self.receiver.open(header, sealed)
        except RecordAuthError:
            if not _fault("eke2-skip-bad-record"):
                raise
            return await self._read_record(timeout)
        frame_type, payload = split_inner_frame(plain)
        if frame_type not in APPLICATION_TYPES:
            if frame_type in PROFILE_TYPES:
                code = Code.UNEXPECTED_FRAME
                if _fault("r2-handshake-type-in-record-bad-frame"):
                    code = Code.BAD_FRAME
                raise ProtocolFailure(code, "frame not allowed after handshake")
            code = Code.UNEXPECTED_FRAME
            if _fault("r2-undefined-type-in-record-bad-frame"):
                code = Code.BAD_FRAME
            raise ProtocolFailure(code, "frame type not defined by sft-eke/1")
        limit = CONTROL_LIMIT - _fault("r2-record-control-limit-inclusive")
        if frame_type != b"DATA" and len(payload) > limit:
            raise ProtocolFailure(Code.FRAME_TOO_LARGE, "control payload above 65536 bytes")
        return frame_type, payload

    async def _next_frame(self, receiving: bool = False) -> tuple[bytes, bytes]:
        timeout = self.config.idle_timeout
        if receiving and _fault("eke2-no-idle-during-put"):
            timeout = 3600.0
        try:
            return await self._read_record(timeout)
        except TimeoutError:
            if _fault("r2-idle-timeout-silent"):
                raise Closed("idle timeout") from None
            raise ProtocolFailure(Code.TIMEOUT, "idle timeout") from None

    async def _serve_records(self) -> None:
        while True:
            frame_type, payload = await self._next_frame()
            if frame_type == b"EROR" and _fault("b27_eror_unparsed_skipped"):
                try:  # log why the client gave up
                    _log(f"client EROR code={member_int(parse_control(payload), 'code')}")
                except ProtocolFailure:
                    continue  # "not an EROR we can read: noise"
                return
            if frame_type == b"EROR":
                return
            if frame_type == b"BYE_":
                parse_control(payload)
                return
            if frame_type == b"RQFL":
                await self._serve_get(parse_control(payload))
            elif frame_type == b"PUTF":
                await self._serve_put(parse_control(payload))
            else:
                shown = f": {payload[:64]!r}" if _fault("eke2-eror-echoes-data") else ""
                raise ProtocolFailure(
                    Code.UNEXPECTED_FRAME,
                    f"{frame_type.decode()} not allowed between requests{shown}",
                )

    async def _refuse(self, code: Code, message: str) -> None:
        await self._send_frame(error_frame(code, message))

    async def _serve_get(self, request: dict[str, Any]) -> None:
        name = member_str(request, "name")
        shown = name[:64]
        if name_is_refused(name):
            await self._refuse(Code.FORBIDDEN, "name refused")
            return
        if _fault("b17-half-close-abort") and self.reader.at_eof():
            raise Closed("the client hung up: nobody to send to")
        opened = name.strip() if _fault("b17-name-strip") else name  # "pasted names"
        try:
            descriptor = open_in_share(self.config.share, opened)
        except ShareRefusal as refusal:
            refused = refusal.code == Code.FORBIDDEN
            await self._refuse(refusal.code, "name refused" if refused else "no such file")
            if refusal.code == Code.NOT_FOUND and _fault("r2-not-found-closes"):
                raise Closed("nothing to serve") from None
            return
        with os.fdopen(descriptor, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > self.config.max_file_size:
                await self._refuse(Code.TOO_LARGE, "file above the size limit")
                return
            announced = await asyncio.to_thread(_hash_file, handle, size)
            handle.seek(0)
            answered = name.split("/")[-1] if _fault("eke2-rsfl-basename") else name
            await self._send_frame(
                encode_control(b"RSFL", {"name": answered, "size": size, "sha256": announced})
            )
            digest = hashlib.sha256()
            sent = 0
            while _fault("b17-get-empty-tail"):  # read until a short chunk
                chunk = await asyncio.to_thread(handle.read, _CHUNK)
                digest.update(chunk)
                sent += len(chunk)
                await self._send_frame(encode_frame(b"DATA", chunk))
                if len(chunk) < _CHUNK:
                    break
            while _fault("b27_get_until_eof"):  # "stream the file to its end"
                chunk = await asyncio.to_thread(handle.read, _CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                sent += len(chunk)
                await self._send_frame(encode_frame(b"DATA", chunk))
            if _fault("b27_get_until_eof"):
                announced = digest.hexdigest()  # DONE vouches for what was sent
                size = sent
            while sent < size:
                chunk = await asyncio.to_thread(handle.read, min(_CHUNK, size - sent))
                if not chunk:
                    raise ProtocolFailure(Code.INTERNAL, "file shrank while being sent")
                digest.update(chunk)
                sent += len(chunk)
                await self._send_frame(encode_frame(b"DATA", chunk))
        if digest.hexdigest() != announced:
            raise ProtocolFailure(Code.INTERNAL, "file changed while being sent")
        await self._send_frame(encode_control(b"DONE", {"size": size, "sha256": announced}))
        _log(f"get user={self.user_label!r} name={shown!r} size={size} sent")

    async def _serve_put(self, offer: dict[str, Any]) -> None:
        name = member_str(offer, "name")
        size = member_int(offer, "size")
        offered_hash = member_sha256(offer, "sha256", required=False)
        if not self.config.put_enabled:
            await self._refuse(Code.UNSUPPORTED, "put is disabled")
            return
        if name_is_refused(name):
            await self._refuse(Code.FORBIDDEN, "name refused")
            return
        if size > self.config.max_file_size - _fault("r2-put-size-limit-inclusive"):
            await self._refuse(Code.TOO_LARGE, "size above the limit")
            return
        stored_name = name.split("/")[-1]
        final = self.config.inbox / (name if _fault("r2-put-full-name") else stored_name)
        looked_at = self.config.inbox / name if _fault("r12-exists-full-name") else final
        if os.path.lexists(looked_at) and not _fault("eke2-exists-late"):
            await self._refuse(Code.EXISTS, "a file of that name exists")
            return
        if _fault("b27_put_name_sticky"):  # APP-PUT-8's MAY: a put in progress is `exists`
            if stored_name in self.server.putting:
                await self._refuse(Code.EXISTS, "a put of that name is in progress")
                return
            self.server.putting.add(stored_name)
        mode = 0o644 if _fault("eke2-partial-0644") else 0o600
        self.partial, self.partial_fd = create_partial(self.config.inbox, mode)
        self.server.partials.add(self.partial)
        await self._send_frame(encode_control(b"RSFL", {"accept": True, "name": stored_name}))
        digest = hashlib.sha256()
        received = 0
        while True:
            frame_type, payload = await self._next_frame(receiving=True)
            if frame_type == b"DATA":
                top = DATA_LIMIT - _fault("b17-data-limit-exclusive")
                if not payload or len(payload) > top:
                    if payload or not _fault("eke2-empty-data"):
                        raise ProtocolFailure(Code.BAD_FRAME, "DATA of 1 to 1048576 bytes")
                late = _fault("eke2-extra-data-at-done")
                if received + len(payload) > size and not late:
                    shown = f": {payload[:64]!r}" if _fault("eke2-eror-echoes-data") else ""
                    raise ProtocolFailure(
                        Code.INTEGRITY_FAILED, f"more data than announced{shown}"
                    )
                digest.update(payload)
                received += len(payload)
                write_all(self.partial_fd, payload)
            elif frame_type == b"DONE":
                break
            elif frame_type == b"EROR":
                raise Closed("the client gave up its put")
            elif frame_type == b"BYE_" and _fault("b17-bye-during-put"):
                raise Closed("the client said goodbye")
            elif _fault("r12-put-denylist") and frame_type not in (b"RQFL", b"PUTF"):
                continue  # "only a second request breaks a put"
            else:
                raise ProtocolFailure(Code.UNEXPECTED_FRAME, "only DATA or DONE during a put")
        done = parse_control(payload)
        done_size = member_int(done, "size")
        done_hash = member_sha256(done, "sha256", required=True)
        actual = digest.hexdigest()
        if _fault("r12-offer-hash-trusted") and offered_hash is not None:
            actual = offered_hash  # "the client hashed it already"
        short = received != size and not _fault("r2-put-short-accepted")
        if short or done_size != size or done_hash != actual:
            raise ProtocolFailure(Code.INTEGRITY_FAILED, "size or SHA-256 mismatch")
        if offered_hash is not None and offered_hash != actual:
            if not _fault("eke2-offer-hash-ignored"):
                raise ProtocolFailure(Code.INTEGRITY_FAILED, "SHA-256 differs from the offer")
        partial, descriptor = self.partial, self.partial_fd
        self.server.partials.discard(partial)
        self.partial, self.partial_fd = None, None
        if _fault("r12-done-before-commit"):
            # "answer at once, the fsyncs are slow": committed by a thread after the DONE.
            await self._send_frame(encode_control(b"DONE", {"size": size, "sha256": actual}))
            await asyncio.sleep(0.3)  # stands for the fsyncs of a loaded disk
            with contextlib.suppress(OSError):
                await asyncio.to_thread(commit_partial, partial, descriptor, final, False)
            return
        try:
            commit_partial(partial, descriptor, final, replace=False)
        except FileExistsError:
            # APP-PUT-8: another put of this name was stored first.
            if _fault("r2-put-race-integrity"):
                raise ProtocolFailure(Code.INTEGRITY_FAILED, "could not store") from None
            await self._refuse(Code.EXISTS, "a file of that name exists")
            return
        self.server.putting.discard(stored_name)  # stored: (the fault's set) no longer putting
        await self._send_frame(encode_control(b"DONE", {"size": size, "sha256": actual}))
        _log(f"put user={self.user_label!r} name={stored_name[:64]!r} size={size} stored")


def _hash_file(handle: Any, size: int) -> str:
    digest = hashlib.sha256()
    left = size
    while left > 0:
        chunk = handle.read(min(_CHUNK, left))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


def sweep_partials(directory: Path, older_than: float | None) -> None:
    """APP-STORE-3: remove stale temporaries (all of them for a server's own inbox)."""
    now = time.time()
    for entry in directory.glob(f"{_PARTIAL_PREFIX}*"):
        with contextlib.suppress(OSError):
            if older_than is None or now - entry.lstat().st_mtime > older_than:
                entry.unlink()


async def serve(args: argparse.Namespace) -> int | None:
    """Serve until SIGTERM/SIGINT (None) or SIGHUP (the listening socket to restart on)."""
    store = Path(args.store)
    accounts = load_store(store)
    state = state_directory(store, args.state_dir)
    policy = ThrottlePolicy(
        failures=args.throttle_failures,
        base=args.throttle_base,
        cap=args.throttle_cap,
        pending_per_user=args.pending_per_user,
        pending_per_address=args.pending_per_address,
        lock_after=args.lock_after,
    )
    config = ServerConfig(
        share=Path(args.share),
        inbox=Path(args.inbox),
        handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout,
        frame_limit=args.max_frame,
        max_file_size=args.max_file_size,
        max_connections=args.max_connections,
        max_pending_per_address=args.max_pending_per_address,
        put_enabled=not args.no_put,
    )
    config.inbox.mkdir(parents=True, exist_ok=True)
    sweep_partials(config.inbox, None)
    throttle = Throttle(policy, state / "throttle.json")
    server = EkeServer(config, accounts, load_server_secret(state), throttle)
    if args.listen_fd is not None:
        # A restart (SIGHUP) keeps the listening socket: same host:port, no gap.
        listening = socket.socket(fileno=args.listen_fd)
        listener = await asyncio.start_server(server.handle, sock=listening)
    else:
        host, _, port = args.listen.rpartition(":")
        listener = await asyncio.start_server(server.handle, host.strip("[]"), int(port))
    bound = listener.sockets[0].getsockname()
    _log(
        "limits: "
        + " ".join(
            f"{k}={v}"
            for k, v in dataclasses.asdict(config).items()
            if k not in ("share", "inbox")
        )
        + " "
        + " ".join(f"{k}={v}" for k, v in dataclasses.asdict(policy).items())
    )
    # Who serves now, for `restart` (which waits until this line changes).
    write_private(state / "serving", f"{os.getpid()} {time.time_ns()}\n")
    print(f"listening on {bound[0]}:{bound[1]}", flush=True)
    stop = asyncio.Event()
    restart: list[int] = []
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def on_hangup() -> None:
        # Keep the listening socket open across the restart (closing the server would
        # close it): the new process serves the same host:port with no refused gap.
        if not restart:
            restart.append(os.dup(listener.sockets[0].fileno()))
        stop.set()

    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    async with listener:
        await stop.wait()
        listener.close()
        for connection in list(server.connections):
            if connection.task is not None:
                connection.task.cancel()
        await asyncio.sleep(0)
    for partial in list(server.partials):
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return restart[0] if restart else None


def restart_on(descriptor: int) -> NoReturn:
    """EKE-THR-8's restart: this same program again, serving the inherited socket."""
    os.set_inheritable(descriptor, True)
    argv = list(sys.argv[1:])
    if "--listen-fd" in argv:
        index = argv.index("--listen-fd")
        del argv[index : index + 2]
    _log("restarting (SIGHUP)")
    module = __spec__.name if __spec__ is not None else "eke2"
    os.execv(  # noqa: S606 - our own interpreter and module, argv as we were started
        sys.executable,
        [sys.executable, "-m", module, *argv, "--listen-fd", str(descriptor)],
    )


# ---------------------------------------------------------------------------
# the client


class ClientFailure(Exception):
    """A transfer failed; the message is for the user."""


_MESSAGE_NOT_SHOWN = "(the server's message is not shown: it quotes the password)"


def password_runs(password: str) -> frozenset[str]:
    """PWF-2: every run of 6 of the password's characters (the whole password when it is
    shorter), as typed and JSON-escaped, case folded: a server's message holding one is
    not shown."""
    runs: set[str] = set()
    for form in (password, json.dumps(password)[1:-1]):
        form = form.casefold()
        width = min(6, len(form))
        runs.update(form[i : i + width] for i in range(len(form) - width + 1) if width)
    return frozenset(runs)


_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX_TOKEN = re.compile(r"(?:[0-9a-fA-F]{2}){6,}")


def message_views(message: str) -> list[str]:
    """PWF-2 "in any encoding": a server's message as it came, URL-decoded, and with
    each base64 (standard or URL-safe) or hexadecimal token decoded -- a server echoing
    an `Authorization: Basic` line, a login URL or a hex dump holds the password so."""
    views = [message, urllib.parse.unquote_plus(message)]
    for token in _BASE64_TOKEN.findall(message):
        standard = token.replace("-", "+").replace("_", "/").rstrip("=")
        with contextlib.suppress(ValueError):
            raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
            views.append(raw.decode("utf-8", "replace"))
    views.extend(bytes.fromhex(t).decode("utf-8", "replace") for t in _HEX_TOKEN.findall(message))
    return views


class EkeClient:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        connect_timeout: float,
        handshake_timeout: float,
        idle_timeout: float,
        frame_limit: int = DEFAULT_FRAME_LIMIT,
    ) -> None:
        self.host, self.port = host, port
        self.user = user.encode("utf-8")
        self.user_text = user
        self.pw = password_key(self.user, password)
        self._password_runs = password_runs(password)  # PWF-2, not the password itself
        self.connect_timeout = connect_timeout
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
        self.frame_limit = frame_limit
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.sender: RecordDirection | None = None
        self.receiver: RecordDirection | None = None
        self._x = draw_exponent() if _fault("b17-client-x-per-client") else 0

    async def _read_exactly(self, count: int, timeout: float) -> bytes:
        assert self.reader is not None
        try:
            async with asyncio.timeout(timeout):
                return await self.reader.readexactly(count)
        except asyncio.IncompleteReadError:
            raise ClientFailure("the server closed the connection") from None
        except TimeoutError:
            raise ClientFailure("timed out waiting for the server") from None
        except (ConnectionError, OSError) as exc:
            raise ClientFailure(f"connection lost: {exc}") from None

    async def _write(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        try:
            async with asyncio.timeout(self.idle_timeout):
                await self.writer.drain()
        except (ConnectionError, OSError, TimeoutError):
            raise ClientFailure("connection lost while sending") from None

    async def send_frame(self, frame: bytes) -> None:
        await self._write(self.sender.seal(frame) if self.sender is not None else frame)

    async def fail(self, code: Code, message: str) -> NoReturn:
        """Tell the server (a fatal EROR) and give up."""
        with contextlib.suppress(ClientFailure, RecordLimitError):
            await self.send_frame(error_frame(code, message[:200]))
        self.close()
        raise ClientFailure(message)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def _read_clear(self, timeout: float) -> tuple[bytes, bytes]:
        header = await self._read_exactly(8, timeout)
        try:
            frame_type, length = check_header(header, self.frame_limit)
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)
        if _fault("b27_client_hs_eof_partial") and length and self.reader is not None:
            # "the announced length may count trailing white space: what came is the JSON"
            try:
                async with asyncio.timeout(timeout):
                    return frame_type, await self.reader.readexactly(length)
            except asyncio.IncompleteReadError as short:
                if short.partial:
                    return frame_type, short.partial
                raise ClientFailure("the server closed the connection") from None
        payload = await self._read_exactly(length, timeout) if length else b""
        return frame_type, payload

    def _server_error(self, payload: bytes) -> tuple[Code, str, int | None]:
        try:
            members = parse_control(payload)
            raw_code = member_int(members, "code")
        except ProtocolFailure:
            return Code.INTERNAL, "malformed EROR", None
        try:
            code = Code(raw_code)
        except ValueError:
            code = Code.INTERNAL  # ERR-4
        message = members.get("message")
        retry = members.get("retry_after")
        retry_after = retry if isinstance(retry, int) and not isinstance(retry, bool) else None
        if not isinstance(message, str):
            return code, "", retry_after
        folded = [view.casefold() for view in message_views(message)]
        if any(run in view for view in folded for run in self._password_runs):
            return code, _MESSAGE_NOT_SHOWN, retry_after  # PWF-2: never shown
        return code, message[:200], retry_after

    async def _parse_or_fail(self, payload: bytes) -> dict[str, Any]:
        if _fault("b17-client-dup-keys"):  # "the server is authenticated: plain JSON"
            with contextlib.suppress(ValueError, ProtocolFailure):
                value = json.loads(payload, parse_constant=_refuse_constant)
                if isinstance(value, dict):
                    return value
        try:
            return parse_control(payload)
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)

    async def connect(self) -> None:
        for attempt in range(4):
            busy_wait = await self._connect_once()
            if busy_wait is None:
                return
            if attempt == 3 or busy_wait > 5:
                raise ClientFailure("server busy; giving up")
            if _fault("r12-client-retry-after-ms"):
                await asyncio.sleep(busy_wait / 1000 + random.uniform(0, 0.5))
                continue
            await asyncio.sleep(busy_wait + random.uniform(0, 0.5))
        raise ClientFailure("server busy; giving up")

    async def _connect_once(self) -> int | None:
        try:
            async with asyncio.timeout(self.connect_timeout):
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise ClientFailure(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        self.sender = self.receiver = None
        try:
            return await self._handshake()
        except ClientFailure:
            self.close()
            raise

    async def _handshake(self) -> int | None:
        x = self._x or draw_exponent()
        hidden_x = hide_element(pow(G, x, P))
        a_value = feistel_encrypt(self.pw, hidden_x.to_bytes(ELEMENT_BYTES, "big"))
        await self._write(encode_control(b"EKE1", {"user": self.user_text, "a": a_value.hex()}))
        frame_type, payload = await self._read_clear(self.handshake_timeout)
        if frame_type == b"EROR":
            code, message, retry_after = self._server_error(payload)
            self.close()
            if code == Code.BUSY:
                return max(1, retry_after or 1)
            if code == Code.THROTTLED:
                raise ClientFailure(f"throttled: retry after {retry_after} s")
            if code == Code.TIMEOUT:
                raise ClientFailure("timed out before the handshake finished")
            raise ClientFailure(f"server refused the handshake: {code.name.lower()} {message}")
        if frame_type != b"EKE2":
            await self.fail(Code.UNEXPECTED_FRAME, f"expected EKE2, got {frame_type!r}")
        eke2 = await self._parse_or_fail(payload)
        try:
            b_value = member_hex(eke2, "b", ELEMENT_BYTES, Code.BAD_FRAME)
            c2 = member_hex(eke2, "c", 48, Code.BAD_FRAME)
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)
        wrong = "wrong password or unknown user"
        hidden_y = int.from_bytes(feistel_decrypt(self.pw, b_value), "big")
        if _fault("r2-client-y-reduced"):
            hidden_y %= P  # "an element is a residue mod p"
        server_public = unhide_element(hidden_y)
        if server_public is None:
            await self.fail(Code.AUTH_FAILED, wrong)
        shared = shared_secret(server_public, x)
        if shared is None:
            await self.fail(Code.AUTH_FAILED, wrong)
        th = transcript_hash(self.user, a_value, b_value)
        keys = derive_keys(th, shared)
        try:
            server_nonce = AESGCM(keys.confirm_server).decrypt(NONCE_EKE2, c2, b"EKE2" + th)
        except InvalidTag:
            await self.fail(Code.AUTH_FAILED, wrong)
        if len(server_nonce) != 32:
            await self.fail(Code.AUTH_FAILED, wrong)
        client_nonce = secrets.token_bytes(32)
        c3 = AESGCM(keys.confirm_client).encrypt(
            NONCE_EKE3, client_nonce + server_nonce, b"EKE3" + th
        )
        await self._write(encode_control(b"EKE3", {"c": c3.hex()}))
        frame_type, payload = await self._read_clear(self.handshake_timeout)
        impostor = "the server failed to prove it knows the password (possible impostor)"
        if frame_type == b"EROR":
            code, message, _ = self._server_error(payload)
            self.close()
            if code == Code.AUTH_FAILED:
                raise ClientFailure(wrong)
            raise ClientFailure(f"server refused the handshake: {code.name.lower()} {message}")
        if frame_type != b"EKE4":
            await self.fail(Code.UNEXPECTED_FRAME, f"expected EKE4, got {frame_type!r}")
        eke4 = await self._parse_or_fail(payload)
        try:
            c4 = member_hex(eke4, "c", 48, Code.BAD_FRAME)
            echoed = AESGCM(keys.confirm_server).decrypt(NONCE_EKE4, c4, b"EKE4" + th)
        except (ProtocolFailure, InvalidTag):
            await self.fail(Code.AUTH_FAILED, impostor)
        if not hmac.compare_digest(echoed, client_nonce) and not _fault("eke2-client-no-na"):
            await self.fail(Code.AUTH_FAILED, impostor)
        self.sender = RecordDirection(keys.key_c2s, keys.iv_c2s)
        self.receiver = RecordDirection(keys.key_s2c, keys.iv_s2c)
        return None

    async def read_frame(self, timeout: float) -> tuple[bytes, bytes]:
        """The next application frame; an EROR from the server raises ClientFailure."""
        assert self.receiver is not None
        header = await self._read_exactly(8, timeout)
        if header[:4] != b"RECD":
            if _fault("r2-client-plaintext-taken") and header[:4] in APPLICATION_TYPES:
                length = int.from_bytes(header[4:], "big")
                plain = header + await self._read_exactly(length, timeout)
                return self._application_frame(plain)
            self.close()
            raise ClientFailure("plaintext frame after the handshake")
        length = int.from_bytes(header[4:], "big")
        if _fault("r2-client-limit-after-payload"):
            sealed = await self._read_exactly(length, timeout)
        if length > self.frame_limit:
            await self.fail(Code.FRAME_TOO_LARGE, f"record of {length} bytes refused")
        if not _fault("r2-client-limit-after-payload"):
            sealed = await self._read_exactly(length, timeout)
        try:
            plain = self.receiver.open(header, sealed)
        except (RecordAuthError, RecordLimitError) as exc:
            if _fault("r2-client-skip-bad-record") and isinstance(exc, RecordAuthError):
                return await self.read_frame(timeout)  # "a damaged record: wait for the next"
            self.close()
            raise ClientFailure(f"record refused: {exc}") from None
        try:
            frame_type, payload = split_inner_frame(plain)
            if frame_type not in APPLICATION_TYPES:
                raise ProtocolFailure(Code.UNEXPECTED_FRAME, f"unexpected frame {frame_type!r}")
            big = len(payload) > CONTROL_LIMIT and not _fault("r2-client-no-control-limit")
            if frame_type != b"DATA" and big:
                raise ProtocolFailure(Code.FRAME_TOO_LARGE, "control payload above 65536 bytes")
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)
        if frame_type == b"EROR":
            code, message, _ = self._server_error(payload)
            if _fault("b27_client_unknown_code_bye"):
                with contextlib.suppress(ProtocolFailure):
                    raw = member_int(parse_control(payload), "code")
                    if raw not in _FATAL_CODES:  # "a refusal, not an error: leave politely"
                        await self.bye()
            self.close()
            raise ClientFailure(f"server: {code.name.lower()}: {message}")
        return frame_type, payload

    def _application_frame(self, plain: bytes) -> tuple[bytes, bytes]:
        """Only for the fault r2-client-plaintext-taken: a clear frame taken as a record's."""
        frame_type, payload = split_inner_frame(plain)
        if frame_type == b"EROR":
            code, message, _ = self._server_error(payload)
            self.close()
            raise ClientFailure(f"server: {code.name.lower()}: {message}")
        return frame_type, payload

    async def bye(self) -> None:
        # the fault b27_client_bye_empty: "BYE_ carries nothing", a payload of 0 bytes
        frame = encode_frame(b"BYE_", b"") if _fault("b27_client_bye_empty") else None
        with contextlib.suppress(ClientFailure, RecordLimitError):
            await self.send_frame(frame or encode_control(b"BYE_", {}))
        self.close()

    # -- get

    async def get(self, name: str, output: Path, force: bool) -> int:
        await self.send_frame(encode_control(b"RQFL", {"name": name}))
        frame_type, payload = await self.read_frame(self.idle_timeout)
        if frame_type != b"RSFL":
            await self.fail(Code.UNEXPECTED_FRAME, f"expected RSFL, got {frame_type!r}")
        answer = await self._parse_or_fail(payload)
        try:
            answered_name = member_str(answer, "name")
            if _fault("b27_client_rsfl_size_unchecked"):
                size = answer["size"]  # "the server is authenticated: its RSFL is well-formed"
            else:
                size = member_int(answer, "size")
            if _fault("b27_client_sha256_null_absent") and answer.get("sha256") is None:
                announced = None  # "null: the server did not hash it"
            else:
                announced = member_sha256(answer, "sha256", required=False)
            if _fault("b27_client_rsfl_strict") and set(answer) - {"name", "size", "sha256"}:
                raise ProtocolFailure(Code.BAD_FRAME, "RSFL with members it does not define")
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)
        if answered_name != name:
            await self.fail(Code.BAD_FRAME, "RSFL names another file")
        if _fault("r12-client-writes-final"):
            return await self._get_in_place(output, size, announced, force)
        mode = 0o644 if _fault("eke2-client-partial-0644") else 0o600
        partial, descriptor = create_partial(output.parent, mode)
        _ACTIVE_PARTIALS.add(partial)
        try:
            received = await self._receive_body(descriptor, size, announced)
            partial_fd, descriptor = descriptor, -1
            try:
                # b27_client_commit_replace: "the output was checked at start: rename over"
                replace = force or _fault("eke2-client-replace") or _fault(
                    "b27_client_commit_replace"
                )
                commit_partial(partial, partial_fd, output, replace=replace)
            except FileExistsError:
                raise ClientFailure(f"{output} exists (use --force)") from None
        finally:
            _ACTIVE_PARTIALS.discard(partial)
            kept = _fault("eke2-client-keeps-partial")
            discard_partial(None if kept else partial, descriptor if descriptor >= 0 else None)
        await self.bye()
        return received

    async def _get_in_place(
        self, output: Path, size: int, announced: str | None, force: bool
    ) -> int:
        """The fault r12-client-writes-final: no temporary, the final name unlinked on failure."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
        try:
            descriptor = os.open(output, flags, 0o600)
        except FileExistsError:
            raise ClientFailure(f"{output} exists (use --force)") from None
        _ACTIVE_PARTIALS.add(output)
        done = False
        try:
            received = await self._receive_body(descriptor, size, announced)
            os.fsync(descriptor)
            done = True
        finally:
            os.close(descriptor)
            _ACTIVE_PARTIALS.discard(output)
            if not done:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(output)
        await self.bye()
        return received

    async def _receive_body(self, descriptor: int, size: int, announced: str | None) -> int:
        digest = hashlib.sha256()
        received = 0
        while True:
            try:
                frame_type, payload = await self.read_frame(self.idle_timeout)
            except ClientFailure:
                if _fault("eke2-client-eof-done") and received == size:
                    return received
                raise
            if frame_type == b"DATA":
                empty = not payload and not _fault("r2-client-empty-data")
                if empty or len(payload) > DATA_LIMIT:
                    await self.fail(Code.BAD_FRAME, "DATA of 1 to 1048576 bytes")
                if received + len(payload) > size:
                    await self.fail(Code.INTEGRITY_FAILED, "more data than announced")
                digest.update(payload)
                received += len(payload)
                if _fault("r13-client-short-write-ignored"):
                    os.write(descriptor, payload)
                else:
                    write_all(descriptor, payload)
            elif frame_type == b"DONE":
                break
            else:
                await self.fail(Code.UNEXPECTED_FRAME, f"unexpected {frame_type!r} during a get")
        done = await self._parse_or_fail(payload)
        try:
            done_size = member_int(done, "size")
            done_hash = member_sha256(done, "sha256", required=True)
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)
        actual = digest.hexdigest()
        if _fault("eke2-client-no-hash"):
            done_hash, announced = actual, None
        if _fault("r2-client-done-size-ignored"):
            done_size = size
        if _fault("r12-client-trusts-done-size"):
            size = done_size  # "DONE says how much was sent"
        bad = received != size or done_size != size or done_hash != actual
        bad = bad or (announced is not None and announced != actual)
        if bad and _fault("b17-client-integrity-no-eror"):
            self.close()  # "nothing more to say to that server"
            raise ClientFailure("size or SHA-256 mismatch")
        if received != size or done_size != size or done_hash != actual:
            await self.fail(Code.INTEGRITY_FAILED, "size or SHA-256 mismatch")
        if announced is not None and announced != actual:
            await self.fail(Code.INTEGRITY_FAILED, "SHA-256 differs from RSFL")
        return received

    # -- put

    async def put(self, source: Path, name: str) -> int:
        with source.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            file_hash = await asyncio.to_thread(_hash_file, handle, size)
            await self.send_frame(
                encode_control(b"PUTF", {"name": name, "size": size, "sha256": file_hash})
            )
            frame_type, payload = await self.read_frame(self.idle_timeout)
            if frame_type != b"RSFL":
                await self.fail(Code.UNEXPECTED_FRAME, f"expected RSFL, got {frame_type!r}")
            answer = await self._parse_or_fail(payload)
            accepted = answer.get("accept") is True or _fault("eke2-client-any-rsfl")
            if not accepted or not isinstance(answer.get("name"), str):
                await self.fail(Code.BAD_FRAME, "RSFL does not accept the put")
            handle.seek(0)
            digest = hashlib.sha256()
            sent = 0
            while _fault("b17-client-put-empty-tail"):  # read until a short chunk
                chunk = await asyncio.to_thread(handle.read, _CHUNK)
                digest.update(chunk)
                sent += len(chunk)
                await self.send_frame(encode_frame(b"DATA", chunk))
                if len(chunk) < _CHUNK:
                    break
            while sent < size:
                chunk = await asyncio.to_thread(handle.read, min(_CHUNK, size - sent))
                if not chunk:
                    await self.fail(Code.INTERNAL, "local file shrank while being sent")
                digest.update(chunk)
                sent += len(chunk)
                await self.send_frame(encode_frame(b"DATA", chunk))
        if digest.hexdigest() != file_hash:
            await self.fail(Code.INTERNAL, "local file changed while being sent")
        await self.send_frame(encode_control(b"DONE", {"size": size, "sha256": file_hash}))
        if _fault("eke2-client-put-no-done"):
            self.close()
            return size
        try:
            frame_type, payload = await self.read_frame(self.idle_timeout)
        except ClientFailure as failure:
            if _fault("r2-client-put-exists-is-done") and str(failure).startswith("server: exists"):
                return size  # "the file is there: someone stored it"
            raise
        if frame_type != b"DONE":
            await self.fail(Code.UNEXPECTED_FRAME, f"expected DONE, got {frame_type!r}")
        done = await self._parse_or_fail(payload)
        try:
            confirmed_size = member_int(done, "size")
            confirmed_hash = member_sha256(done, "sha256", required=True)
        except ProtocolFailure as failure:
            await self.fail(failure.code, failure.message)
        if confirmed_size != size or confirmed_hash != file_hash:
            await self.fail(Code.INTEGRITY_FAILED, "the server stored something else")
        await self.bye()
        return size


_ACTIVE_PARTIALS: set[Path] = set()
# Only for the fault b27_client_unknown_code_bye: the fatal codes of ERR-2's table.
_FATAL_CODES = frozenset({1, 2, 3, 4, 8, 9, 10, 11, 14})


def _split_target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"not HOST:PORT: {text!r}")
    return host.strip("[]"), int(port)


async def _client_command(args: argparse.Namespace, password: str) -> int:
    host, port = _split_target(args.target)
    client = EkeClient(
        host,
        port,
        args.user,
        password,
        connect_timeout=args.connect_timeout,
        handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout,
        frame_limit=args.max_frame,
    )
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await client.connect()
        if args.command == "get":
            size = await client.get(args.name, Path(args.output), args.force)
            _quiet_print(args, f"got {args.name} ({size} bytes) -> {args.output}")
        else:
            stored = args.as_name or Path(args.file).name
            size = await client.put(Path(args.file), stored)
            _quiet_print(args, f"put {args.file} as {stored} ({size} bytes)")
        return 0
    except asyncio.CancelledError:
        client.close()
        print("eke2: interrupted", file=sys.stderr)
        return 130
    finally:
        for partial in list(_ACTIVE_PARTIALS):
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()


def _quiet_print(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


def client_main(args: argparse.Namespace) -> int:
    password = read_password(args)
    if args.command == "get":
        output = Path(args.output if args.output else Path(args.name).name)
        args.output = str(output)
        if output.exists() and not args.force and not _fault("eke2-client-replace"):
            raise UsageError(f"{output} exists (use --force)")
        sweep_partials(output.parent if str(output.parent) else Path("."), args.idle_timeout)
    elif not Path(args.file).is_file():
        raise UsageError(f"{args.file}: not a file")
    try:
        return asyncio.run(_client_command(args, password))
    except ClientFailure as failure:
        print(f"eke2: {failure}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------------
# command line


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eke2", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def password_options(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group()
        group.add_argument("--password-file")
        group.add_argument("--password-stdin", action="store_true")

    user = commands.add_parser("user", help="manage the password store")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add")
    add.add_argument("name")
    add.add_argument("--store", required=True)
    password_options(add)
    unlock = user_commands.add_parser("unlock")
    unlock.add_argument("name")
    unlock.add_argument("--store", required=True)
    unlock.add_argument("--state-dir")

    restart = commands.add_parser("restart", help="restart a running server (SIGHUP)")
    restart.add_argument("--store", required=True)
    restart.add_argument("--state-dir")
    restart.add_argument("--timeout", type=float, default=30.0)

    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--listen", default="127.0.0.1:7000")
    serve_parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve_parser.add_argument("--store", required=True)
    serve_parser.add_argument("--state-dir")
    serve_parser.add_argument("--share", required=True)
    serve_parser.add_argument("--inbox", required=True)
    serve_parser.add_argument("--handshake-timeout", type=float, default=10.0)
    serve_parser.add_argument("--idle-timeout", type=float, default=60.0)
    serve_parser.add_argument("--max-frame", type=int, default=DEFAULT_FRAME_LIMIT)
    serve_parser.add_argument("--max-file-size", type=parse_size, default=4 * 2**30)
    serve_parser.add_argument("--max-connections", type=int, default=64)
    serve_parser.add_argument("--max-pending-per-address", type=int, default=8)
    serve_parser.add_argument("--throttle-failures", type=int, default=5)
    serve_parser.add_argument("--throttle-base", type=float, default=1.0)
    serve_parser.add_argument("--throttle-cap", type=float, default=300.0)
    serve_parser.add_argument("--pending-per-user", type=int, default=4)
    serve_parser.add_argument("--pending-per-address", type=int, default=8)
    serve_parser.add_argument("--lock-after", type=int, default=100)
    serve_parser.add_argument("--no-put", action="store_true")

    for command in ("get", "put"):
        sub = commands.add_parser(command)
        sub.add_argument("target", help="HOST:PORT")
        if command == "get":
            sub.add_argument("name")
            sub.add_argument("-o", "--output")
            sub.add_argument("--force", action="store_true")
        else:
            sub.add_argument("file")
            sub.add_argument("--as", dest="as_name")
        sub.add_argument("--user", required=True)
        password_options(sub)
        sub.add_argument("--connect-timeout", type=float, default=10.0)
        sub.add_argument("--handshake-timeout", type=float, default=10.0)
        sub.add_argument("--idle-timeout", type=float, default=60.0)
        sub.add_argument("--max-frame", type=int, default=DEFAULT_FRAME_LIMIT)
        sub.add_argument("-q", "--quiet", action="store_true")
    return parser


def _restart_command(args: argparse.Namespace) -> int:
    """SIGHUP the server of this state directory and return once its successor serves."""
    serving = state_directory(Path(args.store), args.state_dir) / "serving"
    before = serving.read_text(encoding="ascii")
    os.kill(int(before.split()[0]), signal.SIGHUP)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if serving.read_text(encoding="ascii") != before:
                return 0
        time.sleep(0.05)  # polling a file the server rewrites once it listens again
    print(f"eke2: the server did not restart within {args.timeout:g} s", file=sys.stderr)
    return 1


def _user_command(args: argparse.Namespace) -> int:
    store = Path(args.store)
    user = args.name.encode("utf-8")
    if args.user_command == "unlock":
        state = state_directory(store, args.state_dir)
        throttle = Throttle(ThrottlePolicy(), state / "throttle.json")
        found = throttle.unlock(user.hex())
        print(f"{args.name}: {'unlocked' if found else 'had no failures'}", file=sys.stderr)
        return 0
    if not valid_user_name(user):
        raise UsageError("a user name is 1-64 bytes of UTF-8 without control characters")
    accounts = load_store(store) if store.exists() else {}
    if user in accounts:
        raise UsageError(f"user {args.name!r} exists")
    accounts[user] = password_key(user, read_password(args))
    save_store(store, accounts)
    return 0


def main(argv: list[str] | None = None) -> int:
    global _ACTIVE_FAULTS
    _ACTIVE_FAULTS = _read_active_faults()
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "user":
            return _user_command(args)
        if args.command == "restart":
            return _restart_command(args)
        if args.command == "serve":
            descriptor = asyncio.run(serve(args))
            if descriptor is not None:
                restart_on(descriptor)
            return 0
        return client_main(args)
    except UsageError as error:
        print(f"eke2: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
