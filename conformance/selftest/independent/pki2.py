"""pki2: a second clean-room sft-pki/1 responder and initiator, from docs/SPEC.md alone.

Written without reading the reference, the suite's modules or pki1.py, in another style:
TLS is driven by hand through `ssl.SSLObject` over memory BIOs on plain asyncio streams
(so this code, not asyncio's SSL transport, decides when close_notify, FIN and the TCP
close happen), the TLS 1.3 groups and signature algorithms are pinned by calling
`SSL_CTX_ctrl` of the `libssl` that `_ssl` is linked against (through `ctypes`), and the
certificate, CRL and identity checks are done again in this module on `cryptography`.

    python -m conformance.selftest.independent.pki2 serve --listen 127.0.0.1:0 \
        --cert C --key K --root R (--ca-url URL | --crl-file F) --share DIR --inbox DIR \
        [--allow ALIAS ...] [--no-put] [--handshake-timeout S] [--idle-timeout S] \
        [--max-file-size N] [--frame-limit N] [--max-connections N] \
        [--max-pending-per-address N] [--crl-refresh S]
    python -m conformance.selftest.independent.pki2 get ALIAS@HOST:PORT NAME -o OUT \
        --cert C --key K --root R (--ca-url URL | --crl-file F) [--force]
    python -m conformance.selftest.independent.pki2 put ALIAS@HOST:PORT FILE [--as NAME] \
        --cert C --key K --root R (--ca-url URL | --crl-file F)

The responder prints `listening on HOST:PORT (pki2)` (stdout, flushed) once it accepts.
Exit codes of the initiator: 0 done, 1 the transfer failed, 2 bad usage or set-up.

Choices where the SPEC leaves one (listed so a reader can see what the suite must allow):

- TLS: handshake over `SSLObject`/`MemoryBIO`; TLS 1.3 only; groups X25519:P-256:P-384;
  signature algorithms ecdsa_secp256r1_sha256 and rsa_pss_rsae_sha256/384/512 (the
  initiator also lists rsa_pkcs1_sha256, for the root's signatures on certificates);
  cipher suites left at OpenSSL 3's default (the three GCM/ChaCha suites, no CCM); no
  session tickets (`num_tickets = 0`); no key log.
- Closing: close_notify, then a half-close (FIN), then up to 1 s reading and discarding
  whatever the peer still sends, then the socket close (so unread input does not turn
  the close into a reset). `BYE_` is not echoed.
- A certificate refused after the handshake (EKU, BasicConstraints, KeyUsage, key type,
  hash, CN count, alias syntax, CRL) gets `EROR auth_failed` then close_notify; a missing
  or wrong ALPN gets close_notify without an `EROR`. Certificates that OpenSSL refuses
  in the handshake (dates, foreign issuer, chain) get OpenSSL's alert.
- A peer certificate whose CN is not a valid alias (PKI-CERT-2) is refused, at the
  responder too (it cannot have been issued by a conforming CA).
- KeyUsage must hold digitalSignature and neither keyCertSign nor cRLSign; the
  criticality of BasicConstraints and KeyUsage is not checked.
- CRL: fetched from the CA (`GET /v1/crl`, HTTP/1.1 over TLS 1.3, the CA's name checked
  against its subjectAltName only) at start — the responder refuses to start without one —
  and refetched every `--crl-refresh` s (default 300); a CRL past its nextUpdate, without
  one, or living more than 7 days refuses every peer and triggers a refetch. A CRL whose
  thisUpdate is more than 300 s in the future is refused.
- Order of the header checks: type bytes (`bad_frame`), length against the frame limit
  (`frame_too_large`), undefined type or not allowed in the state (`unexpected_frame`,
  decided from the header: the payload is not read), control payload above 65 536
  (`frame_too_large`), DATA of 0 or more than 1 MiB (`bad_frame`), DATA beyond the put's
  announced size (`integrity_failed`) — all before the payload is read.
- A lone surrogate in any JSON string is `bad_frame` (FRM-15's first reading).
- A name above 4096 bytes or with a component above 255 bytes is `forbidden`.
- Symbolic links that stay inside the share are followed (APP-NAME-4 allows it): the name
  is resolved with `realpath`, confined by path components, then opened component by
  component with `O_NOFOLLOW` relative to the share's descriptor, so a link swapped in
  after the check makes the open fail (`forbidden`).
- A get of a `.sft-partial-*` name is `not_found`; the get's `RSFL` carries no `sha256`;
  DATA frames carry 200 000 bytes (the last one less).
- Put checks in this order: allow list, size (`too_large`), name (`forbidden`), existence
  (`exists`); the put's `RSFL` names the basename. An alias not on the allow list gets
  `forbidden` for its first request, then close_notify.
- A connection that ends with a bare FIN (no close_notify) still gets our close_notify.
- The initiator sends `sha256` in `PUTF`, fails a get whose `RSFL.name` differs from its
  request with `EROR bad_frame`, refuses before connecting when the output file exists
  (unless `--force`), sends `BYE_` after its transfer and then closes.
- Logging: one line per event on stderr (`pki2: ...`).

Planted faults: `SFT_INDEPENDENT_FAULTS=name[,name]` (read once at start) switches on the
mistakes listed in `FAULTS`, each breaking one requirement (test_pki2.py plants them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import datetime
import enum
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import stat
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "FAULTS",
    "Fault",
    "ErrorCode",
    "FrameError",
    "PeerRefused",
    "check_name",
    "parse_control",
    "judge_certificate",
    "main",
]


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One planted mistake: the requirement it breaks and the case file(s) that judge it
    (`test_file`: one name, or several separated by spaces)."""

    requirement: str
    test_file: str
    description: str
    client: bool = False


