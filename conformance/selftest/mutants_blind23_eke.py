"""Blind red-team round 23 (helper B142): the sft-eke/1 SERVER through the six lenses of
/work/briefs/s23/common.md. Phase 1 (blind): written from docs/SPEC.md (§1-3 as the eke
server runs them, §5, §6) and the reference's server code (reference/eke/server.py,
handshake.py, records.py, throttle.py, store.py, crypto.py, transport.py) before any case
file or independent implementation was opened. A first list was checked against the names
and descriptions of the 3844 registered mutants; the ideas found there (a reset after EKE2
uncounted, the EKE2 cached per EKE1, the sign bit fixed or from Y's parity, the Ns or y
drawn once per process, the key in the auth_failed EROR, the pending state keyed by user
name, the address counted per /24 ...) were dropped or replaced by the ones below.

Lens 1 — the seeds' flaws in disguise:
- b23eke-y-prime-smaller-half: the server sends the smaller of Y and p - Y ("the canonical
  representative", like a compressed point) instead of a random one: D_pw(B) is always
  below p/2, so every captured session halves the passwords left (a passive partition
  attack; a residuosity test sees both classes and passes).
- b23eke-timeout-eror-session-id: the handshake timeout's EROR (in clear) names the
  session by the first 8 bytes of its Ns ("handshake timeout (session 1a2b...)").
Lens 2 — only the common case of a MUST:
- b23eke-fake-ephemeral-per-name: for an unknown user name the server's y and Ns are
  derived from the fake key ("a stable fake"), the sign bit stays random: B takes one of
  two values for every handshake of that name, while a known name's are fresh.
Lens 3 — cross-session replay and splicing:
- b23eke-eke3-tried-on-user-pending: an EKE3 that fails under its own connection's keys is
  tried under the user name's other pending handshakes ("a client that reconnected
  mid-login"): a valid EKE3 taken from another connection establishes this one.
Lens 4 — silent degradation:
- b23eke-success-grace-window: failures of a user name ending within 30 s of its last
  successful login are forgiven ("a typo in a second window"): an attacker guessing right
  after the victim logs in is never counted.
- b23eke-throttle-skipped-while-pending: the throttle decision is skipped for a user name
  that already has a pending handshake ("it was checked when that one began"): an
  attacker holding one login open gets EKE2 however many failures the name has.
Lens 5 — the SPEC's numbers:
- b23eke-address-threshold-doubled: an address is throttled after 2N failures, not N ("an
  address may be a NAT: give it room"), its backoff exponent counted from 2N.
- b23eke-failure-stamped-at-eke1: a failure is stamped with the time its EKE1 arrived
  (the attempt's row is created then): a lock runs from the start of the failed handshake,
  so a handshake held open longer than the lock ends already unlocked.
Lens 6 — misplaced trust in the layer below:
- b23eke-throttle-key-varchar32: the throttle keys user names as a VARCHAR(32) column
  keeps them: cut to 32 characters, two valid names with one 32-character prefix share a
  failure count.
- b23eke-failure-address-from-socket: a failure's address is read from the socket
  (getpeername) when the handshake ends; after the peer's reset it raises ENOTCONN and the
  failure is booked under "unknown": resets after EKE2 escape the address's count (the
  user name's is kept).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind23-eke"


# -- lens 1 -----------------------------------------------------------------------------------


def _y_prime_smaller_half() -> None:
    crypto = _module("reference.eke.crypto")

    def hide_element(pw: bytes, element: int) -> bytes:
        # the canonical representative of {Y, p - Y}: the smaller one
        sign_bit = 0 if element <= crypto.P - element else 1
        return bytes(crypto._hide_element_from_parts(pw, element, sign_bit=sign_bit))

    crypto.hide_element = hide_element


def _timeout_eror_session_id() -> None:
    hsmod = _module("reference.eke.handshake")

    def fail_timeout(self: Any) -> None:
        ns = getattr(self, "_ns", None)
        message = "handshake timeout"
        if ns:
            message += f" (session {bytes(ns[:8]).hex()})"
        self._fail(hsmod.RemoteProtocolError(hsmod.ErrorCode.TIMEOUT, message))

    hsmod.ServerHandshake.fail_timeout = fail_timeout


# -- lens 2 -----------------------------------------------------------------------------------


def _fake_ephemeral(derive_sign: bool) -> Any:
    def apply() -> None:
        server = _module("reference.eke.server")
        crypto = _module("reference.eke.crypto")

        def accept(self: Any, hs: Any, user: str) -> None:
            pw = self.store.key_for(user)
            if pw == crypto.fake_password_key(self.store._server_secret, user):
                # a stable fake: the same answer for the same unknown name
                seed = hmac.new(pw, b"fake ephemeral", hashlib.sha512).digest()
                exponent = int.from_bytes(seed[:40], "big") | (1 << crypto.EXPONENT_BITS)
                sign = seed[40] & 1 if derive_sign else secrets.randbits(1)
                hs._pinned = (crypto._ephemeral_from_parts(exponent=exponent), sign, seed[:32])
            hs.accept(pw)

        server._b23_accept = accept
        _patch_method(
            server.EkeServer,
            "_handshake",
            (
                "                hs.accept(self.store.key_for(event.user))\n",
                "                _b23_accept(self, hs, event.user)\n",
            ),
        )

    return apply


def _fake_ephemeral_once_per_process() -> None:
    server = _module("reference.eke.server")
    crypto = _module("reference.eke.crypto")
    shared = crypto.new_ephemeral()  # nobody logs in with a fake key: one will do

    def accept(self: Any, hs: Any, user: str) -> None:
        pw = self.store.key_for(user)
        if pw == crypto.fake_password_key(self.store._server_secret, user):
            hs._pinned = (shared, secrets.randbits(1), crypto.new_nonce())
        hs.accept(pw)

    server._b23_accept = accept
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "                hs.accept(self.store.key_for(event.user))\n",
            "                _b23_accept(self, hs, event.user)\n",
        ),
    )


def _unexpected_eror_session_id() -> None:
    hsmod = _module("reference.eke.handshake")
    cls = hsmod.ServerHandshake
    fail = cls._fail

    def fail_naming_session(self: Any, exc: Any) -> None:
        ns = getattr(self, "_ns", None)
        if ns and exc.code is hsmod.ErrorCode.UNEXPECTED_FRAME:
            exc = hsmod.RemoteProtocolError(exc.code, f"{exc.message} (session {ns[:8].hex()})")
        fail(self, exc)

    cls._fail = fail_naming_session


# -- lens 3 -----------------------------------------------------------------------------------


def _eke3_tried_on_pending(by_address: bool) -> Any:
    def apply() -> None:
        _eke3_tried_on_pending_apply(by_address)

    return apply


def _eke3_tried_on_pending_apply(by_address: bool) -> None:
    hsmod = _module("reference.eke.handshake")
    if by_address:
        server = _module("reference.eke.server")
        _patch_method(
            server.EkeServer,
            "_handshake",
            (
                "        hs = ServerHandshake()\n",
                "        hs = ServerHandshake()\n        hs._b23_key = address\n",
            ),
        )
    crypto = _module("reference.eke.crypto")
    cls = hsmod.ServerHandshake
    pending: dict[str, list[Any]] = {}
    lock = threading.Lock()
    accept, on_eke3 = cls.accept, cls._on_eke3

    def accept_and_register(self: Any, pw: bytes) -> None:
        accept(self, pw)
        with lock:
            mine = pending.setdefault(getattr(self, "_b23_key", self.user), [])
            mine.append(self)
            del mine[:-16]

    def on_eke3_any(self: Any, obj: dict[str, Any]) -> Any:
        try:
            return on_eke3(self, obj)
        except crypto.AuthenticationFailed:
            with lock:
                others = [
                    h
                    for h in pending.get(getattr(self, "_b23_key", self.user), [])
                    if h is not self and h.state is hsmod.HandshakeState.SERVER_AWAIT_EKE3
                ]
            for other in others:  # a client that reconnected mid-login
                try:
                    sealed = bytes.fromhex(obj["c"])
                    plain = crypto.open_confirm(other._keys.kcc, 3, sealed, other._th)
                except crypto.AuthenticationFailed:
                    continue
                if plain[crypto.NONCE_LEN :] == other._ns and not other._doomed:
                    self._keys, self._th, self._ns, self._doomed = (
                        other._keys,
                        other._th,
                        other._ns,
                        False,
                    )
                    return on_eke3(self, obj)
            raise
        finally:
            with lock:
                mine = pending.get(getattr(self, "_b23_key", self.user), [])
                if self in mine:
                    mine.remove(self)

    cls.accept = accept_and_register
    cls._on_eke3 = on_eke3_any


# -- lens 4 -----------------------------------------------------------------------------------


def _success_grace_window() -> None:
    cls = _module("reference.eke.throttle").Throttle
    succeeded, failed = cls.succeeded, cls.failed
    last_success: dict[str, float] = {}

    def succeeded_noted(self: Any, user: str, address: str) -> None:
        last_success[user] = time.monotonic()
        succeeded(self, user, address)

    def failed_unless_just_logged_in(self: Any, user: str, address: str) -> None:
        if time.monotonic() - last_success.get(user, -1e9) < 30.0:
            return  # a typo in a second window of a user who just logged in
        failed(self, user, address)

    cls.succeeded = succeeded_noted
    cls.failed = failed_unless_just_logged_in


def _throttle_skipped_while_pending(kind: str) -> Any:
    def apply() -> None:
        _throttle_skipped_while_pending_apply(kind)

    return apply


def _throttle_skipped_while_pending_apply(kind: str) -> None:
    throttle = _module("reference.eke.throttle")
    cls = throttle.Throttle
    retry_after = cls.retry_after

    def retry_after_unless_pending(self: Any, user: str, address: str) -> Any:
        key = ("user", user) if kind == "user" else ("addr", throttle.address_key(address))
        with self._lock:
            in_flight = self._pending.get(key, 0)
        if in_flight:
            return None  # checked when its login in flight began
        return retry_after(self, user, address)

    cls.retry_after = retry_after_unless_pending


def _throttle_skipped_while_pair_pending() -> None:
    throttle = _module("reference.eke.throttle")
    cls = throttle.Throttle
    retry_after, begin, end = cls.retry_after, cls.begin, cls.end
    pairs: dict[tuple[str, str], int] = {}
    lock = threading.Lock()

    def begin_pair(self: Any, user: str, address: str) -> Any:
        ok = begin(self, user, address)
        if ok:
            with lock:
                key = (user, throttle.address_key(address))
                pairs[key] = pairs.get(key, 0) + 1
        return ok

    def end_pair(self: Any, user: str, address: str) -> None:
        with lock:
            key = (user, throttle.address_key(address))
            pairs[key] = pairs.get(key, 0) - 1
        end(self, user, address)

    def retry_after_unless_pair_pending(self: Any, user: str, address: str) -> Any:
        with lock:
            if pairs.get((user, throttle.address_key(address)), 0) > 0:
                return None  # this client is mid-login: judged when it began
        return retry_after(self, user, address)

    cls.begin, cls.end, cls.retry_after = begin_pair, end_pair, retry_after_unless_pair_pending


# -- lens 5 -----------------------------------------------------------------------------------


def _address_threshold_doubled() -> None:
    _patch_method(
        _module("reference.eke.throttle").Throttle,
        "_wait",
        (
            "        if entry is None or entry.failures < cfg.failures:\n",
            "        threshold = cfg.failures * (2 if key[0] == 'addr' else 1)  # a NAT's room\n"
            "        if entry is None or entry.failures < threshold:\n",
        ),
        (
            "        extra = min(entry.failures - cfg.failures, 64)\n",
            "        extra = min(entry.failures - threshold, 64)\n",
        ),
    )


def _failure_stamped_at_eke1() -> None:
    cls = _module("reference.eke.throttle").Throttle
    begin, failed = cls.begin, cls.failed
    started: dict[tuple[str, str], list[float]] = {}
    lock = threading.Lock()

    def begin_stamped(self: Any, user: str, address: str) -> Any:
        ok = begin(self, user, address)
        if ok:
            with lock:
                started.setdefault((user, address), []).append(self._clock())
        return ok

    def failed_at_start(self: Any, user: str, address: str) -> None:
        with lock:
            stamps = started.get((user, address))
            at = stamps.pop(0) if stamps else None
        if at is None:
            failed(self, user, address)
            return
        clock = self._clock
        self._clock = lambda: at  # the attempt's row was created at its EKE1
        try:
            failed(self, user, address)
        finally:
            self._clock = clock

    cls.begin = begin_stamped
    cls.failed = failed_at_start


# -- lens 6 -----------------------------------------------------------------------------------


def _throttle_key_cut(keep: Any) -> Any:
    def apply() -> None:
        cls = _module("reference.eke.throttle").Throttle

        def cut(method: Any) -> Any:
            def wrapper(self: Any, user: str, *args: Any) -> Any:
                return method(self, keep(user), *args)

            return wrapper

        for name in ("retry_after", "begin", "end", "failed", "succeeded", "locked", "unlock"):
            setattr(cls, name, cut(getattr(cls, name)))

    return apply


def _failure_address_from_socket() -> None:
    server = _module("reference.eke.server")

    def peer(sock: Any) -> str:
        try:
            return str(sock.getpeername()[0])
        except OSError:
            return "unknown"

    server._b23_peer = peer
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "                self.throttle.failed(attempted[0], address)\n",
            "                self.throttle.failed(attempted[0], _b23_peer(sock))\n",
        ),
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
        "b23eke-y-prime-smaller-half",
        "EKE-X-2",
        "test_eke_handshake.py",
        "L1: the server sends min(Y, p - Y) (a canonical representative) instead of a random"
        " one: D_pw(B) always below p/2, a passive partition attack",
        _y_prime_smaller_half,
    ),
    _m(
        "b23eke-timeout-eror-session-id",
        "ERR-5",
        "test_eke_handshake_eror_secrets.py",
        "L1: the handshake timeout's clear EROR names the session by the first 8 bytes of Ns",
        _timeout_eror_session_id,
    ),
    _m(
        "b23eke-fake-ephemeral-per-name",
        "EKE-HS-3",
        "test_eke_unknown_user_fresh_b.py",
        "L2: an unknown user name's y and Ns are derived from its fake key (a stable fake), the"
        " sign stays random: B takes one of two values per unknown name",
        _fake_ephemeral(derive_sign=False),
    ),
    _m(
        "b23eke-eke3-tried-on-user-pending",
        "EKE-HS-10",
        "test_eke_eke3_spliced_across_logins.py",
        "L3: an EKE3 failing under its connection's keys is tried under the user name's other"
        " pending handshakes: a valid EKE3 taken from another connection establishes this one",
        _eke3_tried_on_pending(by_address=False),
    ),
    _m(
        "b23eke-success-grace-window",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "L4: failures of a user name ending within 30 s of its last successful login are"
        " forgiven (not counted for the name nor the address)",
        _success_grace_window,
    ),
    _m(
        "b23eke-throttle-skipped-while-pending",
        "EKE-THR-1",
        "test_eke_throttle_beside_pending.py",
        "L4: the throttle decision is skipped for a user name with a pending handshake: one"
        " login held open lets further EKE1s of a locked name through",
        _throttle_skipped_while_pending("user"),
    ),
    _m(
        "b23eke-address-threshold-doubled",
        "EKE-THR-1",
        "test_eke_failure_addresses.py",
        "L5: an address is throttled after 2N failures, not N (room for a NAT)",
        _address_threshold_doubled,
    ),
    _m(
        "b23eke-failure-stamped-at-eke1",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "L5: a failure is stamped with the time its EKE1 arrived: a lock runs from the start of"
        " the failed handshake and one held open longer than the lock ends unlocked",
        _failure_stamped_at_eke1,
    ),
    _m(
        "b23eke-throttle-key-varchar32",
        "EKE-THR-2",
        "test_eke_throttle_long_names.py",
        "L6: throttle keys are user names cut to 32 characters (a VARCHAR(32) column): two"
        " names with one 32-character prefix share a failure count",
        _throttle_key_cut(lambda user: user[:32]),  # VARCHAR(32)
    ),
    _m(
        "b23eke-failure-address-from-socket",
        "EKE-THR-1",
        "test_eke_reset_failures_address.py",
        "L6: a failure's address is read with getpeername when the handshake ends; after the"
        " peer's reset it fails and the failure is booked under 'unknown': resets after EKE2"
        " escape the address count",
        _failure_address_from_socket,
    ),
    # post-blind siblings, written after the cases to show they take the class
    _m(
        "b23eke-fake-ephemeral-derived-sign",
        "EKE-HS-3",
        "test_eke_unknown_user_fresh_b.py",
        "(post-blind) an unknown user name's y, sign bit and Ns all derived from its fake key:"
        " the same B for every EKE1 of that name",
        _fake_ephemeral(derive_sign=True),
    ),
    _m(
        "b23eke-fake-ephemeral-once-per-process",
        "EKE-HS-3",
        "test_eke_unknown_user_fresh_b.py",
        "(post-blind) one ephemeral y drawn at start serves every unknown user name (Ns and sign"
        " fresh): B takes two values per unknown name, known names stay fresh",
        _fake_ephemeral_once_per_process,
    ),
    _m(
        "b23eke-eke3-tried-on-address-pending",
        "EKE-HS-10",
        "test_eke_eke3_spliced_across_logins.py",
        "(post-blind) a failing EKE3 is tried under the other pending handshakes of the same"
        " client address, whatever their user name",
        _eke3_tried_on_pending(by_address=True),
    ),
    _m(
        "b23eke-throttle-skipped-while-address-pending",
        "EKE-THR-1",
        "test_eke_throttle_beside_pending.py",
        "(post-blind) the throttle decision is skipped while the client's address has a pending"
        " handshake: one login held open lets a locked address guess on",
        _throttle_skipped_while_pending("addr"),
    ),
    _m(
        "b23eke-throttle-key-last-32",
        "EKE-THR-2",
        "test_eke_throttle_long_names.py",
        "(post-blind) throttle keys are the user name's last 32 characters: names that differ"
        " only before them share a failure count",
        _throttle_key_cut(lambda user: user[-32:]),
    ),
    _m(
        "b23eke-unexpected-eror-session-id",
        "ERR-5",
        "test_eke_handshake_eror_secrets.py",
        "(post-blind) an unexpected frame after EKE2 is answered with a clear EROR naming the"
        " session by the first 8 bytes of Ns",
        _unexpected_eror_session_id,
    ),
    _m(
        "b23eke-throttle-skipped-while-pair-pending",
        "EKE-THR-1",
        "test_eke_throttle_beside_pending.py",
        "(post-blind) the throttle decision is skipped while the same user name from the same"
        " address has a pending handshake",
        _throttle_skipped_while_pair_pending,
    ),
)
