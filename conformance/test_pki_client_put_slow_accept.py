"""APP-PUT-1 at an INITIATOR: no DATA before the answer to PUTF, however long it takes.

APP-PUT-1: "the responder MUST answer before any DATA is sent" — the initiator sends its
`PUTF` and waits for `RSFL {"accept": true}` or an `EROR`, with no time-out of its own
shorter than its idle timeout. HTTP's `Expect: 100-continue` teaches the opposite: a
client waits a moment for `100 Continue` (curl: 1 s, Go's `ExpectContinueTimeout`
commonly 1 s, .NET 350 ms) and then sends the body anyway. An initiator written with
that habit passes test_client_put.py, whose responder accepts after 0.3 s; a responder
checking the inbox on a slow disk, or a busy one, takes longer, and the DATA that then
arrives before its `RSFL` is a frame not allowed in its state (FRM-6), a put refused
`exists` whose bytes were sent anyway, or a put the responder never agreed to.

The suite's responder reads the `PUTF`, records everything the client sends for
`_HOLD` seconds, then accepts and stores honestly (test_client_put.py's responder). Judged
as test_client_put.py judges an honest put (nothing before the answer, the file sent
exactly, success), on both profiles: the put is the application layer's, the same over
sft-pki/1 and sft-eke/1 (`client_put_cmd`; embedded: the reference's `sft put` and
`sft eke put`).

Fixtures (conformance/plugin.py): `target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import Event, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_HOLD = 4.0  # seconds between the client's PUTF and the responder's acceptance


class _Replay:
    """`channel` whose next `recv_frame` returns `first` (already read) once."""

    def __init__(self, channel: Channel, first: Event) -> None:
        self._channel = channel
        self._first: Event | None = first

    def recv_frame(self, *args: Any, **kwargs: Any) -> Event:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._channel.recv_frame(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


def _serve_slowly(
    channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str
) -> None:
    first = channel.recv_frame(deadline_after(puts.READ_TIMEOUT))
    if isinstance(first, ReceivedFrame) and first.type == b"PUTF":
        # Whatever the client sends while the responder thinks it over is early.
        puts._drain(channel, seen, seen.early, _HOLD)
    puts._serve_put(_Replay(channel, first), seen, answer, name)


@pytest.mark.req("APP-PUT-1")
def test_initiator_put_waits_for_a_slow_acceptance(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    content = puts._content(3000)
    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(), content, serve=_serve_slowly
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    problems = [
        (rid, text.replace(f"waited {puts.EARLY_WAIT} s", f"waited {_HOLD:g} s"))
        for rid, text in problems
    ]
    if not problems and not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-1",
                f"the responder accepted after {_HOLD:g} s and stored the put, yet the "
                f"client reported failure ({put.run.describe()})",
            )
        )
    puts._fail(put, problems, f"a put whose acceptance comes {_HOLD:g} s after its PUTF")
