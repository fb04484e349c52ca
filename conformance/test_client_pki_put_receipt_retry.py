"""sft-pki/1 INITIATOR as a sender: a put whose receipt never came is not made a success by
a second attempt that the responder answers `exists` (docs/SPEC.md APP-PUT-10, APP-PUT-1).

"An EROR (e.g. `integrity_failed`) or the end of the connection in place of the
responder's DONE MUST be reported as a failure, never as success", and "a non-fatal
refusal of its PUTF (`exists`, …) … MUST [be reported] failed". A client may try a lost
put again on a new connection — nothing forbids a retry — but a retry refused `exists`
proves nothing: the name may be another put's, or a file the responder holds from
before; the bytes the client sent were never acknowledged. A client "made idempotent"
after the fact (a lost receipt is retried, and `exists` taken for "my first attempt
landed") reports a put nobody stored.

The suite's responder accepts the client's first put, reads its DATA and DONE and then,
in place of the receipt:

- `closed`: ends the connection (close_notify, then the close);
- `eror-internal`: sends `EROR internal` (fatal) and closes;
- `eror-integrity` (slow): sends `EROR integrity_failed` (fatal) and closes;

and answers every later connection's PUTF with `EROR exists`. The client MUST exit
non-zero, however many connections it makes.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    MAX_FRAMES,
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _accept,
    _content,
    _drain,
    _next,
    _run_put,
)
from conformance.wire import ConformanceFailure, error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 20_000
_AFTER = 1.5  # what a refused client still sends (BYE_) before it closes
_ENDINGS = {
    "closed": None,
    "eror-internal": ("internal", "suite: the responder failed before its receipt"),
    "eror-integrity": ("integrity_failed", "suite: integrity"),
}


def _until_done(channel: Channel, seen: PutSeen) -> bool:
    """DATA until the client's DONE (True), or anything else or the end (False)."""
    for _ in range(MAX_FRAMES):
        frame = _next(channel, seen, READ_TIMEOUT)
        if frame is None:
            return False
        seen.sending.append(frame)
        if frame.type == b"DONE":
            return True
        if frame.type != b"DATA":
            return False
    return False


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize(
    "ending",
    ["closed", "eror-internal", pytest.param("eror-integrity", marks=pytest.mark.slow)],
)
def test_initiator_put_without_receipt_is_no_success_after_an_exists_retry(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    lock = threading.Lock()
    state = {"connections": 0, "first_done": False, "exists_sent": 0}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        with lock:
            state["connections"] += 1
            number = state["connections"]
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        if number == 1:
            seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
            seen.putf = first.json()
            channel.send_frame("RSFL", _accept(str((seen.putf or {}).get("name", name))))
            if not _until_done(channel, seen):
                return
            state["first_done"] = True
            eror = _ENDINGS[ending]
            if eror is not None:
                channel.send_frame("EROR", error_payload(*eror))
            seen.answered = f"RSFL {{accept}}; after the DONE: {ending}"
            return
        channel.send_frame("EROR", error_payload("exists", "suite: that name is taken"))
        with lock:
            state["exists_sent"] += 1
        seen.answered += f"; connection {number}: EROR exists"
        _drain(channel, seen, seen.after, _AFTER)

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(SIZE), serve=serve)
    if not state["first_done"]:
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    if put.run.succeeded:
        raise ConformanceFailure(
            f"APP-PUT-10: the responder took the client's put of {SIZE} bytes and answered "
            f"its DONE with no receipt ({ending}); every later PUTF was answered EROR exists\n"
            "Expected: the put reported failed (non-zero exit): no DONE acknowledged it, "
            "and `exists` is a refusal\n"
            f"Actual:   exit 0 after {state['connections']} connection(s), "
            f"{state['exists_sent']} answered exists\nNote: {put.describe()}",
            violates=("APP-PUT-10",),
        )
