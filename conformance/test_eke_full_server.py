"""sft-eke/1: refusals of a full server leave no trace (docs/SPEC.md LIM-8, LIM-4).

LIM-4: above max_connections the responder refuses new connections and accepts again once
connections end. LIM-8: it MUST accept `max_pending_per_address` connections still in
their handshake from one address. An admission that counts the new connection against
its address BEFORE it finds the server full, and returns the refusal without undoing
that count, charges each refused connection to its address for good: an address that
knocked while the server was full is then refused although it holds nothing. Here every
slot is filled with established sessions, one address is refused that many times, the
sessions end, and that address MUST then get its full per-address allowance.

Fixtures (conformance/plugin.py): `eke_target`, `eke_channel_factory`, `eke_sources`.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable

import pytest

from conformance.eke_channel import EkeChannel, connect_raw
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_SETTLE = 10.0  # seconds allowed for the server to see the sessions end


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _refused(raw: RawConnection, wait: float) -> str | None:
    """What refused the connection within `wait` s (an EROR or the close), or None."""
    event = raw.recv_frame(deadline_after(wait))
    if isinstance(event, TimedOut):
        return None
    if isinstance(event, ReceivedFrame):
        return event.describe(80)
    return event.describe() if isinstance(event, Closed) else str(event)


@pytest.mark.req("LIM-8", "LIM-4")
def test_an_address_refused_while_full_gets_its_allowance_back(
    eke_target: Target,
    eke_channel_factory: Callable[..., EkeChannel],
    eke_sources: SourceAddresses,
) -> None:
    """max_connections established sessions; then K = max_pending_per_address connections
    from one address A, each refused (the server is full); the sessions end. Then A MUST
    be admitted K times at once (K − 1 silent connections held, and one honest login)."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    full, per_address = limits.max_connections, limits.max_pending_per_address
    if per_address is None:
        pytest.skip("the target declares no per-address cap (max_pending_per_address)")
    if full > 32:
        pytest.skip(f"filling {full} connections is too many for a case")
    timeout = _timeout(eke_target)
    sessions: list[EkeChannel] = []
    knocked: list[str] = []
    try:
        for _ in range(full):
            session = eke_channel_factory(source=eke_sources.fresh())
            sessions.append(session)
            # One request answered: the server has the session as established (not in its
            # handshake, which a new connection could make room from, LIM-9).
            session.send_frame("RQFL", {"name": f"no-such-{uuid.uuid4().hex}.txt"})
            session.expect([ExpectError("not_found")]).check("a get on a held session")
        address = eke_sources.fresh()
        for _ in range(per_address):
            raw = connect_raw(
                eke_target.host, eke_target.port, timeout=timeout, name="full", source=address
            )
            try:
                answer = _refused(raw, min(timeout, 2.0))
            finally:
                raw.close()
            if answer is None or '"name":"timeout"' in answer:
                pytest.skip(
                    f"a connection beyond the {full} established sessions was not refused "
                    "(LIM-4 is judged by test_lockout.py)"
                )
            knocked.append(answer)
    finally:
        for session in sessions:
            with contextlib.suppress(Exception):
                session.close()
    # The sessions ended: wait until another address gets in (the server has seen it).
    deadline = time.monotonic() + _SETTLE
    while True:
        try:
            eke_channel_factory(source=eke_sources.fresh()).close()
            break
        except ConformanceFailure:
            if time.monotonic() > deadline:
                pytest.skip("the server did not admit a new client after its sessions ended")
            time.sleep(0.2)
    held: list[RawConnection] = []
    try:
        for i in range(per_address - 1):
            raw = connect_raw(
                eke_target.host, eke_target.port, timeout=timeout, name="allowance", source=address
            )
            held.append(raw)
            answer = _refused(raw, 0.3)
            if answer is not None:
                raise ConformanceFailure.evidence(
                    f"LIM-8: connection {i + 1} of {per_address} from {address}, which was "
                    f"refused {per_address} times while the server was full ({knocked[0]}) "
                    "and holds nothing now",
                    f"admitted: up to {per_address} connections in their handshake from one "
                    "address MUST be accepted",
                    answer,
                )
        try:
            eke_channel_factory(source=address).close()
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"LIM-8: an honest login from {address} with {per_address - 1} of its "
                f"connections in their handshake, after it was refused {per_address} times "
                "while the server was full",
                f"admitted and served (the {per_address}-th connection of the address)",
                str(exc).splitlines()[0],
            ) from None
    finally:
        for raw in held:
            raw.close()