FAULTS: dict[str, Fault] = {
    "tls-bare-close": Fault(
        "PKI-TLS-7", "test_pki_tls.py", "responder: TCP close without close_notify"
    ),
    "tls12-allowed": Fault(
        "PKI-TLS-1", "test_pki_tls.py", "responder: TLS 1.2 accepted (minimum left at 1.2)"
    ),
    "alpn-not-enforced": Fault(
        "PKI-TLS-2", "test_pki_tls.py", "responder: a connection without sft-pki/1 served"
    ),
    "crl-not-checked": Fault(
        "PKI-CERT-7", "test_pki_certs.py", "responder: the CRL is loaded but never consulted"
    ),
    "crl-first-entry-only": Fault(
        "PKI-CERT-11", "test_pki_certs.py", "responder: only the CRL's first entry compared"
    ),
    "eku-missing-is-any": Fault(
        "PKI-CERT-5",
        "test_pki_certs.py",
        "responder: a certificate without EKU taken as good for any purpose (RFC 5280)",
    ),
    "ca-true-accepted": Fault(
        "PKI-CERT-6", "test_pki_certs.py", "responder: BasicConstraints CA:TRUE accepted"
    ),
    "initiator-cn-prefix": Fault(
        "PKI-ID-4",
        "test_pki_identity.py",
        "initiator: the responder's CN need only start with the alias",
        client=True,
    ),
    "initiator-no-cn-check": Fault(
        "PKI-ID-1", "test_pki_identity.py", "initiator: the responder's CN not compared", True
    ),
    "name-dotdot-normalised": Fault(
        "APP-NAME-2", "test_app_names.py", "responder: `a/../b` normalised to `b`, not refused"
    ),
    "name-c1-allowed": Fault(
        "APP-NAME-8",
        "test_app_names_controls.py",
        "responder: C1 controls and bidi overrides allowed",
    ),
    "put-overwrites": Fault(
        "APP-PUT-3", "test_app_put.py", "responder: a put replaces an existing file"
    ),
    "put-extra-data-late": Fault(
        "APP-PUT-6", "test_app_put.py", "responder: data beyond the size noticed only at DONE"
    ),
    "frame-limit-after-payload": Fault(
        "FRM-3", "test_framing.py", "responder: an oversize frame's payload awaited first"
    ),
    "json-duplicates-accepted": Fault(
        "FRM-9", "test_framing.py", "responder: duplicate JSON keys accepted (last wins)"
    ),
    "bool-as-integer": Fault(
        "FRM-11", "test_framing.py", "responder: `true` accepted as the integer 1"
    ),
    "no-idle-timeout": Fault("LIM-2", "test_limits.py", "responder: no idle timeout"),
    "no-close-after-fatal": Fault(
        "ERR-3", "test_framing.py", "responder: the connection stays open after a fatal EROR"
    ),
    "initiator-sha-unchecked": Fault(
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "initiator: DONE's sha256 not compared",
        client=True,
    ),
    "initiator-eof-is-done": Fault(
        "APP-GET-5",
        "test_pki_initiator_transfer.py",
        "initiator: EOF after the announced size taken as the end",
        client=True,
    ),
    "initiator-accept-truthy": Fault(
        "APP-PUT-9", "test_client_put.py", "initiator: `accept: 1` taken as acceptance", True
    ),
    "put-path-flattened": Fault(
        "APP-PUT-2", "test_app_put.py", "responder: `dir/x` stored as `dir_x`, not its basename"
    ),
    "put-temp-0644": Fault(
        "APP-STORE-1", "test_app_put.py", "responder: the put's temporary created 0644"
    ),
    "put-reserved-prefix": Fault(
        "APP-NAME-9", "test_app_reserved_names.py", "responder: a put may name `.sft-partial-*`"
    ),
    "drive-letter-allowed": Fault(
        "APP-NAME-2", "test_app_names.py", "responder: `C:x` taken as a relative name"
    ),
    "name-total-255": Fault(
        "APP-NAME-7", "test_app_names.py", "responder: names above 255 bytes refused as a whole"
    ),
    "too-large-inclusive": Fault(
        "APP-PUT-7", "test_app_put.py", "responder: a put of exactly the maximum size too_large"
    ),
    "empty-data-accepted": Fault("FRM-13", "test_framing.py", "responder: an empty DATA taken"),
    "key-usage-unchecked": Fault(
        "PKI-CERT-9", "test_pki_certs.py", "responder: the KeyUsage is not looked at"
    ),
    "any-sha2-accepted": Fault(
        "PKI-CERT-9", "test_pki_certs.py", "responder: SHA-384/512 signatures accepted"
    ),
    "allow-list-prefix": Fault(
        "PKI-ID-4", "test_pki_identity.py", "responder: allowed when an allowed alias is a prefix"
    ),
    "groups-not-pinned": Fault(
        "PKI-TLS-9", "test_pki_hardening.py", "responder: OpenSSL's default groups (ffdhe, x448)"
    ),
    "no-handshake-timeout": Fault("LIM-1", "test_limits.py", "responder: no handshake deadline"),
    "no-eviction": Fault(
        "LIM-9", "test_lockout.py", "responder: a full house refuses, never evicts a handshake"
    ),
    "sha256-any-case": Fault(
        "FRM-12", "test_framing.py", "responder: upper-case sha256 digits accepted"
    ),
    "control-limit-off-by-one": Fault(
        "FRM-8", "test_framing.py", "responder: a control payload of exactly 65536 refused"
    ),
    "initiator-no-crl": Fault(
        "PKI-CERT-7", "test_pki_certs.py", "initiator: the CRL is not consulted", client=True
    ),
    "initiator-keeps-temp": Fault(
        "APP-STORE-3",
        "test_pki_initiator_transfer.py",
        "initiator: the temporary left behind after a failed get",
        client=True,
    ),
    "initiator-saves-rsfl-name": Fault(
        "APP-GET-7",
        "test_pki_initiator_transfer.py",
        "initiator: a renamed RSFL saved under its name beside the output",
        client=True,
    ),
    "bye-during-put": Fault(
        "APP-BYE-1", "test_app_put.py", "responder: BYE_ in the middle of a put ends it quietly"
    ),
    "confined-by-prefix": Fault(
        "APP-NAME-4", "test_app_names.py", "responder: confinement by string prefix of the path"
    ),
    "existence-first": Fault(
        "APP-NAME-6",
        "test_app_names.py",
        "responder: a missing file is not_found before confinement",
    ),
    "directory-forbidden": Fault(
        "APP-GET-2", "test_app_get.py", "responder: a get of a directory answered forbidden"
    ),
    "done-size-unchecked": Fault(
        "APP-PUT-5", "test_app_put.py", "responder: DONE's size not compared (only the bytes)"
    ),
    "put-temp-kept": Fault(
        "APP-STORE-3", "test_app_put.py", "responder: a failed put's temporary left in the inbox"
    ),
    "close-after-refusal": Fault(
        "ERR-3", "test_app_refusals.py", "responder: closes after a non-fatal not_found"
    ),
    "idle-from-accept": Fault(
        "LIM-2", "test_limits.py", "responder: the idle deadline counted from the handshake"
    ),
    "handshake-deadline-per-read": Fault(
        "LIM-1", "test_limits.py", "responder: each handshake read gets the full deadline"
    ),
    "error-echoes-name": Fault(
        "ERR-1", "test_app_names.py", "responder: not_found's message holds the whole name"
    ),
    "unknown-members-refused": Fault(
        "FRM-10", "test_framing.py", "responder: members outside the schema are bad_frame"
    ),
    "header-in-one-record": Fault(
        "FRM-4", "test_framing.py", "responder: a header split over TLS records is bad_frame"
    ),
    "initiator-put-eof-success": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "initiator: a put whose connection ends before DONE reported as done",
        client=True,
    ),
    "initiator-sigalgs-default": Fault(
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "initiator: OpenSSL's default signature algorithms offered",
        client=True,
    ),
    "put-replace-at-commit": Fault(
        "APP-PUT-8", "test_app_put.py", "responder: commit by rename, replacing a racing put"
    ),
    "timeout-no-close": Fault(
        "PKI-TLS-7",
        "test_pki_tls.py",
        "responder: after EROR timeout, waits an idle timeout more before closing",
    ),
    "initiator-bare-close": Fault(
        "PKI-TLS-7", "test_pki_tls.py", "initiator: TCP close without close_notify", client=True
    ),
    "initiator-request-first": Fault(
        "PKI-ID-1",
        "test_pki_identity.py",
        "initiator: RQFL sent before the responder's CN is compared",
        client=True,
    ),
    "initiator-extra-dropped": Fault(
        "APP-GET-4",
        "test_pki_initiator_transfer.py",
        "initiator: DATA beyond the size silently cut off",
        client=True,
    ),
    "initiator-overwrites": Fault(
        "APP-GET-6",
        "test_pki_initiator_transfer.py",
        "initiator: an existing output file replaced",
        client=True,
    ),
    "initiator-temp-0644": Fault(
        "APP-STORE-1",
        "test_pki_initiator_transfer.py",
        "initiator: the get's temporary created 0644",
        client=True,
    ),
    "initiator-unknown-code-nonfatal": Fault(
        "ERR-4",
        "test_client_fatal_errors.py",
        "initiator: an EROR of an unknown code taken as a refusal: BYE_, then waits",
        client=True,
    ),
    "allow-list-no-close": Fault(
        "PKI-ID-3", "test_pki_identity.py", "responder: an alias off the list refused, kept open"
    ),
    "pending-leak-on-timeout": Fault(
        "LIM-1",
        "test_limits.py test_lockout.py",
        "responder: a handshake that timed out keeps its pending slot",
    ),
    "get-too-large-inclusive": Fault(
        "APP-GET-2", "test_app_get.py", "responder: a file of exactly the maximum size too_large"
    ),
    "initiator-put-no-wait": Fault(
        "APP-PUT-1", "test_client_put.py", "initiator: DATA sent before the RSFL", client=True
    ),
    "initiator-put-empty-data": Fault(
        "FRM-14",  # the sender's rule (test_client_put.py cites FRM-14, not FRM-13)
        "test_client_put.py",
        "initiator: an empty file sent as one empty DATA frame",
        client=True,
    ),
    # Round 2 of the faults, blind (r2-): read from this code, not from the case files.
    "r2-put-data-timeout-abort": Fault(
        "PKI-TLS-7",
        "test_pki_tls.py test_limits.py",
        "responder: the idle timeout inside a put's DATA escapes as a transport error: the "
        "TCP stream is aborted, no close_notify (and no EROR timeout)",
    ),
    "r2-allow-get-only": Fault(
        "PKI-ID-3", "test_pki_identity.py", "responder: the allow list is checked for gets only"
    ),
    "r2-put-basename-checked-only": Fault(
        "APP-NAME-2",
        "test_app_put.py test_app_names.py",
        "responder: a put's name is checked on its basename only (the part stored)",
    ),
    "r2-announced-sha-unchecked": Fault(
        "APP-PUT-5", "test_app_put.py", "responder: PUTF.sha256 is parsed, never compared"
    ),
    "r2-established-still-pending": Fault(
        "LIM-9",
        "test_lockout.py",
        "responder: a connection stays 'pending' after its handshake (evictable, capped)",
    ),
    "r2-handshake-timeout-left-open": Fault(
        "LIM-1",
        "test_limits.py",
        "responder: a handshake that timed out is forgotten, its socket left open",
    ),
    "r2-auth-failed-abort": Fault(
        "PKI-TLS-7",
        "test_pki_tls.py test_pki_certs.py",
        "responder: EROR auth_failed for a refused certificate, then a TCP abort",
    ),
    "r2-put-too-large-closes": Fault(
        "ERR-3",
        "test_app_put.py test_app_refusals.py",
        "responder: a put refused too_large closes the connection",
    ),
    "r2-done-allowed-in-idle": Fault(
        "APP-1",
        "test_framing.py",
        "responder: DONE listed among the IDLE frames (handled as a put's end, none open)",
    ),
    "r2-failed-handshake-slot-leaked": Fault(
        "LIM-5",
        "test_limits.py test_lockout.py",
        "responder: a handshake that failed (alert, reset) keeps its pending slot",
    ),
    "r2-initiator-data-limit-unchecked": Fault(
        "FRM-13",
        "test_pki_initiator_transfer.py",
        "initiator: a DATA frame above 1 MiB (within the frame limit) accepted",
        client=True,
    ),
    "r2-initiator-control-limit-unchecked": Fault(
        "FRM-8",
        "test_pki_initiator_transfer.py",
        "initiator: a control payload above 65536 bytes accepted",
        client=True,
    ),
    "r2-initiator-rsfl-size-unchecked": Fault(
        "APP-GET-3",
        "test_pki_initiator_transfer.py test_app_integrity.py",
        "initiator: the bytes compared with DONE.size only, not RSFL.size",
        client=True,
    ),
    "r2-initiator-put-exists-is-success": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "initiator: EROR exists in place of the put's DONE taken as stored",
        client=True,
    ),
    "r2-initiator-first-cn": Fault(
        "PKI-ID-4",
        "test_pki_identity.py",
        "initiator: a server subject with two CNs: the first is the alias",
        client=True,
    ),
    "r2-initiator-ca-true": Fault(
        "PKI-CERT-6",
        "test_pki_certs.py test_client_pki_certs.py",
        "initiator: a CA:TRUE server certificate accepted",
        client=True,
    ),
    "r2-initiator-sweep-all": Fault(
        "APP-STORE-3",
        "test_pki_initiator_transfer.py",
        "initiator: every .sft-partial- of the output directory swept, live ones too",
        client=True,
    ),
    "initiator-abort-after-error": Fault(
        "PKI-TLS-7",
        "test_pki_tls.py test_client_fatal_errors.py test_pki_initiator_transfer.py",
        "initiator: after a fatal EROR or a lost stream, a bare close (no close_notify)",
        client=True,
    ),
    "no-pending-cap": Fault(
        "LIM-8", "test_lockout.py", "responder: no per-address cap on unfinished handshakes"
    ),
    # Blind round 4 (B11): the same mistakes as the reference's b4pki-* mutants.
    "b4-int-integral-float": Fault(
        "FRM-11", "test_framing.py", "an integral float (5.0, 1e3) is taken as an integer"
    ),
    "b4-sha256-prefix-match": Fault(
        "FRM-12", "test_framing.py", "sha256 checked with re.match: 64 hex then anything"
    ),
    "b4-inbox-absent-cache": Fault(
        "APP-PUT-3", "test_app_put.py", "responder: a name found absent once is not looked up again"
    ),
    "b4-malformed-eror-ignored": Fault(
        "ERR-8", "test_framing.py", "responder: an EROR without an integer code is dropped"
    ),
    "b4-bye-unparsed": Fault(
        "FRM-9", "test_framing.py", "responder: BYE_'s payload is never parsed (any bytes close)"
    ),
    # Blind round r12b (I10, session 12): read from this file's own code, not from the
    # cases, through the six round-12 lenses (L1 two values mixed up, L2 acknowledged
    # before done, L3 peer-claimed values trusted, L4 sloppy output, L5 two principals at
    # once, L6 deny-lists and enumerations).
    "r12b-put-excess-by-chunk": Fault(  # L1: the bytes read vs the frame's length
        "APP-PUT-6",
        "test_app_put.py",
        "responder: excess DATA noticed per chunk read, not from the frame header",
    ),
    "r12b-done-before-link": Fault(  # L2: DONE answered before the link that stores
        "APP-PUT-8",
        "test_app_put.py test_app_put_race_loser.py test_app_put_visibility.py",
        "responder: DONE sent before the link; a lost race is only logged",
    ),
    "r12b-put-putf-sha-trusted": Fault(  # L3: PUTF's sha256 taken for the data's
        "APP-PUT-5",
        "test_app_put.py test_app_put_concurrent.py test_app_put_sequence.py "
        "test_app_put_visibility.py test_interop_transfer_state.py",
        "responder: when PUTF carries sha256, it stands for the received data's digest",
    ),
    "r12b-eror-name-upper": Fault(  # L4: the enum's name, not the table's
        "ERR-1",
        "test_app_error_frames.py test_app_refusals.py test_app_names.py "
        "test_interop_answer_frames.py test_framing.py",
        "responder: EROR.name is the enum member's name (NOT_FOUND), not the table's",
    ),
    "r12b-get-empty-data-tail": Fault(  # L4: the read that returned nothing, sent
        "FRM-13",
        "test_app_get.py test_app_get_frame_sizes.py test_framing.py",
        "responder: a get ends its DATA with an empty DATA frame (the EOF read)",
    ),
    "r12b-allow-cached-by-address": Fault(  # L5: one address's decision for every alias
        "PKI-ID-3",
        "test_ops_pki_allow_alias.py test_pki_identity.py test_pki_identity_concurrent.py "
        "test_pki_certs.py",
        "responder: the allow-list decision cached per client address",
    ),
    "r12b-put-temp-per-name": Fault(  # L5: two puts of one name share one temporary
        "APP-PUT-8",
        "test_app_put.py test_app_put_race_loser.py test_app_put_visibility.py",
        "responder: the temporary is .sft-partial-NAME, opened O_TRUNC without O_EXCL",
    ),
    "r12b-name-empty-components": Fault(  # L6: empty components dropped, not refused
        "APP-NAME-2",
        "test_app_names.py test_app_put_name_memory.py test_framing.py",
        "responder: empty components (a//b, a/) dropped instead of refused",
    ),
    "r12b-initiator-excess-per-frame": Fault(  # L1: this frame vs the running total
        "APP-GET-4",
        "test_pki_initiator_transfer.py test_interop_get_excess_total.py",
        "initiator: excess DATA judged per frame (length > size), not on the total",
        client=True,
    ),
    "r12b-initiator-writes-in-place": Fault(  # L2: visible before verified
        "APP-GET-6",
        "test_pki_initiator_transfer.py test_client_lies.py",
        "initiator: without --force the get is written under its final name directly",
        client=True,
    ),
    "r12b-initiator-san-alias": Fault(  # L3: the subjectAltName taken for the alias
        "PKI-ID-4",
        "test_client_pki_cert_variants.py test_pki_identity.py",
        "initiator: a server certificate's first SAN DNS name taken as its alias",
        client=True,
    ),
    "r12b-initiator-putf-null-sha": Fault(  # L4: an optional member sent as null
        "FRM-14",
        "test_client_put.py test_pki_initiator_transfer.py test_client_lies.py "
        "test_client_put_wire.py",
        'initiator: an empty file\'s PUTF carries "sha256": null',
        client=True,
    ),
    "r12b-initiator-frames-denylist": Fault(  # L6: requests refused, the rest let through
        "FRM-6",
        "test_pki_initiator_transfer.py test_client_lies.py",
        "initiator: only RQFL/PUTF refused as unexpected; other frames parsed in place",
        client=True,
    ),
    "r12b-initiator-ku-denylist": Fault(  # L6: the bad bits listed, the needed one not
        "PKI-CERT-9",
        "test_client_pki_certs.py test_client_pki_cert_variants.py "
        "test_client_pki_put_identity.py",
        "initiator: KeyUsage refused only for keyCertSign/cRLSign; no digitalSignature passes",
        client=True,
    ),
    # Round 17 (helper I23, blind, through the six lenses of round 17).
    "b17-data-limit-exclusive": Fault(  # L1: >= for >
        "FRM-13",
        "test_framing.py",
        "responder: a DATA frame of exactly 1 048 576 bytes refused bad_frame",
    ),
    "b17-name-4096-exclusive": Fault(  # L1: >= for >
        "APP-NAME-7",
        "test_app_names.py",
        "responder: a name of exactly 4096 UTF-8 bytes refused forbidden",
    ),
    "b17-integrity-nonfatal": Fault(  # L2: a fatal error that leaves the connection open
        "ERR-3",
        "test_app_put.py",
        "responder: a put's integrity_failed at DONE is sent and the connection kept (idle)",
    ),
    "b17-exists-leaves-receiving": Fault(  # L2: a refused request leaves its state behind
        # (blind: ERR-3 in test_app_refused_put_followers.py, which judges it as APP-3)
        "APP-3",
        "test_app_refused_put_followers.py test_framing.py test_interop_refused_put_state.py",
        "responder: a PUTF refused exists leaves the session RECEIVING",
    ),
    "b17-dup-keys-top-level-only": Fault(  # L3: a duplicate below the top level
        "FRM-9",
        "test_framing.py",
        "responder: duplicate keys refused only among the frame's own members",
    ),
    "b17-done-sha-prefix-compare": Fault(  # L4: a digest compared on a prefix
        "APP-PUT-5",
        "test_app_put.py",
        "responder: DONE.sha256 compared with the data's digest on its first 32 digits",
    ),
    "b17-get-digest-per-chunk": Fault(  # L4: a running digest restarted in the loop
        "APP-GET-2",
        "test_app_get.py",
        "responder: a get's DONE.sha256 is the digest of the last DATA chunk only",
    ),
    "b17-dotdot-substring": Fault(  # L5: '..' inside a longer component
        # (blind: APP-NAME-2; test_app_put_dot_runs.py judges it as APP-PUT-2)
        "APP-PUT-2",
        "test_app_put_dot_runs.py",
        "responder: any name containing '..' refused forbidden (a..b, x...)",
    ),
    "b17-partial-substring-get": Fault(  # L5: the reserved prefix found anywhere
        # (blind: missed by every APP-GET-2 file; caught by the round-17 case below)
        "APP-GET-2",
        "test_app_reserved_prefix_lookalikes.py",
        "responder: a get of a name containing .sft-partial- anywhere is not_found",
    ),
    "b17-put-forbidden-closes": Fault(  # L2: a recoverable refusal that ends the connection
        "ERR-3",
        "test_app_refusals.py",
        "responder: a PUTF whose name is refused forbidden closes the connection",
    ),
    "b17-name-stripped": Fault(  # L5: white space around a name taken for a delimiter
        "APP-NAME-3",
        "test_app_names.py",
        "responder: names are stripped of surrounding white space before use",
    ),
    "b17-empty-file-not-found": Fault(  # L1: a file of 0 bytes taken for no file
        "APP-GET-2",
        "test_app_get.py",
        "responder: a get of an empty regular file is answered not_found",
    ),
    "b17-put-last-chunk-dropped": Fault(  # L6/L1: the chunk that reaches the size
        "APP-PUT-5",
        "test_app_put.py",
        "responder: the DATA chunk that completes the put is hashed but not written",
    ),
    "b17-eof-full-put-stored": Fault(  # L6: the end of the connection taken for DONE
        # (blind: APP-PUT-5, missed; test_app_put.py judges it as APP-STORE-3)
        "APP-STORE-3",
        "test_app_put.py",
        "responder: a put whose bytes all arrived is stored when the connection ends",
    ),
    # Round 24 (helper B160, blind, through the six lenses of round 24: L1 what the
    # authenticator does not cover, L2 legacy and downgrade bleed, L3 the scanner's
    # checklist, L4 the second-order fix, L5 debug and test leftovers, L6 fitted to the
    # examples). All in the initiator.
    "b24_initiator_rsfl_sha_ignored": Fault(
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "(L1) initiator: RSFL.sha256 parsed but never compared; only DONE.sha256 checked",
        client=True,
    ),
    "b24_initiator_eku_either": Fault(
        "PKI-CERT-5",
        "test_pki_initiator_server_purpose_oids.py",
        "(L1) initiator: one EKU check for both sides: clientAuth or serverAuth will do",
        client=True,
    ),
    "b24_initiator_ccm_suites": Fault(
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "(L3) initiator: every TLS 1.3 suite enabled 'for interop', the CCM ones too",
        client=True,
    ),
    "b24_initiator_sha384_cert": Fault(
        "PKI-CERT-9",
        "test_pki_certs.py",
        "(L4) initiator: a responder certificate signed with SHA-384/512 accepted (interop)",
        client=True,
    ),
    "b24_initiator_legacy_done": Fault(
        # (blind: APP-GET-3, missed by every APP-GET-3 file; judged as FRM-9)
        "FRM-9",
        "test_interop_done_members.py",
        "(L2) initiator: a DONE without sha256 (sft-pki/0's size-only DONE) taken as done",
        client=True,
    ),
    "b24_initiator_clean_close_is_done": Fault(
        "APP-GET-5",
        "test_pki_initiator_transfer.py",
        "(L4) initiator: a close_notify after the announced bytes taken as the end "
        "('TLS says the stream is whole'); a bare FIN still fails",
        client=True,
    ),
    "b24_initiator_crl_default_context": Fault(
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "(L5) initiator: the CRL fetched through ssl.create_default_context (keylog honoured)",
        client=True,
    ),
    "b24_initiator_data_chunk_sized": Fault(
        "FRM-13",
        "test_client_lies.py",
        "(L6) initiator: a DATA frame above its own 200 000-byte chunk refused bad_frame",
        client=True,
    ),
    # Round 26 (helper B196, blind, foreign pass, through the six lenses of round 26: L1 the
    # thin MUSTs, L2 the second half of the sentence, L3 passing the vectors, L4
    # neighbouring-protocol habits, L5 insecure defaults, L6 crossing frames).
    "b26_type_isupper": Fault(
        "FRM-2",
        "test_framing.py",
        "(L3) responder: type bytes checked with bytes.isupper() or isdigit(): 'RSF' and a "
        "NUL or a space pass (unexpected_frame), '0001' fails",
    ),
    "b26_unknown_eror_ignored": Fault(
        "ERR-4",
        "test_framing.py",
        "(L4) responder: an EROR whose code is not in its table ignored as a newer peer's",
    ),
    "b26_eof_partial_control": Fault(
        "FRM-7",
        "test_app_cut_after_whole_json_frames.py",
        "(L4) responder: a control payload read up to its length or the end of the stream "
        "(a short read at the end is 'the rest'): a cut DONE that parses is acted on",
    ),
    "b26_get_reads_to_eof": Fault(
        "APP-GET-4",
        "test_app_share_files.py",
        "(L3) responder: a get reads the file until EOF after RSFL announced fstat's size "
        "(a file growing while sent sends more than announced)",
    ),
    "b26_reserved_prefix_on_name": Fault(
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "(L3) responder: the reserved prefix tested on the whole name, not its last "
        "component: 'd/.sft-partial-x' stored as .sft-partial-x",
    ),
    "b26_initiator_put_continue_timer": Fault(
        "APP-PUT-1",
        "test_pki_client_put_slow_accept.py",
        "(L4) initiator: 100-continue habit: no answer to PUTF within 1 s, the DATA goes anyway",
        client=True,
    ),
    "b26_initiator_type_casefold": Fault(
        "FRM-2",
        "test_pki_client_frame_types.py",
        "(L4) initiator: frame types matched in any case (upper-cased first, as HTTP methods)",
        client=True,
    ),
    "b26_initiator_eof_partial_done": Fault(
        "FRM-7",
        "test_client_cut_after_whole_json_frames.py",
        "(L4) initiator: a control payload read up to its length or the end of the stream: "
        "a get's DONE cut at the close is taken if it parses",
        client=True,
    ),
}


