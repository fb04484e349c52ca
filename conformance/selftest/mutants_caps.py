"""Session 13 (helper CAPS): the pending caps of EKE-THR-7 told apart from each other and
from LIM-8's per-address connection cap.

Until session 13 the embedded reference ran with P = Q = LIM-8 = 4, so that an address
holding Q pending handshakes had its next connection refused by LIM-8 before its EKE1:
the per-address `busy` of EKE-THR-7 was never reached, and these bugs passed the suite
(pending-slot-leak-on-busy was dropped from round 12 for that reason). The embedded
values are now P = 4, Q = 5, LIM-8 = 7 (max_connections 10): every cap is seen on its own.

Each mutant keeps the reference's LIM-8 cap: what changes is the pending bookkeeping of
`reference.eke.throttle.Throttle.begin`, or the answer the server sends when it refuses.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_G = "caps"


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _server() -> Any:
    return _module("reference.eke.server")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _keys(throttle: Any, user: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("user", user), ("addr", throttle.address_key(address))


def _p_q_swapped() -> None:
    """The two caps read from each other's setting (P for addresses, Q for names)."""
    _patch_source(
        _throttle().Throttle,
        "begin",
        (
            "caps = (self.config.pending_per_user, self.config.pending_per_address)",
            "caps = (self.config.pending_per_address, self.config.pending_per_user)",
        ),
    )


def _q_not_enforced() -> None:
    """Only the user name's cap is checked: an address's handshakes are bounded by the
    connection cap (LIM-8) alone, never by Q."""
    _patch_source(
        _throttle().Throttle,
        "begin",
        (
            "caps = (self.config.pending_per_user, self.config.pending_per_address)",
            "caps = (self.config.pending_per_user, 1 << 30)",
        ),
    )


def _q_counted_per_user() -> None:
    """The address's pending count is kept per (address, user name): Q handshakes of each
    name from one address, so many names behind one address are never capped."""
    thr = _throttle()
    cls = thr.Throttle

    def begin(self: Any, user: str, address: str) -> bool:
        ukey, akey = _keys(thr, user, address)
        akey = ("addr", f"{akey[1]}|{user}")
        with self._lock:
            if self._pending.get(ukey, 0) >= self.config.pending_per_user:
                return False
            if self._pending.get(akey, 0) >= self.config.pending_per_address:
                return False
            for key in (ukey, akey):
                self._pending[key] = self._pending.get(key, 0) + 1
        return True

    def end(self: Any, user: str, address: str) -> None:
        ukey, akey = _keys(thr, user, address)
        akey = ("addr", f"{akey[1]}|{user}")
        with self._lock:
            for key in (ukey, akey):
                left = self._pending.get(key, 0) - 1
                if left > 0:
                    self._pending[key] = left
                else:
                    self._pending.pop(key, None)

    cls.begin = begin
    cls.end = end


def _slot_leak_on_address_busy() -> None:
    """The user's slot is taken, then the address's cap refuses: the user's is never
    given back (after P such refusals the name is `busy` for good)."""
    thr = _throttle()

    def begin(self: Any, user: str, address: str) -> bool:
        ukey, akey = _keys(thr, user, address)
        with self._lock:
            if self._pending.get(ukey, 0) >= self.config.pending_per_user:
                return False
            self._pending[ukey] = self._pending.get(ukey, 0) + 1
            if self._pending.get(akey, 0) >= self.config.pending_per_address:
                return False
            self._pending[akey] = self._pending.get(akey, 0) + 1
        return True

    thr.Throttle.begin = begin


def _address_busy_counted() -> None:
    """An EKE1 refused at the address's cap is counted as a failure (the one at the user
    name's cap is not)."""
    thr = _throttle()
    begin = thr.Throttle.begin

    def counted(self: Any, user: str, address: str) -> bool:
        if begin(self, user, address):
            return True
        ukey, akey = _keys(thr, user, address)
        with self._lock:
            at_address = self._pending.get(akey, 0) >= self.config.pending_per_address
            at_user = self._pending.get(ukey, 0) >= self.config.pending_per_user
        if at_address and not at_user:
            self.failed(user, address)
        return False

    thr.Throttle.begin = counted


def _address_busy_without_retry_after() -> None:
    """The refusal at the address's pending cap is sent as LIM-8's connection refusal:
    `busy` without retry_after (the user name's cap keeps it)."""
    hs = _handshake()

    def refuse_busy_bare(self: Any) -> None:
        self._outbox += hs.encode_error(
            hs.ErrorCode.BUSY, "too many logins from your address; try again shortly"
        )
        self._failure = hs.RemoteProtocolError(hs.ErrorCode.BUSY, "busy")
        self.state = hs.HandshakeState.CLOSED

    hs.ServerHandshake.refuse_busy_bare = refuse_busy_bare
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
            "hs.refuse_busy(self.throttle.config.busy_retry_after) if "
            "self.throttle.pending(user=event.user) >= self.throttle.config.pending_per_user "
            "else hs.refuse_busy_bare()",
        ),
    )


def _address_cap_off_by_one() -> None:
    """The address's cap compared with `>` (Q + 1 pending allowed); the name's is right."""
    thr = _throttle()

    def begin(self: Any, user: str, address: str) -> bool:
        ukey, akey = _keys(thr, user, address)
        with self._lock:
            if self._pending.get(ukey, 0) >= self.config.pending_per_user:
                return False
            if self._pending.get(akey, 0) > self.config.pending_per_address:
                return False
            for key in (ukey, akey):
                self._pending[key] = self._pending.get(key, 0) + 1
        return True

    thr.Throttle.begin = begin


def _m(name: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"caps-{name}",
        group=_G,
        profile="eke",
        requirement="EKE-THR-7",
        test_file="test_eke_throttling.py",
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "p-q-swapped",
        "the pending caps swapped: P bounds an address's handshakes, Q a user name's",
        _p_q_swapped,
    ),
    _m(
        "q-not-enforced",
        "no per-address pending cap: an address's handshakes bounded by LIM-8 only",
        _q_not_enforced,
    ),
    _m(
        "q-counted-per-user",
        "the per-address pending cap counted per (address, user name)",
        _q_counted_per_user,
    ),
    _m(
        "slot-leak-on-address-busy",
        "the user's pending slot is taken, then the address's cap refuses busy and the "
        "user's slot is never given back",
        _slot_leak_on_address_busy,
    ),
    _m(
        "address-busy-counted",
        "an EKE1 refused busy at the address's pending cap counts as a failure",
        _address_busy_counted,
    ),
    _m(
        "address-busy-no-retry-after",
        "busy at the address's pending cap carries no retry_after (LIM-8's refusal reused)",
        _address_busy_without_retry_after,
    ),
    _m(
        "address-cap-off-by-one",
        "Q + 1 pending handshakes of one address allowed (the user name's cap is right)",
        _address_cap_off_by_one,
    ),
)
