"""An INITIATOR as a SENDER, accepted under another name (docs/SPEC.md APP-PUT-9, APP-PUT-2).

APP-PUT-9: "The `name` of `RSFL {accept}` is the name the responder stores under
(APP-PUT-2: the basename of the offered name) and is for display only; one that differs
from the offered name is not an error." The suite's responder (test_client_put.py's
harness, both profiles) accepts the client's put with `RSFL {"accept": true, "name":
other}`, `other` differing from the offered name (a suffix, or another name altogether),
then reads the file and the client's DONE and answers `DONE`, as an honest responder
does. The client MUST send its file and report success (exit 0): one that takes a renamed
acceptance for a refusal or a malformed frame — "the responder must echo my name" — fails
puts to every conforming responder that stores `a/b.txt` as `b.txt`.

Fixtures (conformance/plugin.py): `target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    AFTER_WAIT,
    EARLY_WAIT,
    MAX_FRAMES,
    READ_TIMEOUT,
    Answer,
    Problems,
    PutSeen,
    _content,
    _done_says,
    _drain,
    _fail,
    _judge_common,
    _judge_sent_file,
    _next,
    _run_put,
)
from conformance.wire import control

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_RENAMES: dict[str, Callable[[str], str]] = {
    "suffixed": lambda offered: f"{offered}.1",
    "other_name": lambda _offered: "stored-by-the-suite.bin",
}


def _serve_renamed(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
    """An honest responder's put whose acceptance names `answer.rsfl(offered)`'s name."""
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or f"the client's first frame was {first and first.describe(60)}"
        return
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    offered: dict[str, Any] = seen.putf or {}
    _drain(channel, seen, seen.early, EARLY_WAIT)
    if seen.ended:
        return
    rsfl = answer.rsfl(str(offered.get("name", name)))
    channel.send_frame("RSFL", rsfl)
    seen.answered = f"RSFL {rsfl.decode('utf-8', 'replace')}"
    received = hashlib.sha256()
    count = 0
    done: dict[str, Any] | None = None
    for frame in seen.early:
        if frame.type == b"DATA":
            received.update(frame.payload)
            count += len(frame.payload)
        elif frame.type == b"DONE" and done is None:
            done = frame.json() or {}
    for _ in range(MAX_FRAMES):
        if done is not None:
            break
        got = _next(channel, seen, READ_TIMEOUT)
        if got is None:
            return
        seen.sending.append(got)
        if got.type == b"DATA":
            received.update(got.payload)
            count += len(got.payload)
        elif got.type == b"DONE":
            done = got.json() or {}
        else:
            break  # the client ended the put its own way: judged from `sending`
    if done is None:
        _drain(channel, seen, seen.after, AFTER_WAIT)
        return
    right = {"size": count, "sha256": received.hexdigest()}
    if _done_says(done, right) and offered.get("size") == count:
        channel.send_frame("DONE", right)
        seen.answered += "; DONE"
        _drain(channel, seen, seen.after, AFTER_WAIT)
        return
    channel.send_frame("EROR", {"code": 8, "name": "integrity_failed", "message": "suite"})
    seen.answered += "; EROR integrity_failed"
    seen.ended = "the responder closed after its fatal EROR"


@pytest.mark.req("APP-PUT-9", "APP-PUT-4", "APP-PUT-10")
@pytest.mark.parametrize("rename", list(_RENAMES))
def test_initiator_put_accepted_under_another_name_completes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, rename: str
) -> None:
    def renamed(offered: str) -> bytes:
        return control({"accept": True, "name": _RENAMES[rename](offered)})

    put = _run_put(
        target, tmp_path, transcripts, Answer(rsfl=renamed), _content(3000), _serve_renamed
    )
    problems: Problems = []
    _judge_common(put, problems)
    sent = [f for f in put.seen.early + put.seen.sending if f.type in (b"DATA", b"DONE")]
    if not sent or not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-9",
                f"the responder accepted the put as {_RENAMES[rename](put.name)!r} (for "
                f"display only, not an error); the client sent {len(sent)} DATA/DONE "
                f"frames and {put.run.describe()}: {put.run.stderr.strip()[-200:]}",
            )
        )
    else:
        _judge_sent_file(put, problems)
    _fail(put, problems, f"a put accepted under another name ({rename})")
