"""sft-eke/1: an EKE1 refused `busy` takes nothing (docs/SPEC.md EKE-THR-7).

EKE-THR-7 caps pending handshakes per user name (P) and per client address (Q); an EKE1
beyond either cap is answered `busy`, is not counted, and — since it never becomes a
pending handshake — holds no slot. An implementation that checks and takes the two caps
one principal at a time (`for key in (user, address): if full: refuse; take`) keeps the
slot it took for the first principal when the second one is full: each `busy` then leaks
a slot, and after P (or Q) such refusals the user name (or the address) is `busy` for
good, with nothing pending. Both orders are tried: the address full while the user name
is free (only where Q is below LIM-8's per-address connection cap: otherwise the admission
refuses the connection first and the case is skipped), and the user name full while the
address is free. Afterwards, with nothing of
that user name or address pending, an EKE1 MUST be answered EKE2 ("up to the caps ...
MUST be answered EKE2").

Fixtures (conformance/plugin.py): `eke_target`, `eke_sources`.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut, deadline_after

pytestmark = pytest.mark.xdist_group("eke-victim")

Prepared = tuple[eke.ClientHandshake, dict[str, Any]]


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _caps(target: Target, sources: SourceAddresses) -> tuple[int, int]:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = target.limits
    p, q = limits.pending_logins_per_user, limits.pending_logins_per_address
    if p is None or q is None:
        pytest.skip("the target declares no pending-login caps (EKE-THR-7)")
    per_address = min(q, limits.max_pending_per_address or q)
    if max(p, per_address) + 2 > limits.max_connections:
        pytest.skip(f"holding {max(p, per_address) + 1} handshakes needs more connections")
    return p, per_address


def _prepare(user: str) -> Prepared:
    """EKE1 computed before its connection (the handshake clock starts at accept)."""
    client = eke.ClientHandshake(user=user, pw=bytes(32))
    return client, client.eke1()


def _eke1(target: Target, prepared: Prepared, source: str | None) -> PartialHandshake:
    client, message = prepared
    raw = connect_raw(
        target.host, target.port, timeout=_timeout(target), name=f"eke {client.user}", source=source
    )
    raw.send_frame(b"EKE1", message)
    hs = PartialHandshake(raw, client, message)
    hs.receive_eke2(_timeout(target))
    return hs


def _answer(hs: PartialHandshake) -> str:
    event = hs.eke2_event
    if hs.eke2 is not None:
        return "EKE2"
    if isinstance(event, ReceivedFrame):
        return event.error_name or event.type.decode("ascii", "replace")
    return event.describe() if event is not None else "nothing"


def _end(held: list[PartialHandshake], target: Target) -> None:
    """The client walks away after EKE2 and waits for the server's close."""
    for hs in held:
        with contextlib.suppress(OSError):
            hs.raw.sock.shutdown(1)
    deadline = deadline_after(_timeout(target))
    for hs in held:
        for _ in range(4):
            if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                break
        hs.close()


def _hold(target: Target, users: list[str], sources: list[str | None]) -> list[PartialHandshake]:
    prepared = [_prepare(u) for u in users]
    held: list[PartialHandshake] = []
    for item, source in zip(prepared, sources, strict=True):
        hs = _eke1(target, item, source)
        held.append(hs)
        if hs.eke2 is None:
            _end(held, target)
            inconclusive(
                f"could not hold {len(users)} pending handshakes: {_answer(hs)} "
                "(judged by test_eke_throttling.py)"
            )
    return held


def _refusals(
    target: Target,
    held: list[PartialHandshake],
    user: str,
    sources: list[str | None],
    full: str,
) -> None:
    """EKE1s that meet a full cap: each must be `busy` while the held ones are pending."""
    for source in sources:
        hs = _eke1(target, _prepare(user), source)
        answer = _answer(hs)
        hs.close()
        if answer == "busy":
            continue
        oldest = time.monotonic() - held[0].raw.transcript.started
        limit = target.limits.handshake_timeout
        if limit is not None and oldest >= limit:
            inconclusive(
                f"the handshakes held to fill the {full} cap were {oldest:.2f} s old, beyond "
                f"the handshake timeout ({limit} s): too slow a run ({answer})"
            )
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: EKE1 of {user!r} while the {full} cap is full",
            "EROR busy",
            answer,
        )


def _probe_after(target: Target, user: str, source: str | None, what: str) -> None:
    hs = _eke1(target, _prepare(user), source)
    answer = _answer(hs)
    if hs.eke2 is not None:
        _end([hs], target)
        return
    hs.close()
    raise ConformanceFailure.evidence(
        f"EKE-THR-7: EKE1 of {user!r} from {source} after {what}; nothing of this user name "
        "or address is pending or has failed",
        "EKE2 (up to the caps an EKE1 MUST be answered EKE2; a busy refusal takes no slot)",
        answer,
    )


@pytest.mark.req("EKE-THR-7")
def test_busy_at_the_address_cap_takes_no_user_slot(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """From one address, Q pending handshakes (other ghost names); then P EKE1s of a fresh
    ghost name U from that address, each `busy` (the address is full). Once the held ones
    ended, U from a fresh address MUST get EKE2: the refusals took no slot of U."""
    p, q = _caps(eke_target, eke_sources)
    lim8 = eke_target.limits.max_pending_per_address
    if lim8 is not None and eke_target.limits.pending_logins_per_address is not None:
        if eke_target.limits.pending_logins_per_address >= lim8:
            # The (Q + 1)-th connection of the address is refused by the admission (LIM-8)
            # before any EKE1: the throttle's address cap is never the one that refuses.
            pytest.skip(
                "the address's pending-login cap (Q) is not below LIM-8's per-address "
                "connection cap: the admission refuses first, the address cap cannot be met"
            )
    crowded = eke_sources.fresh()
    held = _hold(eke_target, [ghost_user() for _ in range(q)], [crowded] * q)
    user = ghost_user()
    try:
        _refusals(eke_target, held, user, [crowded] * p, "address")
    finally:
        _end(held, eke_target)
    _probe_after(eke_target, user, eke_sources.fresh(), f"{p} busy refusals at the address cap")


@pytest.mark.req("EKE-THR-7")
def test_busy_at_the_user_cap_takes_no_address_slot(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """P pending handshakes of a ghost name V, from P fresh addresses; then Q EKE1s of V
    from one more address B, each `busy` (the user name is full). Once the held ones ended,
    another ghost name from B MUST get EKE2: the refusals took no slot of B."""
    p, q = _caps(eke_target, eke_sources)
    user = ghost_user()
    held = _hold(eke_target, [user] * p, [eke_sources.fresh() for _ in range(p)])
    address = eke_sources.fresh()
    try:
        _refusals(eke_target, held, user, [address] * q, "user-name")
    finally:
        _end(held, eke_target)
    _probe_after(eke_target, ghost_user(), address, f"{q} busy refusals at the user-name cap")
