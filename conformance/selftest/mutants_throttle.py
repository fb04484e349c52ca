"""Mutants of the throttle that must tell an attacker from a crowd (SPEC EKE-THR-5, -6,
-7, -11, CA-ENR-14): pending logins apart from failures, the caps, `busy`, the hard cap.

Each is a plausible implementation of throttling that a hurried engineer ships: the
measured bug (a handshake counted as failed from its EKE2, so a burst of honest logins
locks its user out), caps keyed on the wrong thing or off by one, refusals counted, a
slot never given back, a hard lock that quietly expires.
"""

from __future__ import annotations

import math
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_THR = "test_eke_throttling.py"


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _pending_counted_as_failure() -> None:
    """The measured bug: a failure from EKE2 on, forgiven by success; no pending cap."""
    throttle = _throttle()
    original_failed = throttle.Throttle.failed

    def begin(self: Any, user: str, address: str) -> bool:
        original_failed(self, user, address)  # "counted before it can be used in parallel"
        return True

    def succeeded(self: Any, user: str, address: str) -> None:
        key = ("addr", throttle.address_key(address))
        with self._lock:
            self._entries.pop(("user", user), None)
            entry = self._entries.get(key)
            if entry is not None:
                entry.failures -= 1
                if entry.failures <= 0:
                    del self._entries[key]
                else:
                    self._entries[key] = entry

    throttle.Throttle.begin = begin
    throttle.Throttle.end = lambda self, user, address: None
    throttle.Throttle.failed = lambda self, user, address: None  # counted at EKE2 already
    throttle.Throttle.succeeded = succeeded


def _pending_counted_on_address() -> None:
    """Pending counted as a failure of the address only ("a NAT is an attacker")."""
    throttle = _throttle()
    original_begin = throttle.Throttle.begin

    def begin(self: Any, user: str, address: str) -> bool:
        if not original_begin(self, user, address):
            return False
        now = self._clock()
        key = ("addr", throttle.address_key(address))
        with self._lock:
            entry = self._live(key, now) or throttle._Entry(0, now)
            entry.failures += 1
            entry.last = now
            self._entries[key] = entry
        return True

    def end(self: Any, user: str, address: str) -> None:
        key = ("addr", throttle.address_key(address))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.failures > 0:
                entry.failures -= 1  # handed back; `failed` counts the real failure
                self._entries[key] = entry
        original_end(self, user, address)

    original_end = throttle.Throttle.end
    throttle.Throttle.begin = begin
    throttle.Throttle.end = end


def _no_pending_cap() -> None:
    throttle = _throttle()
    original_begin = throttle.Throttle.begin

    def begin(self: Any, user: str, address: str) -> bool:
        original_begin(self, user, address)  # tracked for the logs, never refused
        return True

    throttle.Throttle.begin = begin


def _set_caps(check: Any) -> None:
    """Replaces the cap test of `begin` with `check(pending_by_key, keys, caps)`."""
    throttle = _throttle()

    def begin(self: Any, user: str, address: str) -> bool:
        keys = (("user", user), ("addr", throttle.address_key(address)))
        caps = (self.config.pending_per_user, self.config.pending_per_address)
        with self._lock:
            counted = check(self._pending, keys, caps, address)
            if counted is None:
                return False
            for key in counted:
                self._pending[key] = self._pending.get(key, 0) + 1
        return True

    def end(self: Any, user: str, address: str) -> None:
        keys = (("user", user), ("addr", throttle.address_key(address)))
        with self._lock:
            for key in (*keys, ("user", f"{user}@{address}")):
                if key in self._pending:
                    self._pending[key] -= 1
                    if self._pending[key] <= 0:
                        del self._pending[key]

    throttle.Throttle.begin = begin
    throttle.Throttle.end = end


def _cap_off_by_one() -> None:
    def check(pending: Any, keys: Any, caps: Any, address: str) -> Any:
        if any(pending.get(k, 0) > cap for k, cap in zip(keys, caps, strict=True)):  # `>`
            return None
        return keys

    _set_caps(check)


