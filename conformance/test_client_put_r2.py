"""An INITIATOR's put answered `EROR exists` in place of the responder's `DONE` (SPEC
§3.4 APP-PUT-8, APP-PUT-10). Could move into test_client_put.py.

APP-PUT-8 lets a responder accept a put and, when another put of that name was stored
first, answer `exists` instead of its `DONE`. `exists` is a non-fatal code, and a client
may read it as "the file is there": success. APP-PUT-10 says otherwise: only the
responder's `DONE` makes a put succeed; an `EROR` in its place is a failure. The
responder here accepts, reads the whole file and the client's `DONE`, answers `EROR
exists` and keeps the connection (non-fatal, ERR-3): the client must report failure.

The machinery (the suite's responder on both profiles, the verdict on what the client
sent) is test_client_put.py's; only the answer to DONE is this file's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as put_cases
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import error_payload

pytestmark = [pytest.mark.side("initiator")]

_UNANSWERED = "; no answer to DONE"


def _serve_put_then_exists(
    channel: Channel, seen: put_cases.PutSeen, answer: put_cases.Answer, name: str
) -> None:
    """The honest acceptance of test_client_put.py's responder; its DONE replaced by a
    non-fatal `EROR exists`, after which it watches what the client still sends."""
    _ORIGINAL_SERVE(channel, seen, put_cases.Answer(final="close"), name)
    if not seen.answered.endswith(_UNANSWERED):
        return  # the put never reached its DONE: judged as test_client_put.py does
    channel.send_frame("EROR", error_payload("exists", "suite: stored by another put first"))
    seen.answered = seen.answered[: -len(_UNANSWERED)] + "; EROR exists in place of DONE"
    seen.ended = ""
    put_cases._drain(channel, seen, seen.after, put_cases.AFTER_WAIT)


_ORIGINAL_SERVE = put_cases._serve_put


@pytest.mark.req("APP-PUT-10", "APP-PUT-4", "APP-BYE-1")
def test_initiator_put_reports_exists_in_place_of_done_as_failure(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Accepted, sent in full with its DONE, then answered `EROR exists` (non-fatal)
    instead of `DONE`: the client must report the put failed, never success."""
    monkeypatch.setattr(put_cases, "_serve_put", _serve_put_then_exists)
    put = put_cases._run_put(
        target, tmp_path, transcripts, put_cases.Answer(), put_cases._content(5000)
    )
    problems: put_cases.Problems = []
    put_cases._judge_common(put, problems)
    put_cases._judge_sent_file(put, problems)
    if "EROR exists in place of DONE" in put.seen.answered and (
        put.run.succeeded or put.run.timed_out
    ):
        problems.append(
            (
                "APP-PUT-10",
                "the responder answered the client's DONE with EROR exists (another put of "
                f"the name was stored first, APP-PUT-8), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    put_cases._fail(put, problems, "a put answered EROR exists in place of DONE")
