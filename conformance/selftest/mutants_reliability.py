"""Mutants of the responders' defences against lock-out (LIM-1, LIM-8, LIM-9), both profiles.

Each is a plausible implementer's mistake in the admission of connections
(reference/admission.py and its two adapters, reference/eke/server.py and
reference/pki/peer.py) or in the handshake deadline, planted by monkeypatching the
reference inside the mutant's own subprocess (conformance/selftest/mutants.py). Most
edit one line of the reference's own source (`_patch_source`): an off-by-one, a count
that never comes down, the wrong key, a deadline renewed on every read. The admission
rule is shared by both servers, so its mutants are planted in each (the suite must
catch them against either profile).
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_LOCKOUT = "test_lockout.py"
_LIMITS = "test_limits.py"


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> Any:
    """Replaces `owner.attr` by its own source with `edits` applied (each must match)."""
    func = inspect.getattr_static(owner, attr)
    raw = getattr(func, "__func__", func)
    source = textwrap.dedent(inspect.getsource(raw))
    for old, new in edits:
        if old not in source:
            raise RuntimeError(f"mutant: {attr} no longer contains {old!r}")
        source = source.replace(old, new)
    namespace: dict[str, Any] = {}
    code = compile("from __future__ import annotations\n" + source, f"<mutant {attr}>", "exec")
    exec(code, raw.__globals__, namespace)  # noqa: S102 - the mutant's own edited source
    setattr(owner, attr, namespace[attr])
    return namespace[attr]


def _admission() -> Any:
    return _module("reference.admission").Admission


# ---------------------------------------------------------------- the admission rule


def _per_address_off_by_one() -> None:
    # "more than the cap" instead of "the cap or more": one connection too many.
    _patch_source(
        _admission(),
        "admit",
        (
            "self.pending_from(address) >= self.max_pending_per_address",
            "self.pending_from(address) > self.max_pending_per_address",
        ),
    )


def _no_per_address_cap() -> None:
    # The cap is configured and printed, but admit never looks at it.
    _patch_source(
        _admission(),
        "admit",
        ("if self.pending_from(address) >= self.max_pending_per_address:", "if False:"),
    )


def _global_cap_off_by_one() -> None:
    # One established connection too many (> for >=).
    _patch_source(
        _admission(),
        "admit",
        (
            "self.open_connections >= self.max_connections",
            "self.open_connections > self.max_connections",
        ),
    )


def _no_eviction() -> None:
    # The old LIM-4 rule alone: when every slot is taken, refuse, pending or not.
    _patch_source(_admission(), "admit", ("if not self._pending:", "if True:"))


def _evict_oldest_of_all() -> None:
    # "Close the oldest connection to make room": established ones included.
    admission = _module("reference.admission")

    def admit(self: Any, key: int, address: str) -> Any:
        if self.pending_from(address) >= self.max_pending_per_address:
            return admission.AdmissionDecision(refused=admission.Refusal.PER_ADDRESS)
        evict = None
        if self.open_connections >= self.max_connections:
            evict = min([*self._pending, *self._established])
            self.release(evict)
        self._pending[key] = address
        self._pending_by_address[address] = self.pending_from(address) + 1
        return admission.AdmissionDecision(evict=evict)

    admission.Admission.admit = admit


def _never_established() -> None:
    # The adapter's call is there, but the bookkeeping was forgotten: an authenticated
    # connection stays "pending" (evictable, counted against its address).
    _patch_source(
        _admission(),
        "established",
        ("self._forget_pending(key)", "pass"),
        ("self._established.add(key)", "pass"),
    )


def _pending_count_leaks() -> None:
    # A connection that ends before its handshake completes leaves its address's count up.
    _patch_source(
        _admission(),
        "release",
        ("self._forget_pending(key)", "self._pending.pop(key)"),
    )


# ---------------------------------------------------------------- the adapters


def _eke_keyed_by_peer() -> None:
    # The peer's (address, port) as the key: every connection is its own "address".
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_admit",
        ("self._admission.admit(conn_id, addr[0])", "self._admission.admit(conn_id, str(addr))"),
    )


def _pki_keyed_by_peer() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        ("self._admission.admit(key, addr[0])", "self._admission.admit(key, str(addr))"),
    )


def _eke_tarpit() -> None:
    # "Slow the flooder down": a refused connection is parked, silent, until the
    # handshake timeout would have ended it anyway — holding the socket all along.
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_admit",
        ("sock.sendall(encode_error(ErrorCode.BUSY, message))", "pass"),
        (
            "close_at_once(sock)\n        return",
            "threading.Timer(self.config.handshake_timeout, sock.close).start()\n        return",
        ),
    )


def _eke_deadline_per_read() -> None:
    # The handshake timeout as a per-read timeout: each byte that trickles in renews it.
    server = _module("reference.eke.server")
    transport = _module("reference.eke.transport")
    patched = _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:",
            "    _flush(sock, hs)\n    span = deadline - time.monotonic()\n    while True:",
        ),
        ("remaining = deadline - time.monotonic()", "remaining = span"),
    )
    server.run_handshake = patched


def _pki_listener_address_as_key() -> None:
    # The wrong variable: the listener's own address, the same for every client, so
    # one address's silent sockets use up the pending share of everyone.
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        ("self._admission.admit(key, addr[0])", "self._admission.admit(key, self.address[0])"),
    )


def _both(
    name: str, requirement: str, test_file: str, description: str, apply: Any
) -> tuple[Mutant, ...]:
    return tuple(
        Mutant(
            f"rel-{profile}-{name}",
            "reliability",
            profile,
            requirement,
            test_file,
            f"{description} ({'EKE server' if profile == 'eke' else 'PKI peer'})",
            apply,
            default=(profile == "eke" and name == "no-eviction"),
        )
        for profile in ("eke", "pki")
    )


MUTANTS: tuple[Mutant, ...] = (
    *_both(
        "per-address-off-by-one",
        "LIM-8",
        _LOCKOUT,
        "the per-address cap admits one pending connection too many (> for >=)",
        _per_address_off_by_one,
    ),
    *_both(
        "no-per-address-cap",
        "LIM-8",
        _LOCKOUT,
        "the per-address cap is configured but never checked",
        _no_per_address_cap,
    ),
    *_both(
        "pending-count-leaks",
        "LIM-8",
        _LOCKOUT,
        "a connection that ends in its handshake never gives its address's count back",
        _pending_count_leaks,
    ),
    *_both(
        "no-eviction",
        "LIM-9",
        _LOCKOUT,
        "every slot taken by pending handshakes: new connections refused (no eviction)",
        _no_eviction,
    ),
    *_both(
        "evict-established",
        "LIM-9",
        _LOCKOUT,
        "the oldest connection is closed to make room, established ones included",
        _evict_oldest_of_all,
    ),
    *_both(
        "never-established",
        "LIM-9",
        _LOCKOUT,
        "a completed handshake is never moved out of the pending set",
        _never_established,
    ),
    Mutant(
        "rel-pki-connection-limit-off-by-one",
        "reliability",
        "pki",
        "LIM-4",
        _LOCKOUT,
        "max_connections + 1 established connections are admitted (> for >=)",
        _global_cap_off_by_one,
    ),
    Mutant(
        "rel-eke-keyed-by-peer",
        "reliability",
        "eke",
        "LIM-8",
        _LOCKOUT,
        "pending connections counted per (address, port): no address ever reaches the cap",
        _eke_keyed_by_peer,
    ),
    Mutant(
        "rel-pki-keyed-by-peer",
        "reliability",
        "pki",
        "LIM-8",
        _LOCKOUT,
        "pending connections counted per (address, port): no address ever reaches the cap",
        _pki_keyed_by_peer,
    ),
    Mutant(
        "rel-eke-tarpit",
        "reliability",
        "eke",
        "LIM-8",
        _LOCKOUT,
        "connections over the per-address cap are held silent until the handshake timeout",
        _eke_tarpit,
    ),
    Mutant(
        "rel-eke-deadline-per-read",
        "reliability",
        "eke",
        "LIM-1",
        _LIMITS,
        "the handshake timeout bounds each read, so trickling bytes renew it",
        _eke_deadline_per_read,
    ),
    Mutant(
        "rel-pki-listener-address-as-key",
        "reliability",
        "pki",
        "LIM-8",
        _LOCKOUT,
        "pending connections counted under the listener's address: one count for everyone",
        _pki_listener_address_as_key,
    ),
)