def _read_faults() -> frozenset[str]:
    names = {n.strip() for n in os.environ.get("SFT_INDEPENDENT_FAULTS", "").split(",")}
    names.discard("")
    unknown = names - FAULTS.keys()
    if unknown:
        raise SystemExit(f"pki2: unknown fault(s) {sorted(unknown)}")
    return frozenset(names)


_ACTIVE_FAULTS = _read_faults()


def _fault(name: str) -> bool:
    assert name in FAULTS, name
    return name in _ACTIVE_FAULTS


# --------------------------------------------------------------------------- errors


class ErrorCode(enum.IntEnum):
    """SPEC §2 ERR-2: the closed list of wire error codes."""

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

    @property
    def fatal(self) -> bool:
        return self not in _NON_FATAL

    @property
    def wire_name(self) -> str:
        return self.name.lower()


_NON_FATAL = frozenset(
    {
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_FOUND,
        ErrorCode.TOO_LARGE,
        ErrorCode.EXISTS,
        ErrorCode.UNSUPPORTED,
    }
)


class FrameError(Exception):
    """Something we must answer with an EROR of `code` (fatal or not, as the code says)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PeerRefused(Exception):
    """The peer's certificate or identity is not acceptable (one reason, for the log)."""


class ConnectionEnded(Exception):
    """The TCP stream or the TLS session ended; `clean` when by close_notify."""

    def __init__(self, clean: bool) -> None:
        super().__init__("peer closed" if clean else "connection lost")
        self.clean = clean


def _log(message: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} pki2: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- frames

HEADER_LENGTH = 8
DEFAULT_FRAME_LIMIT = 1_048_832
CONTROL_LIMIT = 65_536
DATA_LIMIT = 1_048_576
SEND_CHUNK = 200_000
MAX_INT = 2**63 - 1
PARTIAL_PREFIX = ".sft-partial-"
ALPN = "sft-pki/1"

CONTROL_TYPES = frozenset({"RQFL", "RSFL", "PUTF", "DONE", "EROR", "BYE_"})
DEFINED_TYPES = CONTROL_TYPES | {"DATA"}
_KNOWN_MEMBERS = frozenset({"name", "size", "sha256", "accept", "code", "message", "retry_after"})
_TYPE_BYTE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX64_ANY_CASE = re.compile(r"[0-9a-fA-F]{64}")


def encode_frame(kind: str, payload: bytes) -> bytes:
    return kind.encode("ascii") + len(payload).to_bytes(4, "big") + payload


