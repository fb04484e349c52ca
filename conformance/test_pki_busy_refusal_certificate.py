"""A full responder still requires a client certificate (docs/SPEC.md PKI-TLS-3, LIM-4).

PKI-TLS-3: "The responder MUST request and require a client certificate; a handshake
without one MUST fail" — every handshake, as PKI-TLS-1 says of TLS 1.2 for "the handshake
of a connection refused `busy` (LIM-4) included". A responder over its connection limit
that answers `EROR busy` inside TLS runs a handshake of its own for that answer; written
as a light path ("the client is refused anyway"), it requests no certificate, or requests
one without requiring it, and an anonymous client completes TLS 1.3 and reads an
application frame from a responder that never learnt who it is.

The case takes every slot of `max_connections` with honest, established connections
(each has had a request answered, so none is a pending handshake LIM-9 may evict), checks
that one more honest connection is refused (close, or `EROR busy`: else the slots are not
full and the case SKIPs), then connects without a client certificate. Accepted: a refused
handshake (alert `certificate_required`, …), a close, or `EROR auth_failed` and the close
on the first read (PKI-TLS-10), or a close before any TLS (LIM-4). `EROR busy` — or any
answer — to a client that presented no certificate FAILs.

Fixtures (conformance/plugin.py): `target` (pki), `app_channel()`.
"""

from __future__ import annotations

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
from conformance.pki_channel import PkiChannel, client_context, connect_pki
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    deadline_after,
)

__all__: list[str] = []

_MOST_SLOTS = 64  # more connections than this are too many to hold here


def _held(app_channel: AppChannel, limit: int) -> list[Channel]:
    held: list[Channel] = []
    for _ in range(limit):
        channel = app_channel()
        channel.send_frame("RQFL", {"name": fresh_name("sft-busy-holder")})
        answer = channel.expect([ExpectError("not_found", "busy")])
        if not answer.ok:
            pytest.skip(f"could not hold connection {len(held) + 1}: {answer.describe()}")
        if answer.frame is not None and answer.frame.error_name == "busy":
            break  # the slots are full already (another case's connections)
        held.append(channel)
    return held


@pytest.mark.req("PKI-TLS-3", "PKI-TLS-10", "LIM-4")
@pytest.mark.profile("pki")
@pytest.mark.xdist_group("connection-limit")
def test_a_full_responder_still_requires_a_client_certificate(
    target: Target, app_channel: AppChannel, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    require(target, "busy")
    assert target.root is not None
    limit = target.limits.max_connections
    if limit > _MOST_SLOTS:
        pytest.skip(f"max_connections {limit} is too many to hold here")
    held = _held(app_channel, limit)
    try:
        # One more honest connection must be refused: else the slots are not full.
        cert, key = suite_identity(target, tmp_path)
        probe = connect_pki(target.host, target.port, client_context(target.root, cert, key))
        if isinstance(probe, PkiChannel):
            transcripts.add(probe)
            probe.send_frame("RQFL", {"name": fresh_name("sft-busy-probe")})
            event = probe.recv_frame(deadline_after(probe.timeout))
            probe.close()
            if isinstance(event, ReceivedFrame) and event.error_name != "busy":
                pytest.skip(
                    f"{len(held)} connections held and one more was served "
                    f"({event.describe()}): the slots are not full"
                )
        else:
            transcripts.add(probe.transcript)
        anonymous = connect_pki(target.host, target.port, client_context(target.root))
        if not isinstance(anonymous, PkiChannel):
            transcripts.add(anonymous.transcript)
            return  # the handshake failed (or a close before TLS): refused
        transcripts.add(anonymous)
        try:
            anonymous.send_frame("RQFL", {"name": fresh_name("sft-busy-anonymous")})
            first = anonymous.recv_frame(deadline_after(anonymous.timeout))
            if isinstance(first, Closed):
                return
            if isinstance(first, ReceivedFrame) and first.error_name == "auth_failed":
                after = anonymous.recv_frame(deadline_after(3.0))
                if isinstance(after, Closed):
                    return
                first_text = f"EROR auth_failed, then {after.describe()}"
            else:
                first_text = first.describe()
            failure = ConformanceFailure.evidence(
                f"PKI-TLS-3: {len(held)} connections held (max_connections {limit}); a "
                "client with NO certificate connects and sends RQFL",
                "the handshake fails (certificate_required), or a close / EROR auth_failed "
                "then the close: a handshake without a client certificate never completes "
                "into application frames, busy or not",
                f"the TLS handshake completed and the first read gave {first_text}",
                note="the busy path's handshake must require the certificate like any other "
                "(PKI-TLS-1 names the busy handshake too)",
            )
            failure.violates = ("PKI-TLS-3",)
            raise failure
        finally:
            anonymous.close()
    finally:
        for channel in held:
            channel.close()
