"""Stalled sft-eke/1 handshakes must not hold up anyone else's (SPEC §6 LIM-5).

A server that serialises its handshakes — one lock around the whole exchange, "because
the password store and the throttle are shared" — serves every honest test one at a
time and passes them all; only a login attempted WHILE another client sits in its
handshake shows it: that login then waits for the stalled one's timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance.eke_channel import EkeChannel, connect_raw
from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    header_bytes,
)

ChannelFactory = Callable[..., EkeChannel]

# A fresh round when the first one's honest login took longer than the stalled ones'
# handshake timeout (a loaded machine): a serialising server fails every round.
_ROUNDS = 2


def _stall(
    eke_target: Target, sources: SourceAddresses, timeout: float
) -> dict[str, RawConnection]:
    """Three handshakes stopped at different points, each left waiting on the server."""
    host, port = eke_target.address
    stalled: dict[str, RawConnection] = {}
    # After EKE2: a guess is pending. From a fresh address under a user name nobody has,
    # so that its failure (when it ends) is counted against nobody a case relies on.
    source = sources.fresh()
    if source is not None:
        pending = start_handshake(
            eke_target, ghost_user(), bytes(32), source=source, timeout=timeout
        )
        event = pending.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            stalled["waiting after EKE2"] = pending.raw
        else:  # throttled or busy: not a pending handshake, and not this case's business
            pending.close()
    # From fresh addresses too where there are any, so that the per-address cap (LIM-8)
    # never refuses the honest login; else at most cap - 1 of them from our address.
    cap = eke_target.limits.max_pending_per_address
    silent = connect_raw(
        host, port, timeout=timeout, name="stalled: silent after connect", source=sources.fresh()
    )
    stalled["silent after connect"] = silent
    if source is not None or cap is None or cap > 2:
        partial = connect_raw(
            host,
            port,
            timeout=timeout,
            name="stalled: inside the EKE1 header",
            source=sources.fresh(),
        )
        partial.send_raw(header_bytes("EKE1", 900)[:6])
        stalled["inside the EKE1 header"] = partial
    return stalled


def _still_open(conn: RawConnection) -> bool:
    return isinstance(conn.recv_frame(deadline_after(0.0)), TimedOut)


@pytest.mark.req("LIM-5")
def test_a_login_completes_while_other_handshakes_stall(
    eke_target: Target, eke_channel_factory: ChannelFactory, eke_sources: SourceAddresses
) -> None:
    """While three handshakes stall (a client silent after connecting, one inside its EKE1
    header, one that got EKE2 and never sends EKE3), an honest client's handshake must
    complete before any of them reaches its handshake timeout: the server serves it at
    once, not after the stalled ones have ended."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    timeout = max(3.0, eke_target.limits.handshake_timeout + 2.0)
    evidence: list[str] = []
    for round_ in range(1, _ROUNDS + 1):
        stalled = _stall(eke_target, eke_sources, timeout)
        try:
            started = time.monotonic()
            try:
                eke_channel_factory().close()
                failed = ""
            except ConformanceFailure as exc:  # e.g. its own wait for EKE2 timed out
                failed = f" and failed ({str(exc).splitlines()[0]})"
            took = time.monotonic() - started
            closed = [what for what, conn in stalled.items() if not _still_open(conn)]
        finally:
            for conn in stalled.values():
                conn.close()
        if not closed and not failed:
            return
        evidence.append(
            f"round {round_}: the honest handshake took {took:.2f} s{failed}; by then the "
            f"server had closed the stalled connection(s) {closed} (handshake timeout "
            f"{eke_target.limits.handshake_timeout:g} s)"
        )
    raise ConformanceFailure(
        "LIM-5: a login waited for other clients' stalled handshakes to end:\n"
        + "\n".join(evidence)
    )
