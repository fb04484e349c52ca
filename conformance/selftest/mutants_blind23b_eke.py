"""Blind red-team round 23, second pass (helper B148): the sft-eke/1 SERVER through the six
lenses of /work/briefs/s23/common.md. Phase 1 (blind): written from docs/SPEC.md (§1-3 as
the eke server runs them, §5, §6) and reference/eke/{server,handshake,records,throttle,
transport,crypto}.py before any case file or independent implementation was opened. The
first list was checked against the 3,844 registered mutants; the ideas found there (the
server's record key fallback for reflected records, Ns reused per address, the success
grace window, the 32-character throttle key, the hard lock of known names only, the
transcript's character count, the per-read handshake deadline ...) were dropped. What is
left:

Lens 1 — the seeds' flaws in disguise (secrets in a log line) [EKE-THR-3]:
- b23beke-log-ns-mismatch: an EKE3 whose C3 opens but ends with another nonce is logged
  with the expected Ns and the one received, in hex (only that failure path).
- b23beke-log-key-id: the success log line carries a "session id", the first 8 bytes of
  SHA-256 of the client-to-server record key (a digest of a key, not a prefix).
- b23beke-log-state-dump (r): a login that ends after EKE2 without a valid EKE3 is logged
  with a dump of the handshake's state, vars(hs): Ns as a Python bytes literal.
- b23beke-log-na-session-id (r): a verified EKE3 is logged with a "session id", the first
  8 bytes of the client's nonce Na in hex.
  ((r): they replace two repeats of the registered lead23/b23ops log mutants — the record
  keys in hex, pw in base64 — which had been registered while this list was written.)
Post-blind siblings (after the case, to show it takes the class):
- b23beke-log-kcc-tail: a refused EKE3 is logged with the last 6 bytes of Kcc in hex.
- b23beke-log-ns-md5: a login ending without a valid EKE3 is logged with MD5(Ns) in hex.
Lens 5 — the SPEC's numbers:
- b23beke-data-over-1mib: a get's DATA frames are cut to the record layer's room (frame
  limit - tag - header = 1 048 808 bytes), not to 1 MiB: a file over 1 MiB goes out in
  DATA frames above FRM-13's 1 048 576 [FRM-13].
Lenses 2, 3, 4 and 6: every idea written for them (reflected records under the other key,
the nonce cache per address, the grace window after a success, the pending slot leaked on
a timeout, the deadline from the first byte, the half-close that drops pipelined
requests ...) was found registered or not observable on the wire; none is left.

Blind result: 1 of 5 detected by the file first named and by the whole suite —
data-over-1mib (test_app_get.py, the 2 MiB known file's DATA frames). The four log mutants
were missed by test_eke_server_log_secrets.py and test_ops_eke_store_files.py (the only
files citing EKE-THR-3): they look for pw and the session keys (hex, whole or first 4
bytes) after a wrong-key failure and a success — not for Ns/Na, not on the nonce-mismatch
or abandoned paths, not in a bytes literal, not as a digest. test_eke_log_nonces.py now
catches each (three logins with the real password: abandoned after EKE2, EKE3 with another
Ns, a success; every nonce, key and IV the suite knows, raw / hex / base64 / bytes
literal, every aligned 4-byte part in hex, the 8-digit head of five digests).
Final: 5 of 5 blind mutants detected, and the 2 post-blind siblings (-k b23beke: 7).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind23b-eke"


_SUCCESS_LOG = '        log.info("login user=%s address=%s", _shown(established.user), address)\n'


def _success_log(extra: str, args: str) -> Any:
    def apply() -> None:
        server = _module("reference.eke.server")
        server._b23b_hashlib = hashlib
        _patch_method(
            server.EkeServer,
            "_handshake",
            (
                _SUCCESS_LOG,
                f'        log.info("login user=%s address=%s {extra}", _shown(established.user),'
                f" address, {args})\n",
            ),
        )

    return apply


def _log_ns_mismatch() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._b23b_log = logging.getLogger("sft.eke.server")
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke3",
        (
            "        ok = hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)\n",
            "        ok = hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)\n"
            "        if not ok:  # which side is wrong? keep both for the bug report\n"
            "            _b23b_log.warning(\n"
            '                "EKE3 nonce mismatch user=%r expected=%s got=%s",\n'
            "                self.user, self._ns.hex(), bytes(plain[crypto.NONCE_LEN :]).hex(),\n"
            "            )\n",
        ),
    )


def _log_state_dump() -> None:
    _patch_method(
        _module("reference.eke.server").EkeServer,
        "_handshake",
        (
            "            if attempted:\n"
            "                self._login_failed(attempted[0], address, exc)\n",
            "            if attempted:\n"
            "                self._login_failed(attempted[0], address, exc)\n"
            '                log.warning("handshake state at the failure: %r", vars(hs))\n',
        ),
    )


def _log_na_session_id() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._b23b_log = logging.getLogger("sft.eke.server")
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke3",
        (
            "        assert self.user is not None\n",
            "        assert self.user is not None\n"
            '        _b23b_log.info("session %s confirmed", bytes(plain[:8]).hex())\n',
        ),
    )


def _log_kcc_tail() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._b23b_log = logging.getLogger("sft.eke.server")
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke3",
        (
            "            raise AuthenticationFailed()\n",
            "            _b23b_log.warning(  # masked, like a card number: only the tail\n"
            '                "EKE3 refused user=%r confirm key ...%s", self.user,'
            " self._keys.kcc[-6:].hex()\n"
            "            )\n"
            "            raise AuthenticationFailed()\n",
        ),
    )


def _log_ns_md5() -> None:
    server = _module("reference.eke.server")
    server._b23b_hashlib = hashlib
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "            if attempted:\n"
            "                self._login_failed(attempted[0], address, exc)\n",
            "            if attempted:\n"
            "                self._login_failed(attempted[0], address, exc)\n"
            '                ns = getattr(hs, "_ns", b"")\n'
            '                hid = _b23b_hashlib.md5(ns).hexdigest()\n'
            '                log.warning("handshake id %s ended", hid)\n',
        ),
    )


def _data_over_1mib() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "send_file_chunk",
        (
            "min(limit, MAX_DATA_PAYLOAD)",
            "min(limit, self.channel.max_payload)",  # as much as one record holds
        ),
    )
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "send_data_header",
        ("        if not 1 <= n <= MAX_DATA_PAYLOAD:\n", "        if not 1 <= n:\n"),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b23beke-log-ns-mismatch",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "L1/L2: an EKE3 whose C3 opens but ends with another nonce is logged with the expected"
        " Ns and the received one in hex (the failure path only)",
        _log_ns_mismatch,
    ),
    _m(
        "b23beke-log-key-id",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "L1: the success log line carries a 'session id': the first 8 bytes of SHA-256 of the"
        " c2s record key (a digest of a key)",
        _success_log(
            "session=%s",
            "_b23b_hashlib.sha256(established.keys.key_c2s).hexdigest()[:16]",
        ),
    ),
    _m(
        "b23beke-log-state-dump",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "L1/L2 (r): a login that ends after EKE2 without a valid EKE3 is logged with a dump of"
        " the handshake's state (vars(hs)): Ns written as a Python bytes literal",
        _log_state_dump,
    ),
    _m(
        "b23beke-log-na-session-id",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "L1 (r): a verified EKE3 is logged with a 'session id', the first 8 bytes of the"
        " client's nonce Na in hex",
        _log_na_session_id,
    ),
    _m(
        "b23beke-log-kcc-tail",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "(post-blind) a refused EKE3 is logged with the last 6 bytes of Kcc in hex ('masked',"
        " like a card number)",
        _log_kcc_tail,
    ),
    _m(
        "b23beke-log-ns-md5",
        "EKE-THR-3",
        "test_eke_log_nonces.py",
        "(post-blind) a login that ends without a valid EKE3 is logged with a 'handshake id',"
        " the MD5 of its Ns in hex",
        _log_ns_md5,
    ),
    _m(
        "b23beke-data-over-1mib",
        "FRM-13",
        "test_app_get.py",
        "L5: a get's DATA frames are cut to the record's room (1 048 808 bytes), not to 1 MiB:"
        " a file over 1 MiB goes out in DATA frames above 1 048 576",
        _data_over_1mib,
    ),
)
