"""An sft-eke/1 CLIENT's put does only what it offered: a responder's answer cannot turn it
into a resumed upload or a put that was "already stored" (SPEC APP-PUT-4, FRM-10,
APP-PUT-10, FRM-6).

Two features a client may have been written for, that sft does not have and that a
responder can make it use:

* [APP-PUT-4, FRM-10] a resume: the acceptance carries members §3.1 does not define —
  `{"accept": true, "name": …, "offset": K, "size": K, "resume": true}`, the responder
  "already holding" the first K bytes. FRM-10: a receiver MUST ignore members the schema
  does not define; APP-PUT-4: after RSFL{accept} the initiator MUST send exactly `size`
  bytes — the whole file, from its first byte — then `DONE`. A client that skips K bytes
  (and counts them in its DONE) sends another file.
* [APP-PUT-10, FRM-6] deduplication: the responder answers the PUTF with a `DONE`
  carrying the file's own size and SHA-256 ("I have this content already"). DONE is not
  allowed in that state (§3.2: after PUTF the initiator awaits `RSFL|EROR`): the client
  answers `EROR unexpected_frame` (or `bad_frame`, as a client that parses the answer
  with RSFL{accept}'s schema does), sends no DATA and reports the put failed — it was
  never accepted, let alone stored. A client that checks the DONE against its file and
  takes a match as success reports a put no responder stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ReceivedFrame, control, deadline_after, error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 5000
_ANSWER_WITHIN = 3.0
_OWED = ("unexpected_frame", "bad_frame")


def _serve_resume_offer(offset: int) -> puts.Serve:
    """An acceptance with resume members; then the client's DATA and DONE are read, and
    the DONE answered as an honest responder would (DONE when they are the offer's)."""

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        puts._drain(channel, seen, seen.early, puts.EARLY_WAIT)  # APP-PUT-1: nothing yet
        if seen.ended:
            return
        rsfl = {"accept": True, "name": offered, "offset": offset, "size": offset}
        rsfl["resume"] = True
        channel.send_frame("RSFL", control(rsfl))
        seen.answered = f"RSFL {rsfl}"
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        right = {"size": count, "sha256": digest}
        done = seen.sending[-1].json()
        if puts._done_says(done, right) and (seen.putf or {}).get("size") == count:
            channel.send_frame("DONE", right)
            seen.answered += "; DONE"
        else:
            channel.send_frame("EROR", error_payload("integrity_failed", "suite: integrity"))
            seen.answered += "; EROR integrity_failed"
            return
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-4", "FRM-10")
@pytest.mark.parametrize(
    "offset", [_SIZE // 2, pytest.param(_SIZE, marks=pytest.mark.slow)], ids=["half", "all"]
)
def test_client_put_sends_its_whole_file_whatever_the_acceptance_adds(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    offset: int,
    request: pytest.FixtureRequest,
) -> None:
    """The acceptance carries `offset`/`size` = K and `resume: true` (K half the file, or
    all of it): the client ignores them and sends its whole file, then the right DONE."""
    skip_slow_variant(request)
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=_serve_resume_offer(offset),
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    puts._fail(
        put,
        problems,
        f"APP-PUT-4: a put accepted with extra members offset = size = {offset}, resume = true "
        "(FRM-10: ignored)",
    )


@pytest.mark.req("APP-PUT-10", "FRM-6")
@pytest.mark.parametrize(
    "size", [_SIZE, pytest.param(0, marks=pytest.mark.slow)], ids=["file", "empty-file"]
)
def test_client_put_takes_no_receipt_in_place_of_the_acceptance(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    size: int,
    request: pytest.FixtureRequest,
) -> None:
    """The PUTF answered by `DONE {size, sha256}` of the very file offered: the client
    answers EROR unexpected_frame (or bad_frame), sends no DATA or DONE, and reports the
    put failed (non-zero exit)."""
    skip_slow_variant(request)
    content = puts._content(size)
    box: dict[str, object] = {}

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        receipt = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        channel.send_frame("DONE", receipt)
        seen.answered = f"DONE {receipt} (the file's own values) in place of RSFL accept"
        box["sent"] = True
        event = channel.recv_frame(deadline_after(_ANSWER_WITHIN))
        box["answer"] = event
        if isinstance(event, ReceivedFrame):
            seen.after.append(event)
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
        else:
            seen.ended = event.describe()

    put = puts._run_put(eke_target, tmp_path, transcripts, puts.Answer(), content, serve=serve)
    if "sent" not in box:
        raise RuntimeError(f"the suite's responder did not get to its answer: {put.describe()}")
    problems: puts.Problems = []
    if put.run.succeeded or put.run.timed_out:
        problems.append(("APP-PUT-10", f"the client {put.run.success_evidence()}"))
    sent = [f.describe(40) for f in put.seen.early + put.seen.after if f.type in (b"DATA", b"DONE")]
    if sent:
        problems.append(("APP-PUT-10", f"it sent {sent[:3]} for a put never accepted"))
    answer = box.get("answer")
    if not (isinstance(answer, ReceivedFrame) and answer.error_name in _OWED):
        shown = answer.describe(80) if hasattr(answer, "describe") else str(answer)
        problems.append(("FRM-6", f"its answer to the DONE was {shown}, not EROR unexpected_frame"))
    puts._fail(
        put,
        problems,
        f"APP-PUT-10: a PUTF of {size} bytes answered by a DONE with the file's own size and "
        "SHA-256 (no acceptance)",
    )
