"""LIM-8 before LIM-9: a connection refused for its address closes nobody else's.

When every slot is taken by connections still in their handshake, a new connection is
admitted by closing the oldest of them (LIM-9); a new connection from an address that
already holds its per-address cap of such connections is refused (LIM-8), so that
"held silent sockets from one address cannot take the slots everyone else needs". The
class of bug: the two checks in the wrong order (check-then-act) — room is made first
(the oldest pending connection, another address's, is closed), then the new connection's
address is found at its cap and it is refused anyway. Each connection the flooding
address opens then kills an honest handshake in progress elsewhere and admits no one.

The case fills every slot: first one silent connection from each of `max_connections -
cap` other addresses (the oldest), then `cap` from one address; then one more from that
address, which must be refused promptly — and the other addresses' connections must all
still be open right after (their own handshake deadline is far off; a run too slow to
tell is repeated, then INCONCLUSIVE, never FAIL).
"""

from __future__ import annotations

import select
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import (
    _ended,
    _fresh,
    _Inconclusive,
    _limits,
    _silent,
    _wait_refused,
)
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_ATTEMPTS = 3
_SETTLE = 0.2  # s after the refusal for a close of another connection to show


@pytest.mark.req("LIM-8")
def test_a_refusal_for_the_address_cap_evicts_no_other_address(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    per_address, total = _limits(target)
    if per_address is None:
        pytest.skip("the target declares no per-address cap (limits.max_pending_per_address)")
    if per_address >= total:
        pytest.skip(f"per-address cap {per_address} is not below max_connections {total}")
    timeout = target.limits.handshake_timeout
    sources = sources_for(target)

    def case() -> None:
        addresses = _fresh(sources, total - per_address + 1)
        others, crowded = addresses[:-1], addresses[-1]
        with _silent(target, others, transcripts) as old:
            started = time.monotonic()
            with _silent(target, [crowded] * per_address, transcripts):
                with _silent(target, [crowded], transcripts) as extra:
                    refused = _wait_refused(extra, time.monotonic() + max(1.0, 0.5 * timeout))
                    # Paces the observation (bounded): a close of another connection
                    # caused by the refusal shows within this.
                    select.select([c.sock for c in old], [], [], _SETTLE)
                    closed = {i: what for i, c in enumerate(old) if (what := _ended(c))}
            if time.monotonic() - started > 0.8 * timeout:
                raise _Inconclusive()  # their own handshake deadline came near
        if not refused:
            return  # not refused promptly: judged by test_lockout.py (LIM-8)
        if closed:
            detail = "; ".join(f"#{i + 1} from {others[i]}: {what}" for i, what in closed.items())
            raise ConformanceFailure(
                f"LIM-8: every slot taken by silent connections — {len(others)} from other "
                f"addresses (the oldest), then {per_address} (the declared cap) from "
                f"{crowded}; one more from {crowded}, refused ({refused[0]})\n"
                "Expected: the other addresses' connections untouched (a connection refused "
                "for its address's cap admits no one and makes no room)\n"
                f"Actual:   {detail} — room was made (LIM-9's eviction) before the address "
                "was checked: each refused connection closes another address's handshake",
                violates=("LIM-8",),
            )

    for _ in range(_ATTEMPTS):
        try:
            case()
            return
        except _Inconclusive:
            continue
    pytest.skip(f"INCONCLUSIVE: each of {_ATTEMPTS} runs came near the handshake timeout")
