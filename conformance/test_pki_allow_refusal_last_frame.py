"""After the allow list's `forbidden`, the responder sends NOTHING before its close —
no `BYE_` of its own, no second answer (docs/SPEC.md §3.2 APP-1, §4.3 PKI-ID-3, ERR-3).

PKI-ID-3: "A responder configured with an allow list MUST answer every request of an
initiator not on it with `EROR forbidden` and then close." APP-1: "Only the initiator
sends requests (`RQFL`, `PUTF`, `BYE_`)"; a responder's `BYE_` exists only as the optional
echo of the initiator's (APP-BYE-1). A responder that ends the refused connection "politely"
— `forbidden`, then a `BYE_` of its own, then the close — sends the initiator a request
(the initiator's state machine has no place for it: `unexpected_frame`), and the cases
that read the `forbidden` and stop there never see it.

Lab mode (the root key mints a valid employee certificate under a fresh alias that no
list names). Each first request of such a connection — a get, a put — must be answered
`EROR forbidden` (or the connection refused: `auth_failed`, an alert or the close,
PKI-TLS-10), and after the `forbidden` the next event MUST be the end of the stream.
Fixtures (conformance/plugin.py): `target`, `transcripts`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, lab_pki
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_pki_certs import _close_bound
from conformance.wire import Closed, ConformanceFailure, ExpectClose, ExpectError, deadline_after

__all__: list[str] = []

_REQUESTS: dict[str, tuple[str, dict[str, object]]] = {
    "get": ("RQFL", {"name": "sft-allow-last-frame-missing.txt"}),
    "put": ("PUTF", {"name": "sft-allow-last-frame.bin", "size": 10}),
}


@pytest.mark.req("APP-1", "PKI-ID-3", "ERR-3")
@pytest.mark.parametrize("request_kind", sorted(_REQUESTS))
def test_nothing_follows_the_allow_list_refusal(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, request_kind: str
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if not target.allow:
        pytest.skip("the target does not declare its allow list (`allow` in [pki])")
    if target.root is None:
        pytest.skip("lab mode only: the root certificate is needed")
    alias = f"sft-unlisted-{uuid.uuid4().hex[:12]}"
    cert, key = lab_pki(target).employee(alias).write(tmp_path, "unlisted")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=alias
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return  # refused at the handshake: PKI-ID-3 allows it, nothing to judge here
    transcripts.add(result)
    frame_type, payload = _REQUESTS[request_kind]
    if frame_type == "PUTF":
        payload = {**payload, "name": fresh_name("sft-allow-last-frame")}
    try:
        result.close_within = _close_bound(target)
        result.send_frame(frame_type, payload)
        outcome = result.expect(
            [ExpectError("forbidden", then_close=False), ExpectError("auth_failed"), ExpectClose()]
        )
        outcome.check(f"PKI-ID-3: {alias!r} (not on the allow list) sends {frame_type} {payload}")
        if outcome.frame is None or outcome.frame.error_name != "forbidden":
            return  # refused as PKI-TLS-10 allows; other cases judge that close
        after = result.recv_frame(deadline_after(_close_bound(target)))
        if not isinstance(after, Closed):
            failure = ConformanceFailure.evidence(
                f"PKI-ID-3/APP-1: {alias!r} (not on the allow list) sent {frame_type} "
                f"{payload} and was answered {outcome.frame.describe()}",
                "the end of the stream: 'EROR forbidden and then close' — a responder "
                "sends no request (BYE_ included) and no second answer",
                after.describe(),
            )
            failure.violates = ("APP-1", "PKI-ID-3")
            raise failure
    finally:
        result.close()
