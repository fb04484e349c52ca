"""Every frame of a client's put, judged as a sender's frame; an empty file's put waits
for its answer (BOTH clients; SPEC §1 FRM-14, §3.4 APP-PUT-1, APP-PUT-10).

FRM-14: a sender MUST NOT emit a frame that breaks FRM-1…FRM-13. The put cases of
test_client_put.py read the members they were written for (`PUTF.size` compared with the
file's size as a number, `DONE` by its values): a `size` that went through a float on its
way to JSON (`"size": 5000.0`, equal as a number) or a member given as a string passes
them. Here the suite's responder (test_client_put.py's, honest: it accepts and answers
`DONE`) records every frame the client sends in the put and after it, and each one is
judged whole: integer members JSON integers (FRM-11), `sha256` members 64 lower-case
hex digits (FRM-12), control payloads strict UTF-8 JSON objects (FRM-9), DATA payloads of
1…1 048 576 bytes (FRM-13), an `EROR` of the table's form (ERR-1).

APP-PUT-1 / APP-PUT-10: the answer to `PUTF` comes before any `DATA` is sent, and after a
refusal the initiator sends neither `DATA` nor `DONE`. An empty file has no `DATA`: a
client that sends `PUTF` and `DONE` together ("nothing to wait for") sends a `DONE` for a
put that may be refused. The suite puts an empty file and answers `exists`, or accepts it
after a short wait; the client must send nothing of the put before the answer, nothing
after the refusal, and report the refusal as a failure, the acceptance as success.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    EARLY_WAIT,
    Answer,
    Problems,
    PutRun,
    PutSeen,
    _content,
    _data_bytes,
    _fail,
    _judge_common,
    _judge_sent_file,
    _run_put,
    _serve_put,
)
from conformance.wire import Event, ReceivedFrame

pytestmark = [pytest.mark.side("initiator")]


class _Recording:
    """The responder's channel, keeping every frame the client sent (bounded by what
    `_serve_put` reads)."""

    def __init__(self, channel: Channel, log: list[ReceivedFrame]) -> None:
        self._channel = channel
        self._log = log

    def recv_frame(self, *args: Any, **kwargs: Any) -> Event:
        event = self._channel.recv_frame(*args, **kwargs)
        if isinstance(event, ReceivedFrame):
            self._log.append(event)
        return event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


@pytest.mark.req("FRM-14", "APP-PUT-4")
@pytest.mark.parametrize("size", [1, 5000])
def test_initiator_put_sends_only_well_formed_frames(
    target: Target, tmp_path: Any, transcripts: TranscriptBook, size: int
) -> None:
    log: list[ReceivedFrame] = []

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        _serve_put(cast(Channel, _Recording(channel, log)), seen, answer, name)

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(size), serve=serve)
    problems: Problems = []
    for frame in log:
        for violation in frame.violations():
            problems.append(("FRM-14", f"{frame.describe(100)}: {violation}"))
    _judge_sent_file(put, problems)
    _fail(put, problems, f"an honest put of a {size}-byte file: every frame the client sent")


@pytest.mark.req("APP-PUT-1", "APP-PUT-10")
@pytest.mark.parametrize("answer", ["exists", "accepted"])
def test_initiator_put_of_an_empty_file_waits_for_the_answer(
    target: Target, tmp_path: Any, transcripts: TranscriptBook, answer: str
) -> None:
    refused = answer == "exists"
    put: PutRun = _run_put(
        target, tmp_path, transcripts, Answer(refuse="exists" if refused else None), b""
    )
    problems: Problems = []
    _judge_common(put, problems)  # DATA/DONE before the answer: APP-PUT-1; the file intact
    if refused:
        sent = _data_bytes(put.seen.after)
        if sent:
            problems.append(
                (
                    "APP-PUT-10",
                    f"the put of an empty file was refused (EROR exists), yet the client "
                    f"sent {[f.describe(60) for f in sent[:3]]} for it",
                )
            )
        if put.run.succeeded or put.run.timed_out:
            problems.append(
                ("APP-PUT-10", f"refused with EROR exists, the client {put.run.success_evidence()}")
            )
        what = "a put of an empty file refused with EROR exists"
    else:
        _judge_sent_file(put, problems)
        what = f"a put of an empty file, accepted after {EARLY_WAIT:g} s"
    _fail(put, problems, what)
