"""LIM-9 over sft-eke/1: a login in flight is still in its handshake, whatever step it is at.

LIM-9: "when every slot of LIM-4 is taken and some of them are still in their handshake,
a new connection MUST be admitted by closing the oldest such connection (or the
responder MUST otherwise keep room for handshakes that complete). Established
connections are never closed for this." test_lockout.py and test_ops_lim9_newcomer.py
fill the slots with silent sockets. An sft-eke/1 handshake has steps of its own, and a
server must not take one of them for the end of it: a connection is established when
the client's EKE3 has verified, not when the server has done its own half (EKE2 sent —
"our part is done, the connection is served"), nor when a first EKE1 byte or frame has
come. A client that sends EKE1, reads EKE2 and stays silent has spent nothing but the
guess; a server that counts it established lets a flood of such half-logins hold every
slot against eviction, and an honest client is refused until their handshake timeout.

Each case fills the `max_connections` slots exactly with connections held at one step
(each from its own loopback address and with its own unknown user name, below every
per-address and per-user cap), then an honest client — the connection that meets the full
server — must complete its login and be served at the first attempt.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance import eke
from conformance._wire_fixtures import TranscriptBook
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_lockout import _honest_get, _limits
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


def _timeout(target: Target) -> float:
    return max(3.0, target.limits.handshake_timeout * 2)


@contextmanager
def _held(
    target: Target, step: str, sources: list[str], transcripts: TranscriptBook
) -> Iterator[list[RawConnection]]:
    """One connection per source address, each left at `step` of its login."""
    held: list[RawConnection] = []
    try:
        prepared = []
        for _ in sources:
            client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
            prepared.append((client, client.eke1()))  # computed before the clock starts
        for index, (source, (client, message)) in enumerate(zip(sources, prepared, strict=True)):
            raw = connect_raw(
                target.host, target.port, timeout=_timeout(target),
                name=f"held #{index + 1} from {source} ({step})", source=source,
            )  # fmt: skip
            transcripts.add(raw)
            held.append(raw)
            frame = frame_bytes(b"EKE1", control(message))
            if step == "half-eke1":
                raw.send_raw(frame[: len(frame) // 2])
                continue
            raw.send_raw(frame)
            event = raw.recv_frame(deadline_after(_timeout(target)))
            if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
                raise ConformanceFailure(
                    f"EKE1 of the unknown user name {client.user!r} from the fresh address "
                    f"{source} ({index} other logins in flight, each of its own name and "
                    f"address, below every declared cap): no EKE2: {event.describe()}"
                )
        yield held
    finally:
        for raw in held:
            raw.close()


@pytest.mark.req("LIM-9")
@pytest.mark.parametrize("step", ["after-eke2", "half-eke1"])
def test_logins_in_flight_do_not_keep_an_honest_client_out(
    eke_target: Target,
    eke_sources: SourceAddresses,
    transcripts: TranscriptBook,
    tmp_path: Path,
    step: str,
) -> None:
    """`max_connections` logins held at `step` (after-eke2: EKE1 sent, EKE2 read, no EKE3;
    half-eke1: half an EKE1 frame sent), each from its own address; then an honest client
    from another address: its first attempt must log in and be served."""
    _, total = _limits(eke_target)
    addresses = [eke_sources.fresh() for _ in range(total + 1)]
    if None in addresses:
        pytest.skip("needs fresh loopback source addresses")
    sources = [a for a in addresses if a is not None]
    started = time.monotonic()
    with _held(eke_target, step, sources[:total], transcripts):
        held_for = time.monotonic() - started
        if held_for >= eke_target.limits.handshake_timeout * 0.5:
            inconclusive(
                f"holding {total} logins took {held_for:.2f} s, half the handshake timeout "
                f"({eke_target.limits.handshake_timeout:g} s): too slow a run to tell whether "
                "a slot was freed by eviction or by a timeout"
            )
        try:
            _honest_get(
                eke_target,
                sources[total],
                tmp_path,
                transcripts,
                f"LIM-9: the first attempt of an honest client while {total} connections "
                f"(max_connections, one per address) held logins in flight ({step}: "
                + (
                    "EKE1 sent, EKE2 read, no EKE3"
                    if step == "after-eke2"
                    else "half an EKE1 frame sent"
                )
                + ")",
            ).close()
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"{exc}\nNote: a login is in its handshake until the client's EKE3 has "
                "verified; connections held there are the ones closed (oldest first) to "
                "admit a newcomer, never a reason to refuse it",
                violates=("LIM-9",),
            ) from None
