"""A stranger's pipelined requests are refused too, not only its first (docs/SPEC.md §4.3
PKI-ID-3, §3.2 APP-2, §4.1 PKI-TLS-10).

PKI-ID-3: a responder with an allow list MUST answer EVERY request of an initiator not on
it with `EROR forbidden` and then close; it MUST NOT serve it. The cases beside this one
(test_pki_identity.py, test_pki_allow_list_verdicts.py) send one request and read its
answer. An initiator may pipeline (APP-2): several requests in one TLS record, all
received before the responder answers the first. A responder that refuses "the
connection's request" once — a refused flag checked before reading, the close deferred
until the input buffer is drained ("answer what was already received, then close"),
the verdict applied at the read loop rather than per request — answers the requests
queued behind the first as if they were authorised: a stranger gets a file by sending its
RQFL twice in one write.

The case: a fresh valid certificate of an alias not on the target's allow list (lab mode,
the target's `allow` declared), three requests in one write — a get of a missing name, a
get of a known file (or another missing name), a put offer — and then the answers: each
one MUST be `EROR forbidden` (or `auth_failed`: a refusal of the connection, PKI-TLS-10),
and the connection MUST end; an RSFL, a DATA, a `not_found` or an `exists` is the stranger
served. The same with the put offer first.

Fixtures (conformance/plugin.py): `target`, `transcripts`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, lab_pki
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

_ORDERS: Final = {
    "gets-then-put": ("get", "get-known", "put"),
    "put-first": ("put", "get-known", "get"),
}
_REFUSALS: Final = ("forbidden", "auth_failed")


def _requests(target: Target, order: tuple[str, ...]) -> tuple[bytes, list[str]]:
    known = next((f.name for f in target.files if f.size > 0), None)
    wire = b""
    shown: list[str] = []
    for kind in order:
        if kind == "put":
            name = fresh_name("sft-stranger-put")
            wire += frame_bytes("PUTF", control({"name": name, "size": 4}))
            shown.append(f"PUTF {name!r}")
        else:
            name = known if kind == "get-known" and known else fresh_name("sft-stranger-get")
            wire += frame_bytes("RQFL", control({"name": name}))
            shown.append(f"RQFL {name!r}")
    return wire, shown


@pytest.mark.req("PKI-ID-3", "APP-2")
@pytest.mark.parametrize("order", list(_ORDERS))
def test_pipelined_requests_of_a_stranger_are_all_refused(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, order: str
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if not target.allow:
        pytest.skip("the target does not declare its allow list (`allow` in [pki])")
    assert target.root is not None
    alias = f"sft-stranger-{uuid.uuid4().hex[:12]}"
    cert, key = lab_pki(target).employee(alias).write(tmp_path, "stranger")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=alias
    )
    if isinstance(result, HandshakeRefused):  # refused at the handshake: never served
        transcripts.add(result.transcript)
        return
    transcripts.add(result)
    wire, shown = _requests(target, _ORDERS[order])
    seen: list[str] = []
    served: str | None = None
    still_open = False
    try:
        result.send_raw(wire)
        deadline = deadline_after(result.timeout)
        for _ in range(len(shown) + 2):  # bounded: one answer per request, then the close
            event = result.recv_frame(deadline)
            seen.append(event.describe())
            if isinstance(event, Closed | TimedOut):
                still_open = isinstance(event, TimedOut)
                break
            assert isinstance(event, ReceivedFrame)
            if event.type != b"EROR" or event.error_name not in _REFUSALS:
                served = event.describe()
                break
    finally:
        result.close()
    if served is not None:
        raise ConformanceFailure.evidence(
            f"PKI-ID-3: {alias!r} is not on the allow list {list(target.allow)}; it sent, in "
            f"one write: {'; '.join(shown)}",
            "EROR forbidden (or auth_failed) for every request that is answered, then the "
            "close: no request of a stranger is served, however it was pipelined",
            " | ".join(seen),
        )
    if still_open:
        raise ConformanceFailure.evidence(
            f"PKI-ID-3: {alias!r} (not on the allow list) pipelined {'; '.join(shown)}",
            "forbidden, then the close",
            " | ".join(seen) + " (the connection stayed open)",
        )