def _user_cap_per_connection_address() -> None:
    def check(pending: Any, keys: Any, caps: Any, address: str) -> Any:
        # "Per user" counted per (user, address): one client's parallel logins.
        keys = (("user", f"{keys[0][1]}@{address}"), keys[1])
        if any(pending.get(k, 0) >= cap for k, cap in zip(keys, caps, strict=True)):
            return None
        return keys

    _set_caps(check)


def _address_cap_only() -> None:
    def check(pending: Any, keys: Any, caps: Any, address: str) -> Any:
        if pending.get(keys[1], 0) >= caps[1]:  # the per-user cap was left out
            return None
        return keys

    _set_caps(check)


def _busy_counted() -> None:
    throttle = _throttle()
    original_begin = throttle.Throttle.begin

    def begin(self: Any, user: str, address: str) -> bool:
        if original_begin(self, user, address):
            return True
        self.failed(user, address)  # "a refused login is a failed login"
        return False

    throttle.Throttle.begin = begin


def _busy_as_throttled() -> None:
    handshake = _module("reference.eke.handshake")
    # "Too many logins at once: that is throttling" -- the same EROR, same retry_after.
    handshake.ServerHandshake.refuse_busy = lambda self, retry_after: self.refuse_throttled(
        float(retry_after)
    )


def _busy_without_retry_after() -> None:
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")

    def refuse_busy(self: Any, retry_after: int) -> None:
        # The LIM-4 refusal reused: busy has never carried retry_after.
        self._outbox += handshake.encode_error(errors.ErrorCode.BUSY, "busy; try later")
        self._failure = errors.RemoteProtocolError(errors.ErrorCode.BUSY, "busy")
        self.state = handshake.HandshakeState.CLOSED

    handshake.ServerHandshake.refuse_busy = refuse_busy


def _slot_leaks_on_failure() -> None:
    server = _module("reference.eke.server")
    throttle = _throttle()
    original_failed = throttle.Throttle.failed
    original_end = throttle.Throttle.end
    ended_by_failure: set[int] = set()

    # The server's failure path calls `failed` then `end`; a slot "released on success
    # only" leaks: mark the thread that failed and skip its `end`.
    def failed(self: Any, user: str, address: str) -> None:
        original_failed(self, user, address)
        ended_by_failure.add(server.threading.get_ident())

    def end(self: Any, user: str, address: str) -> None:
        if server.threading.get_ident() in ended_by_failure:
            ended_by_failure.discard(server.threading.get_ident())
            return
        original_end(self, user, address)

    throttle.Throttle.failed = failed
    throttle.Throttle.end = end


def _success_forgives_an_address_failure() -> None:
    """The old bookkeeping kept after the fix: a success takes one failure back from its
    address, although a pending login never added one."""
    throttle = _throttle()
    original = throttle.Throttle.succeeded

    def succeeded(self: Any, user: str, address: str) -> None:
        original(self, user, address)
        key = ("addr", throttle.address_key(address))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.failures -= 1
                if entry.failures <= 0:
                    del self._entries[key]
                else:
                    self._entries[key] = entry

    throttle.Throttle.succeeded = succeeded


def _no_hard_cap() -> None:
    throttle = _throttle()
    throttle.Throttle._hard_locked = lambda self, key, entry: False


