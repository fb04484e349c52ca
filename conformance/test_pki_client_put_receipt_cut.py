"""sft-pki/1 INITIATOR as a sender: a receipt cut by the end of the stream is no receipt
(docs/SPEC.md FRM-7, APP-PUT-10).

"A connection that ends (EOF) inside a frame ... MUST be treated as a failed connection,
never as a complete frame; any transfer in progress fails." The get's side of this is
checked elsewhere (a DONE cut in the middle of a get). The put's side differs: by the time
the responder's DONE is due the sender has sent every byte, and a sender that reads the
end of the stream inside that receipt as "the kernel took all my bytes, the peer has the
file" reports a put that the responder may have refused or never stored. A clean close
in place of the receipt (APP-PUT-10, test_client_pki_put_receipt_retry.py) is a
different path in most readers: there the frame decoder sees a frame boundary; here it
holds half a header or half a payload when the stream ends.

The suite's responder accepts the client's put, reads its DATA and DONE, then sends only
part of its DONE receipt — 5 bytes of the header, the whole header and half the JSON, or
all of it but its last byte — and ends the connection with close_notify. The client MUST
exit non-zero.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_put_receipt_retry import _until_done
from conformance.test_client_put import (
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _accept,
    _content,
    _next,
    _run_put,
)
from conformance.wire import ConformanceFailure, control, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 20_000

# How much of the receipt (its frame bytes) is sent before the end of the stream.
_CUTS: dict[str, Callable[[int], int]] = {
    "header-5-bytes": lambda n: 5,
    "half-payload": lambda n: 8 + (n - 8) // 2,
    "all-but-last-byte": lambda n: n - 1,
}


@pytest.mark.req("FRM-7", "APP-PUT-10")
@pytest.mark.parametrize("cut", sorted(_CUTS))
def test_initiator_put_with_a_cut_receipt_is_no_success(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, cut: str
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    content = _content(SIZE)
    receipt = frame_bytes(
        "DONE", control({"size": SIZE, "sha256": hashlib.sha256(content).hexdigest()})
    )
    sent = _CUTS[cut](len(receipt))
    state = {"done": False}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        channel.send_frame("RSFL", _accept(str((seen.putf or {}).get("name", name))))
        if not _until_done(channel, seen):
            return
        state["done"] = True
        channel.send_raw(receipt[:sent])
        seen.answered = (
            f"RSFL {{accept}}; {sent} of the receipt's {len(receipt)} bytes, then the end"
        )

    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    if not state["done"]:
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    if put.run.succeeded:
        failure = ConformanceFailure.evidence(
            f"FRM-7: the responder took the client's put of {SIZE} bytes and sent only "
            f"{sent} of the {len(receipt)} bytes of its DONE receipt ({cut}) before "
            "close_notify",
            "the put reported failed (non-zero exit): a stream that ends inside a frame is "
            "a failed connection, never a complete frame, and no receipt came",
            "exit 0 (reported stored)",
            note=put.describe(),
        )
        failure.violates = ("FRM-7",)
        raise failure
