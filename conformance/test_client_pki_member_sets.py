"""sft-pki/1 INITIATOR and the members of the frames it reads: a required one missing, and
members that belong to ANOTHER frame's schema (docs/SPEC.md FRM-9, FRM-10).

The suite plays the responder:

- [FRM-9] a get answered with the right bytes but a frame missing a member its schema
  requires: a DONE without `size`, a DONE without `sha256`, an RSFL without `size`. The
  frame is malformed: `EROR bad_frame`, a failed get, nothing kept. ("The digest is
  there, the size is what arrived" keeps the file; so does "no size: read until DONE".)
- [FRM-10] an honest get whose RSFL or DONE also carries members that the schema of
  another frame defines — `accept` (a put's RSFL), `code`, `retry_after`, `message`
  (EROR), `name` on a DONE — and an honest put whose RSFL {accept} also carries `size`
  and `sha256` (a get's RSFL). "A receiver MUST ignore members of a control object that
  the schema does not define": the get is kept, the put is sent and reported stored. A
  client that tells RSFL's two forms (or an EROR) apart by which members are present,
  instead of by the request it made, fails an honest transfer.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_put_steps import _receive
from conformance.test_client_put import (
    AFTER_WAIT,
    READ_TIMEOUT,
    Answer,
    Problems,
    PutSeen,
    _content,
    _drain,
    _judge_common,
    _judge_sent_file,
    _next,
    _run_put,
)
from conformance.wire import ConformanceFailure, control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

NAME, SIZE, DIGEST, CONTENT = pki_lies.NAME, pki_lies.SIZE, pki_lies.DIGEST, pki_lies.CONTENT


def _with(rsfl: dict[str, Any], done: dict[str, Any]) -> pki_lies.Lie:
    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("RSFL", control(rsfl))
        r.data(CONTENT)
        r.frame("DONE", control(done))
        r.await_reaction()

    return lie


_RSFL: dict[str, Any] = {"name": NAME, "size": SIZE, "sha256": DIGEST}
_DONE: dict[str, Any] = {"size": SIZE, "sha256": DIGEST}

_MISSING: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "done-without-size": (_RSFL, {"sha256": DIGEST}),
    "done-without-sha256": (_RSFL, {"size": SIZE}),
    "rsfl-without-size": ({"name": NAME, "sha256": DIGEST}, _DONE),
}


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize("missing", sorted(_MISSING))
def test_pki_initiator_refuses_a_frame_missing_a_required_member(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, missing: str
) -> None:
    rsfl, done = _MISSING[missing]
    got = pki_lies._run_lie(target, tmp_path, transcripts, _with(rsfl, done))
    what = (
        f"FRM-9: an honest get's bytes framed by RSFL {control(rsfl).decode()} and DONE "
        f"{control(done).decode()} ({missing}: a member the schema requires is missing)"
    )
    # A DONE without size or sha256 also fails APP-GET-3's check (the bytes cannot equal
    # what is not announced): FRM-16 lets the initiator answer either code.
    owed = "bad_frame|integrity_failed" if missing.startswith("done-") else "bad_frame"
    pki_lies._judge_failed_get(got, what, owed, ("FRM-9",))


_FOREIGN: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "rsfl-with-accept": ({**_RSFL, "accept": True}, _DONE),
    "rsfl-with-eror-members": ({**_RSFL, "code": 6, "retry_after": 1, "message": "x"}, _DONE),
    "done-with-accept-and-name": (_RSFL, {**_DONE, "accept": True, "name": NAME}),
    "done-with-code": (_RSFL, {**_DONE, "code": 8, "message": "x"}),
}


@pytest.mark.req("FRM-10")
@pytest.mark.parametrize("foreign", sorted(_FOREIGN))
def test_pki_initiator_ignores_members_of_another_frames_schema(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, foreign: str
) -> None:
    rsfl, done = _FOREIGN[foreign]
    got = pki_lies._run_lie(target, tmp_path, transcripts, _with(rsfl, done))
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    if run.succeeded and kept == CONTENT and not leftovers(run):
        return
    reaction = got.responder.reaction
    failure = ConformanceFailure.evidence(
        f"FRM-10: an honest get of {SIZE} bytes framed by RSFL {control(rsfl).decode()} and "
        f"DONE {control(done).decode()} ({foreign}: members another frame's schema defines)",
        "the members are ignored: exit code 0, the file kept byte for byte",
        f"exit code {run.returncode}, "
        + ("no file" if kept is None else f"{len(kept)} bytes")
        + f"; its answer: {reaction.describe() if reaction is not None else '-'}",
        note=got.describe(),
    )
    failure.violates = ("FRM-10",)
    raise failure


@pytest.mark.req("FRM-10")
def test_pki_initiator_put_ignores_get_members_in_the_acceptance(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    content = _content(5000)
    digest = hashlib.sha256(content).hexdigest()

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        offered = str((seen.putf or {}).get("name", name))
        rsfl = control({"accept": True, "name": offered, "size": len(content), "sha256": digest})
        channel.send_frame("RSFL", rsfl)
        seen.answered = f"RSFL {rsfl.decode()}"
        count, got_digest, done = _receive(channel, seen)
        right = {"size": count, "sha256": got_digest}
        said = {k: done.get(k) for k in right} if done is not None else None
        if said == right and count == len(content):
            channel.send_frame("DONE", control(right))
            seen.answered += "; DONE"
        _drain(channel, seen, seen.after, AFTER_WAIT)

    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if not put.run.succeeded:
        problems.append(("FRM-10", "the client reported the put as failed"))
    if problems:
        # Every departure from the honest put here follows the acceptance's extra members.
        raise ConformanceFailure(
            "FRM-10: a put accepted by RSFL {accept, name} that also carries `size` and "
            "`sha256` (members of a get's RSFL, not of this one's schema)\n"
            "Expected: the members ignored: the file sent exactly, DONE, exit code 0\n"
            "Actual:   "
            + "; ".join(f"[{rid}] {text}" for rid, text in problems)
            + f"\nNote: {put.describe()}",
            violates=("FRM-10",),
        )