def _hard_cap_expires() -> None:
    throttle = _throttle()
    original = throttle.Throttle._wait

    def _wait(self: Any, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        if entry is not None and self._hard_locked(key, entry):
            # "Locked" = the longest backoff, from the last failure: it runs out.
            return float(entry.last + math.ceil(self.config.cap) - now)
        result: float = original(self, key, now)
        return result

    throttle.Throttle._wait = _wait


# ---------------------------------------------------------------- the CA (CA-ENR-14)


def _ca_server() -> Any:
    return _module("reference.pki.ca_server")


def _ca_pending_counted_as_failure() -> None:
    """The CA's old bookkeeping: an attempt counts as a failure from its admission on,
    taken back by a right password, so concurrent right passwords meet 429."""
    server = _ca_server()

    def admit(self: Any, *keys: str) -> int:
        now = self.clock()
        with self._lock:
            worst = max((self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0)
            if worst > now:
                return max(1, int(worst - now + 0.999))
            self._count(keys, now)
            return 0

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:
            self._keys.pop(key, None)
            for other in refunded:
                entry = self._keys.get(other)
                if entry is None:
                    continue
                entry.count -= 1
                if entry.count <= 0:
                    del self._keys[other]
                elif entry.count < self.after:
                    entry.blocked_until = 0.0

    server.LoginThrottle.admit = admit
    server.LoginThrottle.success = success
    server.LoginThrottle.failed = lambda self, *keys: None  # counted at admission


def _ca_pending_uncapped() -> None:
    server = _ca_server()

    def admit(self: Any, *keys: str) -> int:
        now = self.clock()
        with self._lock:  # pending tracked, but only the lock decides
            worst = max((self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0)
            if worst > now:
                return max(1, int(worst - now + 0.999))
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1
            return 0

    server.LoginThrottle.admit = admit


def _ca_busy_counted() -> None:
    server = _ca_server()
    original = server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        result: int = original(self, *keys)
        if result == server.BUSY:
            with self._lock:  # "refused is failed"
                self._count(keys, self.clock())
        return result

    server.LoginThrottle.admit = admit


def _m(
    name: str, requirement: str, description: str, apply: Any, *, default: bool = False
) -> Mutant:
    return Mutant(
        f"throttle-{name}", "throttle", "eke", requirement, _THR, description, apply, default
    )


def _ca(name: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"throttle-ca-{name}",
        "throttle",
        "pki",
        "CA-ENR-14",
        "test_ca_throttle.py",
        description,
        apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pending-counted-as-failure",
        "EKE-THR-5",
        "a handshake counts as failed from its EKE2 on (forgiven on success): an honest "
        "burst locks its own user out",
        _pending_counted_as_failure,
        default=True,  # the measured bug (issue 18 item 2)
    ),
    _m(
        "pending-counted-on-address",
        "EKE-THR-5",
        "a pending handshake counts as a failure of its address until it ends",
        _pending_counted_on_address,
    ),
    _m(
        "no-pending-cap",
        "EKE-THR-7",
        "pending handshakes are never capped: parallel guesses unbounded",
        _no_pending_cap,
    ),
    _m("cap-off-by-one", "EKE-THR-7", "P + 1 (and Q + 1) pending allowed", _cap_off_by_one),
    _m(
        "user-cap-per-connection-address",
        "EKE-THR-7",
        "the per-user pending cap is counted per (user, address)",
        _user_cap_per_connection_address,
    ),
    _m(
        "address-cap-only",
        "EKE-THR-7",
        "only the per-address pending cap exists",
        _address_cap_only,
    ),
    _m("busy-counted", "EKE-THR-7", "a busy refusal counts as a failure", _busy_counted),
    _m(
        "busy-as-throttled",
        "EKE-THR-7",
        "beyond the cap EKE1 is answered throttled, not busy",
        _busy_as_throttled,
    ),
    _m(
        "busy-without-retry-after",
        "EKE-THR-7",
        "busy carries no retry_after",
        _busy_without_retry_after,
    ),
    _m(
        "slot-leaks-on-failure",
        "EKE-THR-7",
        "a failed handshake never gives its pending slot back",
        _slot_leaks_on_failure,
    ),
    _m(
        "success-forgives-an-address-failure",
        "EKE-THR-6",
        "a success takes one failure back from its address",
        _success_forgives_an_address_failure,
    ),
    _m("no-hard-cap", "EKE-THR-11", "no lock after L consecutive failures", _no_hard_cap),
    _m(
        "hard-cap-expires",
        "EKE-THR-11",
        "the hard lock is the backoff cap from the last failure: it runs out",
        _hard_cap_expires,
    ),
    _ca(
        "pending-counted-as-failure",
        "a login counts as failed from its admission (taken back when right): concurrent "
        "right passwords meet 429",
        _ca_pending_counted_as_failure,
    ),
    _ca(
        "pending-uncapped",
        "pending logins are tracked but never refused: concurrent guesses all verified",
        _ca_pending_uncapped,
    ),
    _ca("busy-counted", "a 503 busy answer counts as a failed login", _ca_busy_counted),
)


# ---------------------------------------------------------------- the CA's hard cap (CA-ENR-19)


def _ca_wrap_count(before: Any = None, after: Any = None, lock_after: Any = None) -> None:
    """Plants hooks around LoginThrottle._count (called with the throttle's lock held)."""
    server = _ca_server()
    original = server.LoginThrottle._count

    def _count(self: Any, keys: tuple[str, ...], now: float) -> None:
        if before is not None:
            before(self, keys, now)
        declared = self.lock_after
        if lock_after is not None:
            self.lock_after = lock_after(declared)
        try:
            original(self, keys, now)
        finally:
            self.lock_after = declared
        if after is not None:
            after(self, keys, now)

    server.LoginThrottle._count = _count


def _ca_no_hard_cap() -> None:
    _ca_wrap_count(lock_after=lambda declared: 10**9)


def _ca_hard_cap_expires() -> None:
    def expire(self: Any, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            if key in self._locked:  # "locked" = the longest backoff, from now: it runs out
                self._locked.discard(key)
                self._keys[key].blocked_until = now + self.cap

    _ca_wrap_count(after=expire)


def _ca_hard_cap_off_by_one() -> None:
    _ca_wrap_count(lock_after=lambda declared: declared + 1)  # `count > lock_after`


def _ca_hard_cap_on_the_address() -> None:
    def lock_addresses(self: Any, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            if key.startswith("addr:") and self._keys[key].count >= self.lock_after:
                self._locked.add(key)  # the wrong key: the alias is never locked

    _ca_wrap_count(lock_after=lambda declared: 10**9, after=lock_addresses)


def _ca_count_restarts_after_block() -> None:
    def forget(self: Any, keys: tuple[str, ...], now: float) -> None:
        for key in keys:  # "consecutive" read as "without a pause": a served block forgives
            entry = self._keys.get(key)
            if entry is not None and entry.count >= self.after and entry.blocked_until <= now:
                entry.count = self.after - 1

    _ca_wrap_count(before=forget)


def _ca_lock_checked_only_for_retry_after() -> None:
    server = _ca_server()
    original = server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        locked, self._locked = self._locked, set()  # admission forgets to look at locks
        try:
            result: int = original(self, *keys)
        finally:
            self._locked |= locked
        return result

    server.LoginThrottle.admit = admit


def _ca19(name: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"throttle-ca-{name}",
        "throttle",
        "pki",
        "CA-ENR-19",
        "test_ca_throttle.py",
        description,
        apply,
        ca=True,
    )


MUTANTS = (
    *MUTANTS,
    _ca19("no-hard-cap", "the CA never locks an alias: backoff only", _ca_no_hard_cap),
    _ca19(
        "hard-cap-expires",
        "the CA's lock is the backoff cap from the last failure: it runs out",
        _ca_hard_cap_expires,
    ),
    _ca19("hard-cap-off-by-one", "the CA locks after L + 1 failures", _ca_hard_cap_off_by_one),
    _ca19(
        "hard-cap-on-the-address",
        "the CA's lock counts the address's failures, not the alias's",
        _ca_hard_cap_on_the_address,
    ),
    _ca19(
        "count-restarts-after-block",
        "a failure after a served block restarts the count at the threshold: never L",
        _ca_count_restarts_after_block,
    ),
    _ca19(
        "lock-not-checked-at-admission",
        "the CA records the lock but admission checks only the backoff",
        _ca_lock_checked_only_for_retry_after,
    ),
)
