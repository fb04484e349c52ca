"""An sft-eke/1 CLIENT's put is stored only on the responder's DONE, sealed in a record
(SPEC APP-PUT-10, EKE-REC-5).

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`). It
accepts the put, reads every byte and the client's DONE, and answers — in place of the
honest receipt, a `DONE` inside a record —:

* [EKE-REC-5] the right `DONE` (size and SHA-256 of the bytes) in CLEAR: after EKE4 a
  plaintext frame of any type is a failure. A client whose receipt is read by a reader of
  its own (beside the get's record reader) that takes a clear frame as is reports the put
  stored. Likewise its acceptance: `RSFL {accept}` in clear in answer to PUTF is no
  acceptance — the client sends no DATA and the put fails.
* [APP-PUT-10] a second `RSFL {accept}` (a record) in place of the `DONE`: no `DONE`
  acknowledged the bytes, so the put failed (non-zero exit). A client that takes any
  answer but an EROR for "stored" reports a put nobody stored. (A `BYE_` in place of the
  `DONE`: test_interop_put_receipt_frames.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, frame_bytes

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 5000

# kind: (requirement, send the answer in place of the receipt (channel, size, digest, name))
_Send = Callable[[Any, int, str, str], None]


def _clear_done(channel: Any, size: int, digest: str, _name: str) -> None:
    channel.raw.send_raw(frame_bytes("DONE", control({"size": size, "sha256": digest})))


def _accept_again(channel: Any, _size: int, _digest: str, name: str) -> None:
    channel.send_frame("RSFL", {"accept": True, "name": name})


_RECEIPTS: dict[str, tuple[str, _Send]] = {
    "clear-done": ("EKE-REC-5", _clear_done),
    "accept-again": ("APP-PUT-10", _accept_again),
}


def _serve_other_receipt(kind: str) -> puts.Serve:
    send = _RECEIPTS[kind][1]

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        channel.send_frame("RSFL", puts._accept(offered))
        seen.answered = "RSFL accept"
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        send(channel, count, digest, offered)
        seen.answered += f"; in place of DONE: {kind} (the marker)"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-10", "EKE-REC-5")
@pytest.mark.parametrize("kind", list(_RECEIPTS))
def test_initiator_put_stored_only_on_a_sealed_done(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The responder reads every byte and the client's DONE, then answers `kind` instead
    of a DONE record: the client MUST NOT report the put stored."""
    requirement = _RECEIPTS[kind][0]
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=_serve_other_receipt(kind),
    )
    problems: puts.Problems = []
    if "(the marker)" not in put.seen.answered:
        return  # the client's put never reached its DONE: judged by test_client_put.py
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                requirement,
                f"the responder answered the client's DONE with {kind} (no DONE record), "
                f"yet the client {put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put answered {kind} in place of its receipt DONE")


def _serve_clear_accept(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
    offered = puts.read_offer(channel, seen, name)
    if offered is None:
        return
    channel.raw.send_raw(frame_bytes("RSFL", puts._accept(offered)))
    seen.answered = "RSFL accept in clear (the marker)"
    puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)


@pytest.mark.req("EKE-REC-5")
def test_initiator_put_takes_no_clear_acceptance(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """PUTF answered with `RSFL {accept}` in clear: no acceptance (a plaintext frame after
    EKE4 is a failure): no DATA, and the put fails."""
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=_serve_clear_accept,
    )
    problems: puts.Problems = []
    if "(the marker)" not in put.seen.answered:
        return
    sent = puts._data_bytes(put.seen.after)
    if sent:
        problems.append(
            ("EKE-REC-5", f"after a clear RSFL accept the client sent {len(sent)} DATA/DONE")
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "EKE-REC-5",
                f"the put's acceptance came in clear, yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, "a put whose RSFL accept came in clear")
