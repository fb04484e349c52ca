"""An INITIATOR's put answered, in place of the responder's DONE, by another frame.

APP-PUT-10: an initiator reports a put as succeeded only once the responder has answered
its `DONE` with `DONE`. test_client_put.py answers with `EROR`, a close or silence, and
test_client_put_wire.py with a malformed `DONE`; an initiator whose test is "anything
but an `EROR` is the receipt" (`!= EROR` where `== DONE` was meant) passes all of them.
Here the suite's responder (test_client_put.py's, the client launched from
`client_put_cmd`; the embedded run: the reference's put) accepts, reads the whole file,
and answers the client's `DONE` with a frame that is not a `DONE`: a second acceptance
(`RSFL {"accept": true}`), `BYE_ {}`, a frame of an undefined type (slow: a get's
`RSFL {name, size}`, a `DATA` frame). None of them says the file was stored: the client
must report the put failed (non-zero exit) [APP-PUT-10] and leave its file as it was.
(What it answers — `EROR unexpected_frame` by FRM-5 / FRM-6, or a close — is not judged
here.) Both profiles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    Answer,
    Problems,
    PutRun,
    PutSeen,
    _content,
    _fail,
    _judge_common,
    _run_put,
    _serve_put,
)
from conformance.wire import control, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]


class _ReceiptSwapped:
    """A channel on which `_serve_put` runs unchanged, except that its DONE (the receipt)
    goes out as the frame the case chose."""

    def __init__(self, channel: Channel, receipt: bytes) -> None:
        self.inner = channel
        self.receipt = receipt
        self.swapped = False

    def recv_frame(self, deadline: float | None = None) -> Any:
        return self.inner.recv_frame(deadline)

    def send_frame(self, frame_type: bytes | str, payload: Any = b"") -> bool:
        kind = frame_type.encode() if isinstance(frame_type, str) else frame_type
        if kind == b"DONE" and not self.swapped:
            self.swapped = True
            return self.inner.send_raw(self.receipt)
        return self.inner.send_frame(frame_type, payload)

    def send_raw(self, data: bytes) -> bool:
        return self.inner.send_raw(data)


_RECEIPTS = {
    "second-acceptance": lambda name: frame_bytes("RSFL", control({"accept": True, "name": name})),
    "bye": lambda name: frame_bytes("BYE_", b"{}"),
    "undefined-type": lambda name: frame_bytes("DNE_", b"{}"),
    "get-rsfl": lambda name: frame_bytes("RSFL", control({"name": name, "size": 1000})),
    "data": lambda name: frame_bytes("DATA", b"stored"),
}
_SLOW = {"get-rsfl", "data"}


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize(
    "receipt",
    [pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _RECEIPTS],
)
def test_initiator_put_takes_only_done_as_the_receipt(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, receipt: str
) -> None:
    """The responder accepts, reads every byte, and answers the client's DONE with
    `receipt` instead of DONE: the put must be reported failed [APP-PUT-10]."""
    swapped: list[_ReceiptSwapped] = []

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        box = _ReceiptSwapped(channel, _RECEIPTS[receipt](name))
        swapped.append(box)
        _serve_put(box, seen, answer, name)  # type: ignore[arg-type]

    put: PutRun = _run_put(target, tmp_path, transcripts, Answer(), _content(1000), serve)
    if not (swapped and swapped[0].swapped):
        # The client never got to its DONE: the receipt was not exercised (ERROR).
        raise RuntimeError(f"the suite's responder did not get to its receipt: {put.describe()}")
    problems: Problems = []
    _judge_common(put, problems)
    if put.run.succeeded or put.run.timed_out:
        shown = _RECEIPTS[receipt]("NAME")[:4].decode()
        problems.append(
            (
                "APP-PUT-10",
                f"the responder answered the client's DONE with {shown} ({receipt}), not "
                f"DONE, yet the client {put.run.success_evidence()}",
            )
        )
    _fail(put, problems, f"a put whose receipt is a {receipt} frame")
