"""LIM-4: after a refusal at the limit, ONE ended connection makes room again.

LIM-4: "above it the responder MUST refuse new connections ... and MUST accept again once
connections end." A load shedder with hysteresis — once full, admit again only below a
low watermark (90 %, "two slots free") — passes test_lockout.py's version of this case,
which closes one of `max_connections` established connections and then retries for a
few seconds: meanwhile the others, no longer served, end by the idle timeout, and the
watermark is passed. Here the others are kept served during the retries (a get on each
well inside the idle timeout, as LIM-2 allows), so that exactly one connection has ended
when the new one is judged.

Both profiles, where the target declares `max_connections` small enough to fill (the
embedded reference: 10 for sft-eke/1, 8 for sft-pki/1) and the target is on loopback
(each connection from its own 127.x.y.z, below any per-address cap).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.channel import Channel
from conformance.eke_support import sources_for
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_lockout import (
    _attempts,
    _fresh,
    _honest_get,
    _limits,
    _refused_probe,
    _small_file,
    _still_served,
)
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


@pytest.mark.req("LIM-4")
def test_one_ended_connection_makes_room_after_a_refusal(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _, total = _limits(target)
    sources = sources_for(target)
    file = _small_file(target)
    idle = target.limits.idle_timeout
    window = max(2.0, target.limits.handshake_timeout * 2)

    def case() -> None:
        addresses = _fresh(sources, total + 2)
        if len(addresses) < total + 2:
            pytest.skip("needs fresh loopback source addresses")
        held: list[Channel] = []
        served_at: list[float] = []

        def keep_served(force: bool = False) -> None:
            for number, channel in enumerate(held):
                if force or time.monotonic() - served_at[number] > idle / 3:
                    _still_served(channel, file, served_at[number], target, f"connection {number}")
                    served_at[number] = time.monotonic()

        try:
            for index, source in enumerate(addresses[:total]):
                keep_served()
                held.append(
                    _honest_get(target, source, tmp_path, transcripts, f"connection {index + 1}")
                )
                served_at.append(time.monotonic())
            keep_served(force=True)
            if _refused_probe(target, addresses[total], tmp_path, transcripts) is None:
                inconclusive(
                    f"connection {total + 1} was served with {total} established ones open: "
                    "test_lockout.py judges that"
                )
            held.pop().close()
            served_at.pop()
            deadline = time.monotonic() + window
            last = ""
            for attempt in range(100):
                keep_served()
                try:
                    _honest_get(
                        target, addresses[total + 1], tmp_path, transcripts, "after one ended"
                    ).close()
                    return
                except ConformanceFailure as exc:
                    last = str(exc)
                if time.monotonic() >= deadline:
                    raise ConformanceFailure.evidence(
                        f"LIM-4: max_connections = {total} established connections, one more "
                        f"refused; then one of them closed by the client while the other "
                        f"{total - 1} stayed open and served (a get each at least every "
                        f"{idle / 3:.2f} s); new connections for {window:g} s "
                        f"({attempt + 1} attempts)",
                        "a new connection admitted and served: one ended connection frees its "
                        "slot, whatever refusals came before",
                        last.splitlines()[0] if last else "refused",
                        "admission resumes only below a low watermark (hysteresis)",
                    )
            raise ConformanceFailure(f"LIM-4: no new connection was served: {last}")
        finally:
            for channel in held:
                channel.close()

    _attempts(case, "LIM-4")
