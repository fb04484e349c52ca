"""An sft-eke/1 CLIENT's put waits for the responder's answers, however slow, and a
malformed `EROR` in place of an answer ends the put (SPEC APP-PUT-1, ERR-8).

* [APP-PUT-1] The responder answers PUTF before any DATA is sent. The suite's responder
  takes 2.5 s to answer (a slow disk, a busy quota check) and records what the client
  sends meanwhile: nothing may come. A client that waits a little for the answer and
  then sends its file anyway (HTTP's `Expect: 100-continue` with curl's 1 s timer; the
  shorter 0.3 s the put cases of test_client_put.py wait does not show a 1 s timer) has
  sent DATA before the answer; when the slow answer is a refusal (`exists`), the bytes
  went to a responder that never accepted them. Then the honest answer: acceptance (the
  put must succeed) or `exists` (it must fail, and no DATA ever comes).
* [ERR-8] A malformed `EROR` (no `code`; a `code` that is a string, a fraction, negative;
  a payload that is not an object) still ends the connection: the client MAY answer it
  `bad_frame` or close, and MUST NOT process any further frame. The suite sends one in
  place of the put's answers — before the receipt DONE (every byte and the client's
  DONE read) and before the acceptance — with the honest answer right behind it in the
  same write. A client that skips it as noise reports the put stored, or sends its DATA.
  (On the get's path, and during the login, other cases check it.)

The client is launched from `client_put_cmd` (embedded run: the reference's `sft eke put`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ReceivedFrame, deadline_after, error_payload, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SLOW_ANSWER = 2.5  # the responder's think time before it answers PUTF
_PUT_SIZE = 3000
_ANSWER_WITHIN = 3.0


# ------------------------------------------------------------- APP-PUT-1: a slow answer


def _slow_answer(refuse: str | None) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        puts._drain(channel, seen, seen.early, _SLOW_ANSWER)
        if seen.ended or seen.early:
            seen.ended = seen.ended or "the responder stopped: frames came before its answer"
            return
        if refuse is not None:
            channel.send_frame("EROR", error_payload(refuse, "suite: refused"))
            seen.answered = f"EROR {refuse} after {_SLOW_ANSWER:g} s"
            puts._watch_after_refusal(channel, seen)
            return
        channel.send_frame("RSFL", puts._accept(offered))
        seen.answered = f"RSFL accept after {_SLOW_ANSWER:g} s"
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        channel.send_frame("DONE", {"size": count, "sha256": digest})
        seen.answered += "; DONE"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-1")
@pytest.mark.parametrize(
    "refuse",
    [None, pytest.param("exists", marks=pytest.mark.slow)],
    ids=["slow-acceptance", "slow-refusal"],
)
def test_client_put_waits_for_a_slow_answer(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    refuse: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """The responder answers PUTF after 2.5 s: nothing before the answer; then the put
    succeeds (acceptance) or fails sending nothing (`exists`)."""
    skip_slow_variant(request)
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_PUT_SIZE),
        serve=_slow_answer(refuse),
    )
    problems: puts.Problems = []
    early = [f.describe(40) for f in put.seen.early]
    if early:
        problems.append(
            (
                "APP-PUT-1",
                f"sent {early[:3]} while the responder had not answered PUTF yet (it "
                f"answered after {_SLOW_ANSWER:g} s)",
            )
        )
    elif refuse is None and not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-1",
                f"the put was accepted (late) and stored, yet the client reported failure "
                f"({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
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
    puts._fail(put, problems, f"APP-PUT-1: a responder that answers PUTF after {_SLOW_ANSWER:g} s")


# ------------------------------------------------- ERR-8: a malformed EROR in the put


def _bad_eror(kind: str) -> bytes:
    body: Any = {
        "no-code": {"name": "internal", "message": "suite"},
        "code-string": {"code": "8", "name": "integrity_failed", "message": "suite"},
        "code-fraction": {"code": 8.5, "name": "integrity_failed", "message": "suite"},
        "code-negative": {"code": -8, "name": "integrity_failed", "message": "suite"},
        "not-an-object": ["integrity_failed"],
    }[kind]
    return frame_bytes("EROR", json.dumps(body).encode())


_ERRORS = {
    "no-code": False,
    "code-string": True,
    "code-fraction": True,
    "code-negative": True,
    "not-an-object": True,
}


def _malformed_answer(kind: str, where: str, box: dict[str, object]) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        if where == "acceptance":
            channel.send_raw(_bad_eror(kind))
            channel.send_frame("RSFL", puts._accept(offered))
            seen.answered = f"a malformed EROR ({kind}), then RSFL accept"
        else:
            channel.send_frame("RSFL", puts._accept(offered))
            seen.answered = "RSFL accept"
            got = puts.read_put_data(channel, seen)
            if got is None:
                return
            count, digest = got
            channel.send_raw(_bad_eror(kind))
            channel.send_frame("DONE", {"size": count, "sha256": digest})
            seen.answered += f"; a malformed EROR ({kind}), then the honest receipt DONE"
        box["sent"] = True
        event = channel.recv_frame(deadline_after(_ANSWER_WITHIN))
        box["reaction"] = event
        if isinstance(event, ReceivedFrame):
            seen.after.append(event)
            puts._drain(channel, seen, seen.after, _ANSWER_WITHIN)
        else:
            seen.ended = event.describe()

    return serve


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize(
    ("kind", "where"),
    [
        pytest.param(
            kind, where, id=f"{kind}-{where}", marks=[pytest.mark.slow] if slow else []
        )
        for where in ("receipt", "acceptance")
        for kind, slow in _ERRORS.items()
    ],
)
def test_client_put_ends_at_a_malformed_error(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    where: str,
    request: pytest.FixtureRequest,
) -> None:
    """A malformed EROR in place of the put's {where}, the honest answer right behind it:
    the client does not go on (no DATA after it, the put not reported stored); if it
    answers, it answers EROR bad_frame."""
    skip_slow_variant(request)
    box: dict[str, object] = {}
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_PUT_SIZE),
        serve=_malformed_answer(kind, where, box),
    )
    if "sent" not in box:
        if not put.seen.sending and where == "receipt":
            return  # the client never reached its DONE: judged by test_client_put.py
        raise RuntimeError(f"the suite's responder did not get to its EROR: {put.describe()}")
    problems: puts.Problems = []
    if put.run.succeeded or put.run.timed_out:
        problems.append(("ERR-8", f"the client {put.run.success_evidence()}"))
    went_on = [f.describe(40) for f in put.seen.after if f.type in (b"DATA", b"DONE", b"PUTF")]
    if went_on:
        problems.append(("ERR-8", f"after the malformed EROR the client sent {went_on[:3]}"))
    reaction = box.get("reaction")
    if isinstance(reaction, ReceivedFrame) and reaction.type == b"EROR":
        if reaction.error_name != "bad_frame":
            problems.append(
                ("ERR-8", f"it answered {reaction.describe(80)}, not EROR bad_frame (FRM-9)")
            )
    puts._fail(put, problems, f"ERR-8: a malformed EROR ({kind}) in place of the put's {where}")


__all__: list[str] = []
