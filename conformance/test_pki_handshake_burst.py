"""A burst of TLS handshakes never takes more than max_connections (docs/SPEC.md LIM-4,
LIM-9); sft-pki/1 responder.

LIM-4: above `max_connections` a responder MUST refuse new connections; LIM-9: a new
connection may take the slot of the oldest one still in its handshake. Both count the
connections *in their handshake*. A responder that counts only the connections whose
handshake completed ("a handshake costs nothing; sessions are what we limit"), or that
checks the count on accept and raises it after the handshake, lets a burst through: every
handshake started while the count was below the limit completes, and more connections
than the limit are served at once. The cases of test_limits_slots.py open connections one
after another and never see it.

Here the slots but two are held by established connections, then a burst of connections
(four: more than the per-address cap only lowers what is served) is connected at once and only
then do their handshakes run, side by side: afterwards, at most `max_connections`
connections may be served together.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    TranscriptBook,
    fresh_name,
    require,
    suite_identity,
)
from conformance.channel import Channel
from conformance.pki_channel import PkiChannel, client_context
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, Transcript

_MAX_LIMIT = 16  # the largest max_connections the case holds connections for


def _alive(channel: Channel) -> str:
    """Empty when a get of a missing name is answered not_found; else what came instead."""
    channel.send_frame("RQFL", {"name": fresh_name("burst-missing")})
    outcome = channel.expect([ExpectError("not_found")])
    return "" if outcome.ok else outcome.describe()


def _handshake(
    raw: socket.socket, ctx: ssl.SSLContext, timeout: float, name: str
) -> PkiChannel | str:
    transcript = Transcript(name=name)
    try:
        raw.settimeout(timeout)
        tls = ctx.wrap_socket(raw, server_side=False, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        return f"handshake refused: {getattr(exc, 'reason', None) or exc}"
    return PkiChannel(tls, name=name, timeout=timeout, transcript=transcript)


@pytest.mark.req("LIM-4", "LIM-9")
@pytest.mark.xdist_group("connection-limit")
def test_a_burst_of_handshakes_never_exceeds_max_connections(
    target: Target, app_channel: AppChannel, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    require(target, "busy")
    limit = target.limits.max_connections
    if limit is None or limit > _MAX_LIMIT or limit < 3:
        pytest.skip(f"max_connections {limit}: the case holds 1 to {_MAX_LIMIT - 2}")
    # More than the per-address cap is harmless: a refusal only lowers the count served.
    burst = 4
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    idle = target.limits.idle_timeout or 60.0
    timeout = max(1.0, min(5.0, target.limits.handshake_timeout or 5.0))
    holders: list[Channel] = []
    raws: list[socket.socket] = []
    served: list[PkiChannel] = []
    try:
        for index in range(limit - 2):
            holder = app_channel()
            why = _alive(holder)
            if why:
                pytest.skip(f"held connection {index + 1} was not served: {why}")
            holders.append(holder)
        started = time.monotonic()
        for _ in range(burst):
            raws.append(socket.create_connection((target.host, target.port), timeout=timeout))
        results: list[PkiChannel | str] = ["not run" for _ in range(burst)]

        def run(i: int) -> None:
            results[i] = _handshake(raws[i], ctx, timeout, f"burst connection {i + 1}")

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(burst)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 1.0)
        outcomes: list[str] = []
        for index, result in enumerate(results):
            if isinstance(result, str):
                outcomes.append(f"{index + 1}: {result}")
                continue
            transcripts.add(result)
            why = _alive(result)
            outcomes.append(f"{index + 1}: {'served' if not why else why}")
            if not why:
                served.append(result)
        if time.monotonic() - started > idle * 0.9:
            pytest.skip("the burst took most of the idle timeout: the holders may idle out")
        lost = [i + 1 for i, holder in enumerate(holders) if _alive(holder)]
        if lost:
            raise ConformanceFailure(
                f"LIM-9: held established connection(s) {lost} no longer served after a "
                "burst of handshakes: established connections are never closed to make room",
                violates=("LIM-9",),
            )
        total = len(holders) + len(served)
        if total > limit:
            failure = ConformanceFailure.evidence(
                f"LIM-4: {len(holders)} established connections held (max_connections "
                f"{limit}); then {burst} connections connected at once, their TLS "
                "handshakes run side by side, and a get of a missing name on each",
                f"at most {limit} connections served at once: {limit - len(holders)} of the "
                "burst at most (the others refused, or closed in their handshake: LIM-9)",
                f"{total} served at once; the burst: {'; '.join(outcomes)}",
                "a connection cap that counts only completed handshakes, or is raised after "
                "the handshake it was checked before, lets every handshake of a burst in",
            )
            failure.violates = ("LIM-4",)
            raise failure
    finally:
        for channel in (*served, *holders):
            channel.close()
        for raw in raws:
            try:
                raw.close()
            except OSError:
                pass