def encode_control(kind: str, body: dict[str, Any]) -> bytes:
    return encode_frame(kind, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def error_frame(code: ErrorCode, message: str) -> bytes:
    return encode_control(
        "EROR",
        {
            "code": int(code),
            "name": code.name if _fault("r12b-eror-name-upper") else code.wire_name,
            "message": message if _fault("error-echoes-name") else message[:200],
        },
    )


def parse_header(header: bytes, frame_limit: int, *, initiator: bool = False) -> tuple[str, int]:
    """Type and length of a header; FRM-2 then FRM-3 (our order, FRM-16)."""
    raw_type, length = header[:4], int.from_bytes(header[4:8], "big")
    if initiator and _fault("b26_initiator_type_casefold"):
        raw_type = raw_type.upper()  # "types, like HTTP methods, in any case"
    if not initiator and _fault("b26_type_isupper"):
        type_ok = raw_type.isupper() or raw_type.isdigit()  # "upper-case, digits and _"
    else:
        type_ok = all(b in _TYPE_BYTE for b in raw_type)
    if not type_ok:
        raise FrameError(ErrorCode.BAD_FRAME, "frame type bytes outside A-Z 0-9 _")
    if length > frame_limit:
        raise FrameError(ErrorCode.FRAME_TOO_LARGE, f"frame of {length} bytes above the limit")
    kind = raw_type.decode("ascii")
    if kind not in DEFINED_TYPES:
        raise FrameError(ErrorCode.UNEXPECTED_FRAME, "frame type not defined by sft-pki/1")
    return kind, length


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result and not _fault("json-duplicates-accepted"):
            raise ValueError("duplicate key")
        result[key] = value
    return result


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def _walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


def _top_level_unique(text: str) -> Any:
    """The fault b17-dup-keys-top-level-only: "the frame's members" checked, not below."""
    value = json.loads(text, object_pairs_hook=list, parse_constant=_refuse_constant)

    def plain(item: Any) -> Any:
        if isinstance(item, list) and all(isinstance(p, tuple) for p in item):
            return {k: plain(v) for k, v in item}
        if isinstance(item, list):
            return [plain(v) for v in item]
        return item

    if isinstance(value, list) and all(isinstance(p, tuple) for p in value):
        keys = [k for k, _ in value]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
    return plain(value)


def parse_control(payload: bytes) -> dict[str, Any]:
    """FRM-8/9: a UTF-8 JSON object, no duplicate key, no NaN/Infinity, no lone surrogate."""
    try:
        text = payload.decode("utf-8")
        if _fault("b17-dup-keys-top-level-only"):
            value = _top_level_unique(text)
        else:
            value = json.loads(
                text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant
            )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FrameError(ErrorCode.BAD_FRAME, "control payload is not a JSON object") from exc
    if not isinstance(value, dict):
        raise FrameError(ErrorCode.BAD_FRAME, "control payload is not a JSON object")
    if _fault("unknown-members-refused") and set(value) - _KNOWN_MEMBERS:
        raise FrameError(ErrorCode.BAD_FRAME, "unknown member")
    for text_value in _walk_strings(value):
        try:
            text_value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FrameError(ErrorCode.BAD_FRAME, "string with a lone surrogate") from exc
    return value


def member_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise FrameError(ErrorCode.BAD_FRAME, f"member {key!r} missing or not a string")
    return value


def member_int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) and _fault("bool-as-integer"):
        return int(value)
    if isinstance(value, float) and value.is_integer() and _fault("b4-int-integral-float"):
        return int(value)  # "5.0 is 5"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise FrameError(ErrorCode.BAD_FRAME, f"member {key!r} missing or not an integer")
    return value


