"""An sft-eke/1 CLIENT's put of a file larger than one DATA frame: it waits for the answer
to PUTF, and every DATA frame it sends holds 1 to 1 048 576 bytes (SPEC APP-PUT-1, FRM-13).

The put cases of test_client_put.py and test_eke_client_put_answer_waits.py send files of
a few KiB: one DATA frame. What a client does only past one frame is seen here, with a
file of 2 MiB + 3 bytes (three DATA frames at least):

* [APP-PUT-1] The initiator MUST NOT send DATA before it has read the responder's answer.
  A client that "warms the pipe" for a large file (its first MiB right behind PUTF, as a
  TCP-fast-open or HTTP/2 habit would have it) while a small file waits as it should
  passes every small-file case. The suite's responder takes 1 s to answer and records what
  comes meanwhile: nothing may.
* [FRM-13] A `DATA` payload is 1 to 1 048 576 bytes, whatever the frame or record limit:
  a client that sizes its chunks by the frame limit less the record overhead (1 MiB + 232
  bytes with the default limit) sends frames an honest responder refuses. Every DATA frame
  is checked (a sender's frames: FRM-14), and the bytes and the DONE must be the file's.

After the answer (acceptance) the put must succeed: the responder stores it and answers
DONE. The variant where the slow answer is `exists` is `slow`: nothing may come at all.
The client is launched from `client_put_cmd` (embedded run: the reference's `sft eke put`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import MAX_DATA_PAYLOAD, error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_THINK = 1.0  # the responder's think time before it answers PUTF
_BIG = 2 * MAX_DATA_PAYLOAD + 3  # three DATA frames at least, the last one short


def _slow_answer(refuse: str | None) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        # What comes before the answer is recorded (bounded observation window).
        puts._drain(channel, seen, seen.early, _THINK)
        if seen.ended:
            return
        if refuse is not None:
            channel.send_frame("EROR", error_payload(refuse, "suite: refused"))
            seen.answered = f"EROR {refuse} after {_THINK:g} s"
            puts._watch_after_refusal(channel, seen)
            return
        channel.send_frame("RSFL", puts._accept(offered))
        seen.answered = f"RSFL accept after {_THINK:g} s"
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        channel.send_frame("DONE", {"size": count, "sha256": digest})
        seen.answered += "; DONE"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-1", "FRM-13")
@pytest.mark.parametrize(
    "refuse",
    [None, pytest.param("exists", marks=pytest.mark.slow)],
    ids=["accepted", "refused-exists"],
)
def test_client_put_of_several_frames_waits_and_frames_its_data(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    refuse: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """A put of 2 MiB + 3 bytes, answered after 1 s: no DATA before the answer; after an
    acceptance, DATA frames of 1..1 MiB carrying the file, its DONE, and success; after
    `exists`, no DATA or DONE and a failure."""
    skip_slow_variant(request)
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_BIG),
        serve=_slow_answer(refuse),
    )
    problems: puts.Problems = []
    early = [f for f in put.seen.early if f.type in (b"DATA", b"DONE")]
    if early:
        problems.append(
            (
                "APP-PUT-1",
                f"sent {[f.describe(40) for f in early[:3]]} while the responder had not "
                f"answered PUTF yet (a file of {_BIG} bytes; it answered after {_THINK:g} s)",
            )
        )
    data = [f for f in put.seen.early + put.seen.sending if f.type == b"DATA"]
    bad = [len(f.payload) for f in data if not 1 <= len(f.payload) <= MAX_DATA_PAYLOAD]
    if bad:
        problems.append(
            (
                "FRM-13",
                f"DATA frames of {bad[:4]} bytes in a put of {_BIG} bytes (a DATA payload "
                f"is 1..{MAX_DATA_PAYLOAD} bytes, whatever the frame limit)",
            )
        )
    if refuse is None and not early and not bad:
        if put.seen.putf is None:
            problems.append(("APP-PUT-1", f"no PUTF came ({put.describe()})"))
        else:
            puts._judge_sent_file(put, problems)
            if not put.run.succeeded:
                problems.append(
                    (
                        "APP-PUT-1",
                        f"the put was accepted (after {_THINK:g} s) and stored, yet the "
                        f"client reported failure ({put.run.describe()}: "
                        f"{put.run.stderr.strip()[-200:]})",
                    )
                )
    elif refuse is not None:
        sent = [f.describe(40) for f in put.seen.after if f.type in (b"DATA", b"DONE")]
        if sent or put.run.succeeded:
            problems.append(
                (
                    "APP-PUT-1",
                    f"after the refusal the client sent {sent or 'nothing'} and "
                    f"{put.run.success_evidence() if put.run.succeeded else 'failed'}",
                )
            )
    puts._fail(put, problems, f"a put of {_BIG} bytes answered after {_THINK:g} s")
