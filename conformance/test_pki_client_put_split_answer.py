"""APP-PUT-1 at an sft-pki/1 INITIATOR: the answer to `PUTF` is read whole before any DATA.

APP-PUT-1: "The initiator MUST NOT send `DATA` before it has read that answer" —
`RSFL {"accept": true, "name": stored}` or a non-fatal `EROR`. An answer is read when all
of its frame is: FRM-7, "a receiver MUST NOT act on a control frame before all of them
[the announced bytes] have arrived". test_client_put.py and test_pki_client_put_slow_
accept.py hold the whole answer back; an initiator whose reader dispatches on the frame
type ("an RSFL means accepted", a writer started as soon as the 8-byte header says
`RSFL`), or on a JSON prefix ("`{"accept":true` is enough"), passes both, and sends its
file into a connection whose answer it has not read: the acceptance may name another
stored name, or not be an acceptance at all (APP-PUT-9).

The suite's responder reads the `PUTF`, writes the first bytes of its honest acceptance —
`header`: the 8-byte header alone; `all-but-last-byte`: the header and the payload less
its closing `}` — then records everything the client sends for `_HOLD` seconds, then the
rest of the frame, and stores the put honestly. Judged as test_client_put.py judges an
honest put: nothing before the answer, the file sent exactly, success.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import header_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_HOLD = 2.0  # seconds between the first bytes of the acceptance and the rest


class _SplitAcceptance:
    """`channel` whose first RSFL goes out in two writes, `_HOLD` seconds apart, recording
    what the client sends in between as early."""

    def __init__(self, channel: Channel, seen: puts.PutSeen, cut: str) -> None:
        self._channel = channel
        self._seen = seen
        self._cut = cut
        self._split = False

    def send_frame(self, frame_type: bytes | str, payload: Any = b"") -> bool:
        kind = frame_type.encode() if isinstance(frame_type, str) else frame_type
        if kind != b"RSFL" or self._split or not isinstance(payload, bytes):
            return self._channel.send_frame(frame_type, payload)
        self._split = True
        wire = header_bytes("RSFL", len(payload)) + payload
        at = 8 if self._cut == "header" else len(wire) - 1
        if not self._channel.send_raw(wire[:at]):
            return False
        puts._drain(self._channel, self._seen, self._seen.early, _HOLD)
        return self._channel.send_raw(wire[at:])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


def _serve_split(cut: str) -> Any:
    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        puts._serve_put(_SplitAcceptance(channel, seen, cut), seen, answer, name)

    return serve


@pytest.mark.req("APP-PUT-1")
@pytest.mark.parametrize("cut", ["header", "all-but-last-byte"])
def test_pki_initiator_put_reads_the_whole_acceptance_before_data(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, cut: str
) -> None:
    content = puts._content(3000)
    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(), content, serve=_serve_split(cut)
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    problems = [
        (
            rid,
            text.replace(
                f"waited {puts.EARLY_WAIT} s before accepting",
                f"the acceptance's {cut} sent, the rest {_HOLD:g} s later",
            ),
        )
        for rid, text in problems
    ]
    if not problems and not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-1",
                f"the responder accepted (its RSFL completed after {_HOLD:g} s) and stored "
                f"the put, yet the client reported failure ({put.run.describe()})",
            )
        )
    puts._fail(put, problems, f"a put whose acceptance arrives split ({cut}, then the rest)")