def member_sha256(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    if key not in body and not required:
        return None
    value = member_str(body, key)
    pattern = _HEX64_ANY_CASE if _fault("sha256-any-case") else _HEX64
    matches = pattern.match if _fault("b4-sha256-prefix-match") else pattern.fullmatch
    if not matches(value):
        raise FrameError(ErrorCode.BAD_FRAME, f"member {key!r} is not 64 lowercase hex digits")
    return value


# --------------------------------------------------------------------------- names

_DRIVE = re.compile(r"[A-Za-z]:")
_ABSENT_NAMES: set[str] = set()  # only for the fault "b4-inbox-absent-cache"


def _refused_character(ch: str) -> bool:
    cp = ord(ch)
    if cp < 0x20 or cp == 0x7F or ch == "\\":
        return True
    if _fault("name-c1-allowed"):
        return False
    return 0x80 <= cp <= 0x9F or 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069


def check_name(name: str) -> list[str]:
    """SPEC §3.5: the name's components, or FrameError(forbidden). Used literally."""
    forbidden = ErrorCode.FORBIDDEN
    if _fault("b17-name-stripped"):
        name = name.strip()  # "a pasted name carries a stray space"
    if not name:
        raise FrameError(forbidden, "empty name")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FrameError(forbidden, "name is not Unicode text") from exc
    if len(encoded) > (255 if _fault("name-total-255") else 4096) or (
        _fault("b17-name-4096-exclusive") and len(encoded) >= 4096
    ):
        raise FrameError(forbidden, "name longer than 4096 bytes")
    if name.startswith("/") or (_DRIVE.match(name) and not _fault("drive-letter-allowed")):
        raise FrameError(forbidden, "absolute name")
    if any(_refused_character(ch) for ch in name):
        raise FrameError(forbidden, "name holds a forbidden character")
    if _fault("b17-dotdot-substring") and ".." in name:
        raise FrameError(forbidden, "'..' in the name")
    parts = name.split("/")
    if _fault("r12b-name-empty-components"):
        parts = [p for p in parts if p]  # "a//b is a/b, as every shell has it"
    if _fault("name-dotdot-normalised"):
        parts = [p for p in os.path.normpath(name).split("/") if p]
        if parts and parts[0] == "..":
            raise FrameError(forbidden, "name leaves the share")
    for part in parts:
        if part in ("", ".", ".."):
            raise FrameError(forbidden, "empty, '.' or '..' component")
        if len(part.encode("utf-8")) > 255:
            raise FrameError(forbidden, "component longer than 255 bytes")
    return parts


def _inside(path: str, root: str) -> bool:
    if _fault("confined-by-prefix"):
        return path.startswith(root)
    return path == root or os.path.commonpath([path, root]) == root


def open_in_share(share: str, parts: list[str]) -> int:
    """APP-NAME-4/5: a read descriptor of a regular file inside the share.

    Links inside the share are followed; the resolved path is then opened one component
    at a time with O_NOFOLLOW from the share's descriptor, so a link appearing after the
    check makes the open fail instead of leading out.
    """
    root = os.path.realpath(share)
    resolved = os.path.realpath(os.path.join(root, *parts))
    if _fault("existence-first") and not os.path.exists(resolved):
        raise FrameError(ErrorCode.NOT_FOUND, "no such file")
    if not _inside(resolved, root):
        raise FrameError(ErrorCode.FORBIDDEN, "name resolves outside the share")
    relative = os.path.relpath(resolved, root).split("/")
    if relative == ["."]:
        raise FrameError(ErrorCode.NOT_FOUND, "no such file")
    if relative[-1].startswith(PARTIAL_PREFIX) or (
        _fault("b17-partial-substring-get") and PARTIAL_PREFIX in relative[-1]
    ):
        raise FrameError(ErrorCode.NOT_FOUND, "no such file")
    flags_dir = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in relative[:-1]:
            next_fd = os.open(part, flags_dir, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        file_fd = os.open(
            relative[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=fd
        )
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FrameError(ErrorCode.FORBIDDEN, "a link appeared in the name") from exc
        raise FrameError(ErrorCode.NOT_FOUND, "no such file") from exc
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        os.close(file_fd)
        if _fault("directory-forbidden"):
            raise FrameError(ErrorCode.FORBIDDEN, "not a regular file")
        raise FrameError(ErrorCode.NOT_FOUND, "no such file")
    return file_fd


# --------------------------------------------------------------------------- TLS set-up

_SSL_CTRL_SET_GROUPS_LIST = 92
_SSL_CTRL_SET_SIGALGS_LIST = 98
_SSL_CTRL_SET_CLIENT_SIGALGS_LIST = 102
GROUPS = b"X25519:P-256:P-384"
SIGALGS = b"ECDSA+SHA256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512"
# The initiator may also list rsa_pkcs1_sha256 (PKI-TLS-9), which an RSA root signs with.
SIGALGS_INITIATOR = SIGALGS + b":RSA+SHA256"


def _ssl_ctx_ctrl() -> Any:
    import _ssl  # the extension module whose libssl the contexts live in

    library = ctypes.CDLL(_ssl.__file__)
    function = library.SSL_CTX_ctrl
    function.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
    function.restype = ctypes.c_long
    return function


def _pin_parameters(context: ssl.SSLContext, sigalgs: bytes) -> None:
    """PKI-TLS-9: CPython 3.11 has no API for groups and sigalgs, so set them on SSL_CTX.

    PySSLContext starts with PyObject_HEAD (two machine words) and then `SSL_CTX *ctx`.
    """
    pointer = ctypes.c_void_p.from_address(id(context) + 2 * ctypes.sizeof(ctypes.c_void_p))
    ctrl = _ssl_ctx_ctrl()
    groups_pinned = not (_fault("groups-not-pinned") and sigalgs == SIGALGS)
    for command, value in (
        *([(_SSL_CTRL_SET_GROUPS_LIST, GROUPS)] if groups_pinned else []),
        (_SSL_CTRL_SET_SIGALGS_LIST, sigalgs),
        (_SSL_CTRL_SET_CLIENT_SIGALGS_LIST, sigalgs),
    ):
        if ctrl(pointer.value, command, 0, value) != 1:
            raise SystemExit("pki2: cannot pin the TLS 1.3 parameters")


def _base_context(
    purpose: int, root_path: str, cert: str | None, key: str | None
) -> ssl.SSLContext:
    context = ssl.SSLContext(purpose)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    if _fault("tls12-allowed") and purpose == ssl.PROTOCOL_TLS_SERVER:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    # PKI-TLS-8: a bare SSLContext (not create_default_context) never reads SSLKEYLOGFILE
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=root_path)  # the organisation root only
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


def responder_context(root_path: str, cert: str, key: str) -> ssl.SSLContext:
    context = _base_context(ssl.PROTOCOL_TLS_SERVER, root_path, cert, key)
    context.num_tickets = 0
    context.set_alpn_protocols([ALPN])
    _pin_parameters(context, SIGALGS)
    return context


def initiator_context(root_path: str, cert: str | None, key: str | None) -> ssl.SSLContext:
    context = _base_context(ssl.PROTOCOL_TLS_CLIENT, root_path, cert, key)
    context.check_hostname = False  # the alias is compared byte for byte below (PKI-ID-4)
    context.set_alpn_protocols([ALPN])
    if not _fault("initiator-sigalgs-default"):
        _pin_parameters(context, SIGALGS_INITIATOR)
    if _fault("b24_initiator_ccm_suites"):
        _enable_all_suites(context)
    return context


def _enable_all_suites(context: ssl.SSLContext) -> None:
    """The fault b24_initiator_ccm_suites: every TLS 1.3 suite OpenSSL has."""
    import _ssl

    pointer = ctypes.c_void_p.from_address(id(context) + 2 * ctypes.sizeof(ctypes.c_void_p))
    function = ctypes.CDLL(_ssl.__file__).SSL_CTX_set_ciphersuites
    function.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    function.restype = ctypes.c_int
    suites = (
        b"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        b"TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"
    )
    if function(pointer.value, suites) != 1:
        raise SystemExit("pki2: cannot set the TLS 1.3 suites")


def ca_client_context(root_path: str) -> ssl.SSLContext:
    if _fault("b24_initiator_crl_default_context"):
        context = ssl.create_default_context(cafile=root_path)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.hostname_checks_common_name = False
        return context
    context = _base_context(ssl.PROTOCOL_TLS_CLIENT, root_path, None, None)
    context.check_hostname = True
    context.hostname_checks_common_name = False  # CA-ENR-18: subjectAltName only
    _pin_parameters(context, SIGALGS_INITIATOR)
    return context


# --------------------------------------------------------------------------- channel


class TlsChannel:
    """TLS over an asyncio TCP stream, driven through an SSLObject and two memory BIOs."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        context: ssl.SSLContext,
        *,
        server_side: bool,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side)
        self._plain = bytearray()
        self._closed = False

    async def _flush(self, timeout: float) -> None:
        data = self._outgoing.read()
        if data:
            self._writer.write(data)
            await asyncio.wait_for(self._writer.drain(), timeout)

    async def _feed(self, timeout: float | None) -> None:
        data = await asyncio.wait_for(self._reader.read(65_536), timeout)
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    async def handshake(self, per_read: float | None = None) -> None:
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush(10.0)
                if self._incoming.eof:
                    raise ConnectionEnded(False) from None
                await self._feed(per_read)
            except ssl.SSLError:
                # our alert, if OpenSSL made one, goes out before the close
                try:
                    await self._flush(2.0)
                except (TimeoutError, OSError):
                    pass
                raise
        await self._flush(10.0)

    def peer_certificate(self) -> bytes | None:
        return self.tls.getpeercert(binary_form=True)

    def _pull_plain(self, want: int) -> bool:
        """Decrypt what has arrived; False when more TCP bytes are needed."""
        try:
            chunk = self.tls.read(max(want, 16_384))
        except ssl.SSLWantReadError:
            return False
        except ssl.SSLZeroReturnError:
            raise ConnectionEnded(True) from None
        except ssl.SSLError:
            raise ConnectionEnded(False) from None
        if not chunk:
            raise ConnectionEnded(True)
        self._plain += chunk
        return True

    async def _more(self, want: int, timeout: float | None) -> None:
        while not self._pull_plain(want):
            if self._incoming.eof:
                raise ConnectionEnded(False)
            await self._flush(10.0)
            await self._feed(timeout)

    async def recv_exact(self, count: int, timeout: float | None) -> bytes:
        """`count` plaintext bytes; the timeout bounds each wait without progress."""
        while len(self._plain) < count:
            await self._more(count - len(self._plain), timeout)
        data = bytes(self._plain[:count])
        del self._plain[:count]
        return data

    async def recv_upto(self, count: int, timeout: float | None) -> bytes:
        """The faults b26_*eof_partial_*: up to `count` bytes, fewer at the end of the stream."""
        try:
            while len(self._plain) < count:
                await self._more(count - len(self._plain), timeout)
        except ConnectionEnded:
            pass  # "a short read at the end is the rest"
        data = bytes(self._plain[:count])
        del self._plain[:count]
        return data

    async def recv_some(self, limit: int, timeout: float | None) -> bytes:
        if not self._plain:
            await self._more(limit, timeout)
        data = bytes(self._plain[:limit])
        del self._plain[:limit]
        return data

    def has_buffered(self) -> bool:
        return bool(self._plain) or self.tls.pending() > 0

    async def send(self, data: bytes, timeout: float) -> None:
        """Write and wait until the kernel took it; a peer that does not read for
        `timeout` seconds ends the wait (LIM-10)."""
        self.tls.write(data)
        await self._flush(timeout)

    def abort(self) -> None:
        self._closed = True
        self._writer.transport.abort()

    async def close(self) -> None:
        """close_notify, FIN, drain what the peer still sends (bounded), close."""
        if self._closed:
            return
        self._closed = True
        try:
            if not (_fault("tls-bare-close") or _fault("initiator-bare-close")):
                try:
                    self.tls.unwrap()
                except ssl.SSLError:
                    pass
                await self._flush(2.0)
            if self._writer.can_write_eof():
                self._writer.write_eof()
            deadline = time.monotonic() + 1.0
            while (left := deadline - time.monotonic()) > 0:
                if not await asyncio.wait_for(self._reader.read(65_536), left):
                    break
        except (TimeoutError, OSError, ssl.SSLError):
            pass
        finally:
            self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except (TimeoutError, OSError, ssl.SSLError):
            pass


# --------------------------------------------------------------------------- trust


@dataclass
class Trust:
    """The organisation root and the CRL we hold (PKI-CERT-7/11/12)."""

    root_path: str
    root: x509.Certificate
    ca_url: str | None
    crl_file: str | None
    crl: x509.CertificateRevocationList | None = None
    revoked: frozenset[int] = frozenset()
    fetching: asyncio.Task[None] | None = None

    @classmethod
    def load(cls, root_path: str, ca_url: str | None, crl_file: str | None) -> Trust:
        with open(root_path, "rb") as handle:
            root = x509.load_pem_x509_certificate(handle.read())
        return cls(root_path, root, ca_url, crl_file)

    def install_crl(self, data: bytes) -> None:
        if data.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
        if crl.issuer != self.root.subject or not crl.is_signature_valid(
            self.root.public_key()  # type: ignore[arg-type]
        ):
            raise PeerRefused("CRL not signed by the organisation root")
        if not isinstance(crl.signature_hash_algorithm, hashes.SHA256):
            raise PeerRefused("CRL not signed with SHA-256")
        if crl.next_update_utc is None:
            raise PeerRefused("CRL without nextUpdate")
        now = datetime.datetime.now(datetime.UTC)
        if crl.last_update_utc > now + datetime.timedelta(seconds=300):
            raise PeerRefused("CRL from the future")
        self.crl = crl
        serials = [entry.serial_number for entry in crl]
        if _fault("crl-first-entry-only"):
            serials = serials[:1]
        self.revoked = frozenset(serials)

    def crl_fresh(self) -> bool:
        crl = self.crl
        if crl is None or crl.next_update_utc is None:
            return False
        now = datetime.datetime.now(datetime.UTC)
        lifetime = crl.next_update_utc - crl.last_update_utc
        return now < crl.next_update_utc and lifetime <= datetime.timedelta(days=7)

    async def refresh(self) -> None:
        if self.crl_file is not None:
            with open(self.crl_file, "rb") as handle:
                self.install_crl(handle.read())
        if self.ca_url is not None:
            self.install_crl(await fetch_crl(self.ca_url, self.root_path))

    def refresh_soon(self) -> None:
        """A stale CRL: fetch a fresh one in the background (the responder)."""
        if self.fetching is None or self.fetching.done():
            self.fetching = asyncio.ensure_future(self._refresh_logged())

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except (TimeoutError, OSError, ValueError, PeerRefused, ssl.SSLError) as exc:
            _log(f"CRL refresh failed: {exc}")


async def fetch_crl(ca_url: str, root_path: str) -> bytes:
    """GET /v1/crl from the CA over TLS 1.3, HTTP/1.1, `Connection: close`."""
    url = urllib.parse.urlsplit(ca_url)
    if url.scheme != "https" or url.hostname is None:
        raise ValueError(f"CA URL must be https://HOST:PORT, not {ca_url!r}")
    host, port = url.hostname, url.port or 443
    context = ca_client_context(root_path)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=host), 10.0
    )
    try:
        host_header = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        writer.write(
            f"GET /v1/crl HTTP/1.1\r\nHost: {host_header}\r\nAccept: application/pkix-crl\r\n"
            "Connection: close\r\n\r\n".encode("ascii")
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split(" ")
        if len(status) < 2 or status[1] != "200":
            raise ValueError(f"CA answered {lines[0]!r} to GET /v1/crl")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            length = int(headers["content-length"])
            if length > 16 * 2**20:
                raise ValueError("CRL too large")
            return await asyncio.wait_for(reader.readexactly(length), 10.0)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10.0)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    return bytes(body)
                body += await asyncio.wait_for(reader.readexactly(size + 2), 10.0)
                del body[-2:]
                if len(body) > 16 * 2**20:
                    raise ValueError("CRL too large")
        return await asyncio.wait_for(reader.read(16 * 2**20), 10.0)
    finally:
        writer.transport.abort()


_ALIAS = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def judge_certificate(der: bytes | None, trust: Trust, *, want_client: bool) -> str:
    """PKI-CERT-1…11, PKI-ID-4: the peer's alias, or PeerRefused."""
    if der is None:
        raise PeerRefused("no certificate")
    cert = x509.load_der_x509_certificate(der)
    if cert.version != x509.Version.v3:
        raise PeerRefused("not X.509 v3")
    try:
        cert.verify_directly_issued_by(trust.root)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise PeerRefused("not issued by the organisation root") from exc
    sha2 = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
    accepted_hashes = sha2 if want_client and _fault("any-sha2-accepted") else (hashes.SHA256,)
    if not want_client and _fault("b24_initiator_sha384_cert"):
        accepted_hashes = sha2  # "a peer's CA signed with SHA-384: stronger, so fine"
    if not isinstance(cert.signature_hash_algorithm, accepted_hashes):
        raise PeerRefused("not signed with SHA-256")
    now = datetime.datetime.now(datetime.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise PeerRefused("outside its validity")
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise PeerRefused("EC key not on P-256")
    elif isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise PeerRefused("RSA key below 2048 bits")
    else:
        raise PeerRefused("key neither P-256 nor RSA")
    extensions = cert.extensions
    try:
        constraints = extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise PeerRefused(f"extension missing: {exc}") from exc
    try:
        purposes: list[x509.ObjectIdentifier] | None = list(
            extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        )
    except x509.ExtensionNotFound:
        purposes = None
    if constraints.ca and not (_fault("ca-true-accepted") or _fault("r2-initiator-ca-true")):
        raise PeerRefused("BasicConstraints CA:TRUE")
    usage_ok = usage.digital_signature and not (usage.key_cert_sign or usage.crl_sign)
    if not want_client and _fault("r12b-initiator-ku-denylist"):
        usage_ok = not (usage.key_cert_sign or usage.crl_sign)  # "no CA bits: fine"
    if not usage_ok and not (want_client and _fault("key-usage-unchecked")):
        raise PeerRefused("KeyUsage is not digitalSignature")
    wanted = ExtendedKeyUsageOID.CLIENT_AUTH if want_client else ExtendedKeyUsageOID.SERVER_AUTH
    if purposes is None:
        if not (want_client and _fault("eku-missing-is-any")):
            raise PeerRefused("no ExtendedKeyUsage")
    elif not want_client and _fault("b24_initiator_eku_either"):
        if not {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH} & set(purposes):
            raise PeerRefused("ExtendedKeyUsage lacks the purpose")
    elif wanted not in purposes:
        raise PeerRefused("ExtendedKeyUsage lacks the purpose")
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1 and not (_fault("r2-initiator-first-cn") and names):
        raise PeerRefused("subject without exactly one CN")
    alias = names[0].value
    if not want_client and _fault("r12b-initiator-san-alias"):
        try:  # "modern TLS names the host in the subjectAltName"
            san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = san.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            dns = []
        if dns:
            alias = dns[0]
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise PeerRefused("CN is not an alias")
    if _fault("initiator-no-crl" if not want_client else "crl-not-checked"):
        return alias
    if not trust.crl_fresh():
        raise PeerRefused("the CRL held is stale")
    if cert.serial_number in trust.revoked:
        raise PeerRefused("revoked")
    return alias


# --------------------------------------------------------------------------- responder


@dataclass
class Limits:
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_file_size: int = 4 * 2**30
    frame_limit: int = DEFAULT_FRAME_LIMIT
    max_connections: int = 64
    max_pending_per_address: int = 8
    crl_refresh: float = 300.0


@dataclass
class _Connection:
    address: str
    accepted: float
    task: asyncio.Task[None] | None
    writer: asyncio.StreamWriter
    pending: bool = True


@dataclass
class _Put:
    final: str
    temp: str
    fd: int
    size: int
    announced_sha256: str | None
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)


class Responder:
    def __init__(
        self,
        *,
        trust: Trust,
        context: ssl.SSLContext,
        share: str,
        inbox: str,
        limits: Limits,
        allow: frozenset[str] | None,
        put_enabled: bool,
    ) -> None:
        self.trust = trust
        self.context = context
        self.share = share
        self.inbox = inbox
        self.limits = limits
        self.allow = allow
        self.put_enabled = put_enabled
        self.connections: list[_Connection] = []
        self.live_temporaries: set[str] = set()
        self.allow_memo: dict[str, bool] = {}  # only for the fault "r12b-allow-cached-by-address"

    # admission (LIM-4, LIM-8, LIM-9)
    def _admit(self, connection: _Connection) -> bool:
        pending_here = sum(
            1 for c in self.connections if c.pending and c.address == connection.address
        )
        if pending_here >= self.limits.max_pending_per_address and not _fault("no-pending-cap"):
            _log(f"refused {connection.address}: too many unfinished handshakes")
            return False
        if len(self.connections) >= self.limits.max_connections:
            pending = [c for c in self.connections if c.pending]
            if not pending or _fault("no-eviction"):
                _log(f"refused {connection.address}: busy")
                return False
            oldest = min(pending, key=lambda c: c.accepted)
            _log(f"evicted an unfinished handshake of {oldest.address}")
            self.connections.remove(oldest)
            oldest.writer.transport.abort()
            if oldest.task is not None:
                oldest.task.cancel()
        self.connections.append(connection)
        return True

    async def on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        connection = _Connection(
            str(peer[0]) if peer else "?", time.monotonic(), asyncio.current_task(), writer
        )
        if not self._admit(connection):
            writer.transport.abort()
            return
        try:
            await self._serve_connection(reader, writer, connection)
        except asyncio.CancelledError:
            writer.transport.abort()
        except Exception as exc:  # LIM-5: one connection's trouble stays its own
            _log(f"connection from {connection.address} failed: {type(exc).__name__}")
            writer.transport.abort()
        finally:
            if connection in self.connections:
                self.connections.remove(connection)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: _Connection
    ) -> None:
        channel = TlsChannel(reader, writer, self.context, server_side=True)
        try:
            deadline = None if _fault("no-handshake-timeout") else self.limits.handshake_timeout
            if _fault("handshake-deadline-per-read"):
                await channel.handshake(per_read=deadline)
            else:
                await asyncio.wait_for(channel.handshake(), deadline)
        except TimeoutError:
            _log(f"handshake timeout for {connection.address}")
            if _fault("r2-handshake-timeout-left-open"):
                return  # "it is out of the list: done with it"
            channel.abort()
            if _fault("pending-leak-on-timeout"):
                self.connections.append(
                    _Connection(connection.address, connection.accepted, None, writer)
                )
            return
        except (ssl.SSLError, ConnectionEnded, OSError) as exc:
            _log(f"handshake with {connection.address} failed: {exc}")
            await channel.close()
            if _fault("r2-failed-handshake-slot-leaked"):
                self.connections.append(
                    _Connection(connection.address, connection.accepted, None, writer)
                )
            return
        if not _fault("r2-established-still-pending"):
            connection.pending = False
        if channel.tls.selected_alpn_protocol() != ALPN and not _fault("alpn-not-enforced"):
            _log(f"{connection.address}: no sft-pki/1 in ALPN, closed")
            await channel.close()
            return
        try:
            alias = judge_certificate(channel.peer_certificate(), self.trust, want_client=True)
        except (PeerRefused, ValueError) as exc:
            _log(f"{connection.address}: certificate refused: {exc}")
            if not self.trust.crl_fresh():
                self.trust.refresh_soon()
            if _fault("r2-auth-failed-abort"):
                await channel.send(error_frame(ErrorCode.AUTH_FAILED, "authentication failed"), 2.0)
                channel.abort()  # "refused: no need to be polite"
                return
            await send_fatal(
                channel, FrameError(ErrorCode.AUTH_FAILED, "authentication failed"), self.limits
            )
            return
        _log(f"{connection.address}: authenticated as {alias}")
        session = _Session(self, channel, alias)
        session.address = connection.address
        await session.run()


class _Session:
    """One authenticated connection: the state table of SPEC §3.2."""

    def __init__(self, responder: Responder, channel: TlsChannel, alias: str) -> None:
        self.responder = responder
        self.channel = channel
        self.alias = alias
        self.limits = responder.limits
        self.put: _Put | None = None
        self.address = ""

    @property
    def state(self) -> str:
        return "RECEIVING" if self.put is not None else "IDLE"

    async def send(self, data: bytes) -> None:
        await self.channel.send(data, self.limits.idle_timeout)

    async def run(self) -> None:
        try:
            await self._loop()
        except FrameError as exc:
            self._discard_put()
            await send_fatal(self.channel, exc, self.limits)
        except ConnectionEnded:
            put = self.put
            if put is not None and _fault("b17-eof-full-put-stored") and put.received == put.size:
                # "every byte arrived: the DONE is a formality"
                os.fsync(put.fd)
                os.close(put.fd)
                put.fd = -1
                with contextlib.suppress(OSError):
                    os.link(put.temp, os.path.join(self.responder.inbox, put.final))
            if self.put is not None:
                _log(f"{self.alias}: put of {self.put.final!r} cut short")
            self._discard_put()
            # close_notify even after a bare FIN: the stream may still take it
            await self.channel.close()
        except (TimeoutError, OSError):
            # a peer that stopped reading (LIM-10) or vanished
            self._discard_put()
            self.channel.abort()
        finally:
            self._discard_put()

    async def _loop(self) -> None:
        idle = None if _fault("no-idle-timeout") else self.limits.idle_timeout
        session_end = time.monotonic() + self.limits.idle_timeout
        while True:
            try:
                if _fault("idle-from-accept"):
                    idle = max(0.0, session_end - time.monotonic())
                if _fault("header-in-one-record"):
                    header = await self.channel.recv_some(HEADER_LENGTH, idle)
                    if len(header) < HEADER_LENGTH:
                        raise FrameError(ErrorCode.BAD_FRAME, "short frame header")
                else:
                    header = await self.channel.recv_exact(HEADER_LENGTH, idle)
            except TimeoutError:
                raise FrameError(ErrorCode.TIMEOUT, "idle timeout") from None
            except ConnectionEnded:
                raise
            limit = self.limits.frame_limit
            if _fault("frame-limit-after-payload"):
                limit = 2**32
            kind, length = parse_header(header, limit)
            if _fault("frame-limit-after-payload") and length > self.limits.frame_limit:
                await self.channel.recv_exact(length, idle)
                raise FrameError(ErrorCode.FRAME_TOO_LARGE, "frame above the limit")
            allowed = _ALLOWED[self.state]
            if kind not in allowed:
                raise FrameError(ErrorCode.UNEXPECTED_FRAME, f"{kind} not allowed in {self.state}")
            if kind == "DATA":
                await self._on_data(length, idle)
                continue
            if length > CONTROL_LIMIT or (
                _fault("control-limit-off-by-one") and length == CONTROL_LIMIT
            ):
                raise FrameError(ErrorCode.FRAME_TOO_LARGE, "control payload above 65536 bytes")
            try:
                if _fault("b26_eof_partial_control"):
                    payload = await self.channel.recv_upto(length, idle)
                else:
                    payload = await self.channel.recv_exact(length, idle)
            except TimeoutError:
                raise FrameError(ErrorCode.TIMEOUT, "idle timeout") from None
            if kind == "BYE_" and _fault("b4-bye-unparsed"):
                body: dict[str, Any] = {}  # "BYE_ carries nothing"
            else:
                body = parse_control(payload)
            if kind == "EROR":
                try:
                    code = member_int(body, "code")
                except FrameError:
                    if _fault("b4-malformed-eror-ignored"):
                        continue  # "not a valid error: ignore it"
                    raise
                if _fault("b26_unknown_eror_ignored") and code not in ErrorCode._value2member_map_:
                    _log(f"{self.alias}: EROR code {code} unknown, ignored (a newer peer?)")
                    continue
                _log(f"{self.alias}: peer sent EROR {body.get('code')}, closing")
                self._discard_put()
                await self.channel.close()
                return
            if kind == "BYE_":
                _log(f"{self.alias}: BYE_")
                await self.channel.close()
                return
            checked = kind == "RQFL" or not _fault("r2-allow-get-only")
            if checked and self.responder.allow is not None and not self._allowed():
                await self.send(error_frame(ErrorCode.FORBIDDEN, "not authorised"))
                if _fault("allow-list-no-close"):
                    continue
                _log(f"{self.alias}: not on the allow list, closed")
                await self.channel.close()
                return
            if kind == "RQFL":
                await self._on_get(body)
            elif kind == "PUTF":
                await self._on_put(body)
            else:
                await self._on_done(body)

    def _allowed(self) -> bool:
        allow = self.responder.allow or frozenset()
        if _fault("r12b-allow-cached-by-address"):  # "one lookup per client machine"
            memo = self.responder.allow_memo
            return memo.setdefault(self.address, self.alias in allow)
        if _fault("allow-list-prefix"):
            return any(self.alias.startswith(a) for a in allow)
        return self.alias in allow

    # get
    async def _on_get(self, body: dict[str, Any]) -> None:
        name = member_str(body, "name")
        try:
            parts = check_name(name)
            fd = open_in_share(self.responder.share, parts)
        except FrameError as exc:
            message = exc.message
            if _fault("error-echoes-name") and exc.code == ErrorCode.NOT_FOUND:
                message = f"no such file: {name}"
            await self.send(error_frame(exc.code, message))
            if _fault("close-after-refusal"):
                await self.channel.close()
                raise ConnectionEnded(True) from None
            return
        try:
            size = os.fstat(fd).st_size
            if size == 0 and _fault("b17-empty-file-not-found"):  # "nothing there to send"
                await self.send(error_frame(ErrorCode.NOT_FOUND, "no such file"))
                return
            if size > self.limits.max_file_size or (
                _fault("get-too-large-inclusive") and size == self.limits.max_file_size
            ):
                await self.send(error_frame(ErrorCode.TOO_LARGE, "file above the size limit"))
                return
            await self.send(encode_control("RSFL", {"name": name, "size": size}))
            digest = hashlib.sha256()
            left = size
            if _fault("b26_get_reads_to_eof"):  # "read until the end, the usual loop"
                while chunk := os.read(fd, SEND_CHUNK):
                    digest.update(chunk)
                    await self.send(encode_frame("DATA", chunk))
                left = 0
            while left:
                chunk = os.read(fd, min(SEND_CHUNK, left))
                if not chunk:
                    raise FrameError(ErrorCode.INTERNAL, "the file shrank while sent")
                if _fault("b17-get-digest-per-chunk"):
                    digest = hashlib.sha256()  # "one digest per frame read"
                digest.update(chunk)
                left -= len(chunk)
                await self.send(encode_frame("DATA", chunk))
            if _fault("r12b-get-empty-data-tail"):
                await self.send(encode_frame("DATA", b""))  # the read that found the end
            await self.send(encode_control("DONE", {"size": size, "sha256": digest.hexdigest()}))
            _log(f"{self.alias}: get {name!r} size={size} sent")
        finally:
            os.close(fd)

    # put
    async def _on_put(self, body: dict[str, Any]) -> None:
        name = member_str(body, "name")
        size = member_int(body, "size")
        announced = member_sha256(body, "sha256", required=False)
        try:
            if not self.responder.put_enabled:
                raise FrameError(ErrorCode.UNSUPPORTED, "put is disabled here")
            if size > self.limits.max_file_size or (
                _fault("too-large-inclusive") and size == self.limits.max_file_size
            ):
                raise FrameError(ErrorCode.TOO_LARGE, "size above the limit")
            if _fault("r2-put-basename-checked-only"):
                final = check_name(name.rsplit("/", 1)[-1])[-1]
            else:
                final = check_name(name)[-1]
            if _fault("put-path-flattened"):
                final = name.replace("/", "_")
            reserved = name if _fault("b26_reserved_prefix_on_name") else final
            if reserved.startswith(PARTIAL_PREFIX) and not _fault("put-reserved-prefix"):
                raise FrameError(ErrorCode.FORBIDDEN, "reserved name")
            known_absent = _fault("b4-inbox-absent-cache") and final in _ABSENT_NAMES
            if (
                not known_absent
                and os.path.lexists(os.path.join(self.responder.inbox, final))
                and not _fault("put-overwrites")
            ):
                raise FrameError(ErrorCode.EXISTS, "a file of that name exists")
            if _fault("b4-inbox-absent-cache"):
                _ABSENT_NAMES.add(final)  # "it was not there: no need to look again"
        except FrameError as exc:
            if _fault("b17-exists-leaves-receiving") and exc.code == ErrorCode.EXISTS:
                # "the temporary is made first: the answer can come after"
                temp = os.path.join(self.responder.inbox, PARTIAL_PREFIX + secrets.token_hex(12))
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                self.responder.live_temporaries.add(temp)
                self.put = _Put(name.rsplit("/", 1)[-1], temp, fd, size, announced)
            await self.send(error_frame(exc.code, exc.message))
            if _fault("b17-put-forbidden-closes") and exc.code == ErrorCode.FORBIDDEN:
                await self.channel.close()  # "a bad name is an attack: end it"
                raise ConnectionEnded(True) from None
            if _fault("r2-put-too-large-closes") and exc.code == ErrorCode.TOO_LARGE:
                await self.channel.close()  # "a file we cannot take ends it"
                raise ConnectionEnded(True) from None
            return
        temp = os.path.join(self.responder.inbox, PARTIAL_PREFIX + secrets.token_hex(12))
        mode = 0o644 if _fault("put-temp-0644") else 0o600
        if _fault("r12b-put-temp-per-name"):  # "the final name is free: so is its temporary"
            temp = os.path.join(self.responder.inbox, PARTIAL_PREFIX + final)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        else:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        if _fault("put-temp-0644"):
            os.fchmod(fd, mode)
        self.responder.live_temporaries.add(temp)
        self.put = _Put(final, temp, fd, size, announced)
        await self.send(encode_control("RSFL", {"accept": True, "name": final}))

    async def _on_data(self, length: int, idle: float | None) -> None:
        put = self.put
        assert put is not None
        if (length == 0 and not _fault("empty-data-accepted")) or length > DATA_LIMIT:
            raise FrameError(ErrorCode.BAD_FRAME, "DATA of 0 or more than 1 MiB")
        if _fault("b17-data-limit-exclusive") and length >= DATA_LIMIT:
            raise FrameError(ErrorCode.BAD_FRAME, "DATA of 0 or 1 MiB and more")
        late = _fault("put-extra-data-late")
        by_chunk = _fault("r12b-put-excess-by-chunk")
        if put.received + length > put.size and not late and not by_chunk:
            raise FrameError(ErrorCode.INTEGRITY_FAILED, "more data than announced")
        left = length
        while left:
            try:
                chunk = await self.channel.recv_some(left, idle)
            except TimeoutError:
                if _fault("r2-put-data-timeout-abort"):
                    raise  # "the sender is gone": run() aborts
                raise FrameError(ErrorCode.TIMEOUT, "idle timeout") from None
            left -= len(chunk)
            if by_chunk and put.received + len(chunk) > put.size:  # "count what arrives"
                raise FrameError(ErrorCode.INTEGRITY_FAILED, "more data than announced")
            put.digest.update(chunk)
            if put.received + len(chunk) < put.size or (
                put.received + len(chunk) == put.size and not _fault("b17-put-last-chunk-dropped")
            ):
                os.write(put.fd, chunk)
            put.received += len(chunk)

    async def _on_done(self, body: dict[str, Any]) -> None:
        put = self.put
        if put is None and _fault("r2-done-allowed-in-idle"):
            return  # "a DONE of nothing: nothing to do"
        assert put is not None
        size = member_int(body, "size")
        sha = member_sha256(body, "sha256", required=True)
        actual = put.digest.hexdigest()
        cut = 32 if _fault("b17-done-sha-prefix-compare") else 64  # "half the digest is plenty"
        if _fault("r12b-put-putf-sha-trusted") and put.announced_sha256 is not None:
            actual = put.announced_sha256  # "the initiator told us: no need to hash twice"
        if (
            (size != put.size and not _fault("done-size-unchecked"))
            or put.received != put.size
            or not hmac.compare_digest(actual[:cut], (sha or "").lower()[:cut])
            or (
                put.announced_sha256 is not None
                and put.announced_sha256 != actual
                and not _fault("r2-announced-sha-unchecked")
            )
        ):
            if _fault("b17-integrity-nonfatal"):  # "the file failed, not the connection"
                self._discard_put()
                await self.send(error_frame(ErrorCode.INTEGRITY_FAILED, "size or SHA-256 mismatch"))
                return
            raise FrameError(ErrorCode.INTEGRITY_FAILED, "size or SHA-256 mismatch")
        os.fsync(put.fd)
        os.close(put.fd)
        put.fd = -1
        final_path = os.path.join(self.responder.inbox, put.final)
        early = _fault("r12b-done-before-link")
        if early:  # "the data is verified and synced: the answer need not wait for the link"
            await self.send(encode_control("DONE", {"size": put.size, "sha256": actual}))
        try:
            if _fault("put-overwrites") or _fault("put-replace-at-commit"):
                os.replace(put.temp, final_path)
            else:
                os.link(put.temp, final_path, follow_symlinks=False)
                os.unlink(put.temp)
        except FileExistsError:
            self._discard_put()
            if early:
                _log(f"{self.alias}: put {put.final!r} lost a race after its DONE")
                return
            await self.send(error_frame(ErrorCode.EXISTS, "a file of that name was stored"))
            return
        self.responder.live_temporaries.discard(put.temp)
        self.put = None
        directory = os.open(self.responder.inbox, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        if not early:
            await self.send(encode_control("DONE", {"size": put.size, "sha256": actual}))
        _log(f"{self.alias}: put {put.final!r} size={put.size} stored")

    def _discard_put(self) -> None:
        put, self.put = self.put, None
        if put is None:
            return
        if put.fd >= 0:
            os.close(put.fd)
        if _fault("put-temp-kept"):
            return
        try:
            os.unlink(put.temp)
        except FileNotFoundError:
            pass
        self.responder.live_temporaries.discard(put.temp)


_ALLOWED = {
    "IDLE": frozenset({"RQFL", "PUTF", "BYE_", "EROR"}),
    "RECEIVING": frozenset({"DATA", "DONE", "EROR"}),
}
if _fault("bye-during-put"):
    _ALLOWED["RECEIVING"] = _ALLOWED["RECEIVING"] | {"BYE_"}
if _fault("r2-done-allowed-in-idle"):
    _ALLOWED["IDLE"] = _ALLOWED["IDLE"] | {"DONE"}


async def send_fatal(channel: TlsChannel, error: FrameError, limits: Limits) -> None:
    """Send the EROR; a fatal one ends the connection at once (ERR-3, PKI-TLS-7)."""
    try:
        await channel.send(error_frame(error.code, error.message), 2.0)
    except (TimeoutError, OSError, ssl.SSLError):
        channel.abort()
        return
    if not error.code.fatal:
        return
    if _fault("no-close-after-fatal") or (
        _fault("timeout-no-close") and error.code == ErrorCode.TIMEOUT
    ):
        await asyncio.sleep(limits.idle_timeout)
    await channel.close()


def sweep_partials(directory: str, older_than: float | None) -> None:
    """APP-STORE-3: remove temporaries an earlier run left (the responder: all of them)."""
    now = time.time()
    for entry in os.scandir(directory):
        if not entry.name.startswith(PARTIAL_PREFIX) or not entry.is_file(follow_symlinks=False):
            continue
        if older_than is not None and now - entry.stat(follow_symlinks=False).st_mtime < older_than:
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            pass


async def _crl_loop(trust: Trust, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await trust._refresh_logged()


async def serve(args: argparse.Namespace) -> int:
    limits = Limits(
        handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout,
        max_file_size=args.max_file_size,
        frame_limit=args.frame_limit,
        max_connections=args.max_connections,
        max_pending_per_address=args.max_pending_per_address,
        crl_refresh=args.crl_refresh,
    )
    trust = Trust.load(args.root, args.ca_url, args.crl_file)
    try:
        await trust.refresh()
    except (TimeoutError, OSError, ValueError, PeerRefused, ssl.SSLError) as exc:
        _log(f"cannot load the CRL at start, not serving: {exc}")
        return 2
    sweep_partials(args.inbox, None)
    responder = Responder(
        trust=trust,
        context=responder_context(args.root, args.cert, args.key),
        share=args.share,
        inbox=args.inbox,
        limits=limits,
        allow=frozenset(args.allow) if args.allow else None,
        put_enabled=not args.no_put,
    )
    if args.listen_fd is not None:  # a restart (SIGHUP) kept its listening socket
        server = await asyncio.start_server(
            responder.on_connect, sock=socket.socket(fileno=args.listen_fd), limit=2**16
        )
    else:
        host, _, port = args.listen.rpartition(":")
        server = await asyncio.start_server(
            responder.on_connect, host.strip("[]"), int(port), limit=2**16, backlog=256
        )
    refresher = asyncio.ensure_future(_crl_loop(trust, limits.crl_refresh))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    kept: list[int] = []

    def restart() -> None:  # SIGHUP: a new image on a duplicate of the listening socket
        kept.append(os.dup(server.sockets[0].fileno()))
        stop.set()

    loop.add_signal_handler(signal.SIGHUP, restart)
    bound = server.sockets[0].getsockname()
    _log(f"limits: {limits}")
    print(f"listening on {bound[0]}:{bound[1]} (pki2)", flush=True)
    async with server:
        await stop.wait()
    refresher.cancel()
    for temp in list(responder.live_temporaries):  # APP-STORE-3: signals we survive
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
    if kept:
        os.set_inheritable(kept[0], True)
        argv = [a for a in sys.argv[1:] if not a.startswith("--listen-fd")]
        module = __spec__.name if __spec__ else __name__
        os.execv(  # noqa: S606 - our own interpreter and module, argv as we were started
            sys.executable, [sys.executable, "-m", module, *argv, f"--listen-fd={kept[0]}"]
        )
    return 0


# --------------------------------------------------------------------------- initiator


class TransferFailed(Exception):
    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal  # the responder's EROR was fatal: the connection is over


class _NonFatalUnknown(TransferFailed):
    """The planted ERR-4 mistake: an unknown code taken for a refusal."""


_EXPECT = {
    "get-answer": frozenset({"RSFL", "EROR"}),
    "get-data": frozenset({"DATA", "DONE", "EROR"}),
    "put-answer": frozenset({"RSFL", "EROR"}),
    "put-done": frozenset({"DONE", "EROR"}),
}


class Initiator:
    def __init__(self, args: argparse.Namespace) -> None:
        alias, sep, where = args.peer.partition("@")
        if not sep or not alias:
            raise SystemExit("pki2: the responder is ALIAS@HOST:PORT")
        host, _, port = where.rpartition(":")
        self.alias = alias
        self.host = host.strip("[]")
        self.port = int(port)
        self.args = args
        self.timeout: float = args.timeout
        self.channel: TlsChannel | None = None

    async def connect(self, early: bytes = b"") -> TlsChannel:
        trust = Trust.load(self.args.root, self.args.ca_url, self.args.crl_file)
        await trust.refresh()
        context = initiator_context(self.args.root, self.args.cert, self.args.key)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.timeout
        )
        channel = TlsChannel(reader, writer, context, server_side=False)
        self.channel = channel
        try:
            await asyncio.wait_for(channel.handshake(), self.timeout)
        except TimeoutError:
            channel.abort()
            raise TransferFailed("timed out before the handshake completed") from None
        except (ssl.SSLError, ConnectionEnded, OSError) as exc:
            channel.abort()
            raise TransferFailed(f"handshake failed: {exc}") from exc
        if early and _fault("initiator-request-first"):
            await channel.send(early, self.timeout)
        if channel.tls.selected_alpn_protocol() != ALPN:
            await channel.close()
            raise TransferFailed("the responder did not select sft-pki/1")
        try:
            alias = judge_certificate(channel.peer_certificate(), trust, want_client=False)
        except (PeerRefused, ValueError) as exc:
            await channel.close()
            raise TransferFailed(f"responder certificate refused: {exc}") from exc
        same = alias == self.alias
        if _fault("initiator-cn-prefix"):
            same = alias.startswith(self.alias)
        if _fault("initiator-no-cn-check"):
            same = True
        if not same:
            await channel.close()
            raise TransferFailed(f"the responder is {alias!r}, not {self.alias!r}")
        return channel

    async def _fail(self, error: FrameError) -> TransferFailed:
        channel = self.channel
        if channel is not None:
            try:
                await channel.send(error_frame(error.code, error.message), 2.0)
            except (TimeoutError, OSError, ssl.SSLError):
                pass
            await channel.close()
        return TransferFailed(f"{error.code.wire_name}: {error.message}")

    async def read_frame(self, expecting: str) -> tuple[str, int]:
        """The next header, checked against what the current step allows."""
        channel = self.channel
        assert channel is not None
        header = await channel.recv_exact(HEADER_LENGTH, self.timeout)
        kind, length = parse_header(header, DEFAULT_FRAME_LIMIT, initiator=True)
        if _fault("r12b-initiator-frames-denylist"):
            if kind in ("RQFL", "PUTF"):  # "a responder never sends requests"
                raise FrameError(ErrorCode.UNEXPECTED_FRAME, f"{kind} while {expecting}")
        elif kind not in _EXPECT[expecting]:
            raise FrameError(ErrorCode.UNEXPECTED_FRAME, f"{kind} while {expecting}")
        if kind == "DATA":
            data_limit = (
                DEFAULT_FRAME_LIMIT if _fault("r2-initiator-data-limit-unchecked") else DATA_LIMIT
            )
            if _fault("b24_initiator_data_chunk_sized"):
                data_limit = SEND_CHUNK  # "the frames we send are 200 000 bytes"
            if length == 0 or length > data_limit:
                raise FrameError(ErrorCode.BAD_FRAME, "DATA of 0 or more than 1 MiB")
        elif length > CONTROL_LIMIT and not _fault("r2-initiator-control-limit-unchecked"):
            raise FrameError(ErrorCode.FRAME_TOO_LARGE, "control payload above 65536 bytes")
        return kind, length

    async def read_control(self, length: int) -> dict[str, Any]:
        assert self.channel is not None
        if _fault("b26_initiator_eof_partial_done"):
            return parse_control(await self.channel.recv_upto(length, self.timeout))
        return parse_control(await self.channel.recv_exact(length, self.timeout))

    async def bye(self) -> None:
        channel = self.channel
        if channel is None:
            return
        try:
            await channel.send(encode_control("BYE_", {}), 2.0)
        except (TimeoutError, OSError, ssl.SSLError):
            pass
        await channel.close()

    def refused(self, body: dict[str, Any]) -> TransferFailed:
        code = member_int(body, "code")
        member_str(body, "name")
        member_str(body, "message")
        if code not in ErrorCode._value2member_map_ and _fault("initiator-unknown-code-nonfatal"):
            return _NonFatalUnknown(f"responder answered code {code}")
        known = ErrorCode(code) if code in ErrorCode._value2member_map_ else ErrorCode.INTERNAL
        return TransferFailed(
            f"responder answered {known.wire_name}: {body.get('message')!r}", fatal=known.fatal
        )

    async def run(self, step: Callable[[], Any]) -> int:
        try:
            await step()
            return 0
        except FrameError as exc:
            failure = await self._fail(exc)
            _log(str(failure))
        except TransferFailed as exc:
            _log(str(exc))
        except ConnectionEnded as exc:
            _log(f"the responder closed the connection: {exc}")
        except (TimeoutError, OSError, ssl.SSLError, ValueError, PeerRefused) as exc:
            _log(f"failed: {type(exc).__name__}: {exc}")
        if self.channel is not None:
            if _fault("initiator-abort-after-error"):
                self.channel.abort()
                return 1
            # close_notify whenever the stream can still take it (PKI-TLS-7); bounded
            await self.channel.close()
        return 1


class _GetOutput:
    """The temporary of a get (APP-STORE-1) and its commit (APP-GET-6, APP-STORE-2)."""

    def __init__(self, out: str, force: bool) -> None:
        self.out = os.path.abspath(out)
        self.directory = os.path.dirname(self.out)
        self.force = force
        self.temp = os.path.join(self.directory, PARTIAL_PREFIX + secrets.token_hex(12))
        if _fault("r12b-initiator-writes-in-place") and not force:
            self.temp = self.out  # "nothing to protect: no file there (checked)"
        mode = 0o644 if _fault("initiator-temp-0644") else 0o600
        self.fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        if _fault("initiator-temp-0644"):
            os.fchmod(self.fd, mode)

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def commit(self) -> None:
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        if self.temp == self.out:
            self.temp = ""  # in place already (the fault "r12b-initiator-writes-in-place")
        elif self.force:
            os.replace(self.temp, self.out)
        else:
            os.link(self.temp, self.out, follow_symlinks=False)
            os.unlink(self.temp)
        directory = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass


async def run_get(args: argparse.Namespace) -> int:
    if _fault("initiator-overwrites"):
        args.force = True
    if os.path.lexists(args.out) and not args.force:
        _log(f"{args.out} exists; --force to replace it")
        return 2
    stale = None if _fault("r2-initiator-sweep-all") else args.idle_timeout
    sweep_partials(os.path.dirname(os.path.abspath(args.out)), stale)
    initiator = Initiator(args)
    output: _GetOutput | None = None

    async def get() -> None:
        nonlocal output
        request = encode_control("RQFL", {"name": args.name})
        channel = await initiator.connect(early=request)
        if not _fault("initiator-request-first"):
            await channel.send(request, initiator.timeout)
        kind, length = await initiator.read_frame("get-answer")
        body = await initiator.read_control(length)
        if kind == "EROR":
            failure = initiator.refused(body)
            if isinstance(failure, _NonFatalUnknown):
                # waits for the next answer as after a refusal, then says goodbye
                try:
                    await channel.recv_exact(HEADER_LENGTH, initiator.timeout)
                except (TimeoutError, ConnectionEnded):
                    pass
            if not _fault("initiator-abort-after-error") and not failure.fatal:
                await initiator.bye()  # ERR-3: after a fatal EROR nothing more, not a BYE_
            raise failure
        answered_name = member_str(body, "name")
        size = member_int(body, "size")
        early_sha = member_sha256(body, "sha256", required=False)
        out = args.out
        if answered_name != args.name:
            if not _fault("initiator-saves-rsfl-name"):
                raise FrameError(ErrorCode.BAD_FRAME, "RSFL names another file")
            out = os.path.join(os.path.dirname(os.path.abspath(args.out)), answered_name)
        output = _GetOutput(out, args.force)
        digest = hashlib.sha256()
        received = 0
        while True:
            try:
                kind, length = await initiator.read_frame("get-data")
            except ConnectionEnded as ended:
                if _fault("initiator-eof-is-done") and received == size:
                    output.commit()
                    return
                if _fault("b24_initiator_clean_close_is_done") and ended.clean:
                    if received == size:
                        output.commit()
                        return
                raise
            if kind == "DATA":
                dropping = _fault("initiator-extra-dropped")
                beyond = received + length > size
                if _fault("r12b-initiator-excess-per-frame"):
                    beyond = length > size  # "no frame may hold more than the file"
                if beyond and not dropping:
                    raise FrameError(ErrorCode.INTEGRITY_FAILED, "more data than announced")
                left = length
                while left:
                    chunk = await channel.recv_some(left, initiator.timeout)
                    left -= len(chunk)
                    if dropping:
                        chunk = chunk[: max(0, size - received)]
                    digest.update(chunk)
                    output.write(chunk)
                    received += len(chunk)
                continue
            body = await initiator.read_control(length)
            if kind == "EROR":
                raise initiator.refused(body)
            done_size = member_int(body, "size")
            actual = digest.hexdigest()
            if _fault("b24_initiator_legacy_done") and "sha256" not in body:
                body = {**body, "sha256": actual}  # "sft-pki/0 peers send the size alone"
            done_sha = member_sha256(body, "sha256", required=True)
            sha_ok = done_sha == actual and (early_sha is None or early_sha == actual)
            if _fault("b24_initiator_rsfl_sha_ignored"):
                sha_ok = done_sha == actual  # "RSFL's digest is only a hint"
            if _fault("initiator-sha-unchecked"):
                sha_ok = True
            sizes_ok = received == size == done_size
            if _fault("r2-initiator-rsfl-size-unchecked"):
                sizes_ok = received == done_size  # "DONE says how much there was"
            if not (sizes_ok and sha_ok):
                raise FrameError(ErrorCode.INTEGRITY_FAILED, "size or SHA-256 mismatch")
            output.commit()
            _log(f"get {args.name!r} size={size} stored as {args.out}")
            await initiator.bye()
            return

    def on_signal() -> None:
        if output is not None:
            output.discard()
        os._exit(1)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)
    try:
        status = await initiator.run(get)
    except FileExistsError:
        _log(f"{args.out} appeared meanwhile; not replaced")
        status = 1
    if status != 0 and output is not None and not _fault("initiator-keeps-temp"):
        output.discard()
    return status


async def run_put(args: argparse.Namespace) -> int:
    name = args.as_name or os.path.basename(args.file)
    initiator = Initiator(args)
    try:
        fd = os.open(args.file, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        _log(f"cannot read {args.file}: {exc}")
        return 2
    size = os.fstat(fd).st_size
    digest = hashlib.sha256()
    while chunk := os.read(fd, 2**20):
        digest.update(chunk)
    sha = digest.hexdigest()

    async def send_content(channel: TlsChannel) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        again = hashlib.sha256()
        left = size
        if size == 0 and _fault("initiator-put-empty-data"):
            await channel.send(encode_frame("DATA", b""), initiator.timeout)
        while left:
            chunk = os.read(fd, min(SEND_CHUNK, left))
            if not chunk:
                raise TransferFailed("the local file shrank while sent")
            again.update(chunk)
            left -= len(chunk)
            await channel.send(encode_frame("DATA", chunk), initiator.timeout)
        await channel.send(
            encode_control("DONE", {"size": size, "sha256": again.hexdigest()}), initiator.timeout
        )

    async def put() -> None:
        channel = await initiator.connect()
        await channel.send(
            encode_control(
                "PUTF",
                {
                    "name": name,
                    "size": size,
                    # "no digest for nothing"
                    "sha256": None if size == 0 and _fault("r12b-initiator-putf-null-sha") else sha,
                },
            ),
            initiator.timeout,
        )
        if _fault("initiator-put-no-wait"):
            await send_content(channel)
        sent_early = False
        if _fault("b26_initiator_put_continue_timer"):
            try:
                kind, length = await asyncio.wait_for(initiator.read_frame("put-answer"), 1.0)
            except TimeoutError:  # "no answer in a second: 100-continue says go ahead"
                await send_content(channel)
                sent_early = True
                kind, length = await initiator.read_frame("put-answer")
        else:
            kind, length = await initiator.read_frame("put-answer")
        body = await initiator.read_control(length)
        if kind == "EROR":
            failure = initiator.refused(body)
            if not failure.fatal:
                await initiator.bye()  # ERR-3: after a fatal EROR nothing more, not a BYE_
            raise failure
        accept = body.get("accept")
        accepted = accept is True or (_fault("initiator-accept-truthy") and bool(accept))
        if not accepted:
            raise FrameError(ErrorCode.BAD_FRAME, "RSFL without accept: true after PUTF")
        member_str(body, "name")
        if not (_fault("initiator-put-no-wait") or sent_early):
            await send_content(channel)
        try:
            kind, length = await initiator.read_frame("put-done")
        except ConnectionEnded:
            if _fault("initiator-put-eof-success"):
                return
            raise
        body = await initiator.read_control(length)
        if kind == "EROR":
            if _fault("r2-initiator-put-exists-is-success") and body.get("code") == 12:
                await initiator.bye()
                return  # "exists: the file is there, as we wanted"
            raise initiator.refused(body)
        if member_int(body, "size") != size or member_sha256(body, "sha256", required=True) != sha:
            raise TransferFailed("the responder's DONE does not match what was sent")
        _log(f"put {name!r} size={size} stored")
        await initiator.bye()

    try:
        return await initiator.run(put)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- CLI


def _identity_options(parser: argparse.ArgumentParser, *, need_identity: bool) -> None:
    parser.add_argument("--cert", required=need_identity, help="our certificate (PEM)")
    parser.add_argument("--key", required=need_identity, help="our private key (PEM)")
    parser.add_argument("--root", required=True, help="the organisation root (PEM)")
    parser.add_argument("--ca-url", help="the CA, https://HOST:PORT (for the CRL)")
    parser.add_argument("--crl-file", help="a CRL file (DER or PEM) instead of / besides the CA")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pki2", description="clean-room sft-pki/1 peer")
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("serve", help="run the responder")
    server.add_argument("--listen", default="127.0.0.1:0")
    server.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    _identity_options(server, need_identity=True)
    server.add_argument("--share", required=True)
    server.add_argument("--inbox", required=True)
    server.add_argument("--allow", action="append", default=[], help="allowed alias")
    server.add_argument("--no-put", action="store_true")
    server.add_argument("--handshake-timeout", type=float, default=10.0)
    server.add_argument("--idle-timeout", type=float, default=60.0)
    server.add_argument("--max-file-size", type=int, default=4 * 2**30)
    server.add_argument("--frame-limit", type=int, default=DEFAULT_FRAME_LIMIT)
    server.add_argument("--max-connections", type=int, default=64)
    server.add_argument("--max-pending-per-address", type=int, default=8)
    server.add_argument("--crl-refresh", type=float, default=300.0)
    getter = commands.add_parser("get", help="fetch a file")
    getter.add_argument("peer", help="ALIAS@HOST:PORT")
    getter.add_argument("name")
    getter.add_argument("-o", "--out", required=True)
    getter.add_argument("--force", action="store_true", help="replace an existing output")
    getter.add_argument("--timeout", type=float, default=60.0, help="per read, seconds")
    getter.add_argument(
        "--idle-timeout", type=float, default=60.0, help="age of a stale temporary (APP-STORE-3)"
    )
    _identity_options(getter, need_identity=True)
    putter = commands.add_parser("put", help="offer a file")
    putter.add_argument("peer", help="ALIAS@HOST:PORT")
    putter.add_argument("file")
    putter.add_argument("--as", dest="as_name")
    putter.add_argument("--timeout", type=float, default=60.0)
    _identity_options(putter, need_identity=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.ca_url is None and args.crl_file is None:
        print("pki2: give --ca-url or --crl-file (the CRL is required)", file=sys.stderr)
        return 2
    if args.command == "serve":
        return asyncio.run(serve(args))
    if args.command == "get":
        return asyncio.run(run_get(args))
    return asyncio.run(run_put(args))


if __name__ == "__main__":
    sys.exit(main())
