"""Blind red-team round 25 (helper B170): OPERATIONS — the servers and tools as programs an
organisation runs (start, restart, stores, the inbox on disk, logs, limits) — through the
six lenses of /work/briefs/s25/common.md. Phase 1 (blind): written from docs/SPEC.md
(PWF-1, §3.6, §5.6, §6, PKI-CERT-7, PKI-CERT-12, PKI-ID-3, CA-ENR-22) and the reference's
operations code (reference/cli/{eke,pki,ca,options}.py, eke/store.py, eke/throttle.py,
share.py, admission.py, the start/restart paths of eke/server.py and pki/peer.py). Ideas
found among the 4,069 registered mutants were dropped (the restart that drops the allow
list or the limits, the CRL left to the first refresh after a restart, the lock counted
from the first failure, the reload newest first, the 0644 temporaries, the store's 0644
backup/export/snapshot). PKI-CERT-12 stays unplanted: the embedded responder fetches its
CRL from a real CA the suite does not control (see the report).

Lens 1 — the thin MUSTs:
- (dropped after phase 2) b25ops-eke-store-created-umask: the store created by the SQLite
  library (0644), its mode unchecked [EKE-PW-2]: in the self-test the store is made by the
  unmutated `user add` before the server starts, so the bug cannot show; not registered.
- b25ops-lim7-pending-cap-unwired: `--max-pending-per-address` is parsed but never passed
  to the server, which keeps its built-in 8 [LIM-7].
Lens 2 — the first draft:
- b25ops-lim10-refusals-blocking: the send timeout guards a get's DATA only; a refusal
  (not_found, forbidden ...) is "a few bytes" written on a blocking socket: a peer that
  pipelines requests and stops reading holds the connection and its slot for ever
  [LIM-10].
Lens 3 — compatibility shims:
- b25ops-log-pw-fingerprint: a failed login is logged with the account's "key
  fingerprint" (OpenSSH style: SHA-256 of pw, colon-separated upper-case hex) so that an
  administrator can compare stores: a digest of pw in the log [EKE-THR-3].
Lens 4 — aging, expiry and wrap:
- b25ops-conn-id-u8-wrap: connection ids kept in one byte: the 256th connection after a
  held one takes its id and, when it ends, releases the held one's slot [LIM-4]. Missed by
  the whole suite. The blind draft case FAILed on the unmutated eke reference too: its
  held session was closed by the embedded idle timeout (1.5 s) during the churn and still
  counted. Registered (post-blind) with test_ops_connection_churn.py, which keeps every
  held session alive by a get every quarter idle timeout and FAILs only when each held
  session is served again after the last new one was (a held session closed by the target:
  inconclusive, repeated, then SKIP).
Post-blind siblings: b25ops-pki-refusals-blocking, b25ops-log-session-md5-b64url,
b25ops-pki-conn-id-u8-wrap (the pki responder's admission keys in one byte).

Blind result (phase 2): 0 of 5 judged detected by the file first named, 0 by every file
citing the requirement. New cases: test_ops_stalled_refusals.py (LIM-10, both profiles:
refusals pipelined to a peer that stopped reading), test_ops_eke_log_digests.py
(EKE-THR-3: 8-byte windows of nine digests of the password, pw and session keys, in hex
with separators and in base64), test_ops_declared_address_cap.py (LIM-7: test_lockout.py's
one-address case for a declared cap), test_ops_connection_churn.py (LIM-4, both profiles,
post-blind). Final: 7 of 7 registered detected (-k b25ops).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind25-ops"


def _pending_cap_unwired() -> None:
    cli = _module("reference.cli.eke")
    _patch_method(
        cli,
        "_serve",
        ("            max_pending_per_address=args.max_pending_per_address,\n", ""),
    )


def _refusals_blocking() -> None:
    transport = _module("reference.eke.transport")
    error_frame = _module("reference.messages").ErrorFrame
    original = transport.SecureStream.send

    def send(self: Any, message: Any) -> None:
        if isinstance(message, error_frame) and not message.code.fatal:
            # a refusal is a few bytes: a plain blocking write
            old = self.sock.gettimeout()
            self.sock.settimeout(None)
            try:
                original(self, message)
            finally:
                self.sock.settimeout(old)
            return
        original(self, message)

    transport.SecureStream.send = send


def _pki_refusals_blocking() -> None:
    transfer = _module("reference.transfer")
    error_frame = _module("reference.messages").ErrorFrame
    original = transfer._Channel.send

    def send(self: Any, event: Any) -> None:
        if isinstance(event, error_frame) and not event.code.fatal:
            # a refusal is a few bytes: a plain blocking write
            old = self.stream.gettimeout()
            self.stream.settimeout(None)
            try:
                original(self, event)
            finally:
                self.stream.settimeout(old)
            return
        original(self, event)

    transfer._Channel.send = send


def _log_pw_fingerprint() -> None:
    server = _module("reference.eke.server")
    server._b25_hashlib = _module("hashlib")
    _patch_method(
        server.EkeServer,
        "_login_failed",
        (
            '        log.warning("failed login user=%s address=%s reason=%s", _shown(user), '
            "address, reason)\n",
            "        fingerprint = _b25_hashlib.sha256(self.store.key_for(user)).hexdigest()\n"
            '        fingerprint = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2))\n'
            '        log.warning("failed login user=%s address=%s reason=%s key=SHA256:%s", '
            "_shown(user), address, reason, fingerprint.upper())\n",
        ),
    )


def _log_session_md5_b64url() -> None:
    server = _module("reference.eke.server")
    server._b25_hashlib = _module("hashlib")
    server._b25_base64 = _module("base64")
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            '        log.info("login user=%s address=%s", _shown(established.user), address)\n',
            '        log.info("login user=%s address=%s session=%s", _shown(established.user), '
            "address, _b25_base64.urlsafe_b64encode(_b25_hashlib.md5("
            'established.keys.kcs).digest()).decode().rstrip("="))\n',
        ),
    )


def _conn_id_u8_wrap() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_admit",
        (
            "            conn_id = self._next_id\n",
            "            conn_id = self._next_id & 0xFF  # one byte: ids are reused after 256\n",
        ),
    )


def _pki_conn_id_u8_wrap() -> None:
    peer = _module("reference.pki.peer")
    _patch_method(
        peer.PeerServer,
        "_dispatch",
        (
            "            key = self._next_key\n",
            "            key = self._next_key & 0xFF  # one byte: keys are reused after 256\n",
        ),
    )


def _m(name: str, profile: str, requirement: str, test_file: str, description: str,
       apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25ops-lim7-pending-cap-unwired",
        "eke",
        "LIM-7",
        "test_ops_declared_address_cap.py",
        "L1/L2: --max-pending-per-address is parsed but never passed to the server, which "
        "keeps its built-in 8 connections in their handshake per address",
        _pending_cap_unwired,
    ),
    _m(
        "b25ops-lim10-refusals-blocking",
        "eke",
        "LIM-10",
        "test_ops_stalled_refusals.py",
        "L2: the send timeout guards a get's DATA only; a non-fatal refusal (not_found ...) is "
        "written on a blocking socket: a peer that pipelines requests and stops reading holds "
        "the connection and its slot for ever",
        _refusals_blocking,
    ),
    _m(
        "b25ops-pki-refusals-blocking",
        "pki",
        "LIM-10",
        "test_ops_stalled_refusals.py",
        "(post-blind) the pki responder's non-fatal refusals are written on a blocking socket "
        "(its send timeout guards a get's DATA only): a peer that pipelines refused requests "
        "and stops reading holds the connection for ever",
        _pki_refusals_blocking,
    ),
    _m(
        "b25ops-log-pw-fingerprint",
        "eke",
        "EKE-THR-3",
        "test_ops_eke_log_digests.py",
        "L3: a failed login is logged with the account's key fingerprint, SHA-256 of pw in "
        "colon-separated upper-case hex (OpenSSH style): a digest of pw in the log",
        _log_pw_fingerprint,
    ),
    _m(
        "b25ops-log-session-md5-b64url",
        "eke",
        "EKE-THR-3",
        "test_ops_eke_log_digests.py",
        "(post-blind) a successful login is logged with a 'session id', the URL-safe base64 "
        "of the MD5 of Kcs, unpadded: a digest of a session key in the log",
        _log_session_md5_b64url,
    ),
    _m(
        "b25ops-conn-id-u8-wrap",
        "eke",
        "LIM-4",
        "test_ops_connection_churn.py",
        "L4: the server's connection ids kept in one byte: the 256th connection after a held "
        "one takes its id, overwrites its bookkeeping and, when it ends, releases the held "
        "one's slot: the count of open connections drifts down and max_connections is exceeded",
        _conn_id_u8_wrap,
    ),
    _m(
        "b25ops-pki-conn-id-u8-wrap",
        "pki",
        "LIM-4",
        "test_ops_connection_churn.py",
        "(post-blind) the pki responder's admission keys kept in one byte: the 256th connection "
        "after a held one takes its key and, when it ends, releases the held one's slot",
        _pki_conn_id_u8_wrap,
    ),
)
