"""sft-pki/1 INITIATOR and members that name a FEATURE it never asked for: file
permissions, times, an encoding in a get's RSFL and DONE, a resume offset in a put's
RSFL {accept} (docs/SPEC.md FRM-10, APP-PUT-4).

"A receiver MUST ignore members of a control object that the schema does not define
(extensibility)." The other FRM-10 cases send members of no meaning to anyone (`x-extra`)
or of another frame's schema; an initiator that implements a feature of its own through
an extension member — "preserve the sender's mode and mtime" (scp -p), "the sender
compressed it", "resume: the receiver holds the first n bytes" — passes them, and then
acts on such a member whenever a responder sends one, although it never offered the
feature and the SPEC defines none. The suite plays the responder:

- a get whose RSFL and DONE also carry `mode` / `permissions` / `perm` (set-uid, world
  writable, executable), `mtime` / `atime` / `modified` (1970) and `encoding` /
  `content_encoding` / `compression` (gzip): the file MUST be kept byte for byte (exit 0),
  with no set-uid, set-gid, sticky or execute bit and a modification time of the run —
  what the initiator would have made without the members;
- a put whose RSFL {accept} also carries `offset` / `resume_from` / `start` / `range`
  naming half the file (slow run: the whole file): the initiator MUST still send exactly the
  announced `size` bytes, then the right DONE (APP-PUT-4), and report the stored put a
  success.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.channel import Channel
from conformance.eke_hostile import skip_slow_variant
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
_CLOCK_SLACK = 2.0  # file-system timestamp granularity and clock reads, seconds

# What an initiator's own feature might read from a get's RSFL and DONE: one get carries
# them all (a client honouring any of them changes the file's mode, its time or its bytes).
_GET_FEATURES: dict[str, Any] = {
    "mode": 0o4777,
    "permissions": "rwsrwxrwx",
    "perm": "4777",
    "mtime": 86400,
    "atime": 86400,
    "modified": "1970-01-02T00:00:00Z",
    "encoding": "gzip",
    "content_encoding": "gzip",
    "compression": "zlib",
}


def _get_lie(members: dict[str, Any]) -> pki_lies.Lie:
    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST, **members}))
        r.data(CONTENT)
        r.frame("DONE", control({"size": SIZE, "sha256": DIGEST, **members}))
        r.await_reaction()

    return lie


@pytest.mark.req("FRM-10")
def test_pki_initiator_get_ignores_members_naming_a_feature(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    members = _GET_FEATURES
    started = time.time()
    got = pki_lies._run_lie(target, tmp_path, transcripts, _get_lie(members))
    run = got.run
    problems = []
    if not run.succeeded:
        problems.append(f"exit code {run.returncode} (the honest get was not reported done)")
    kept = run.out.read_bytes() if run.kept_file else None
    if kept != CONTENT:
        problems.append(
            "no file kept" if kept is None else f"kept {len(kept)} bytes, not the {SIZE} sent"
        )
    else:
        info = run.out.stat()
        special = stat.S_IMODE(info.st_mode) & 0o7111
        if special:
            problems.append(
                f"the saved file has mode {stat.S_IMODE(info.st_mode):o}: set-uid, set-gid, "
                "sticky or execute bits a received file never gets by itself"
            )
        if info.st_mtime < started - _CLOCK_SLACK:
            problems.append(
                f"the saved file's modification time is {time.ctime(info.st_mtime)}, before "
                f"the run started ({time.ctime(started)})"
            )
    left = leftovers(run)
    if left:
        problems.append(f"left files {left} in the output directory")
    if problems:
        failure = ConformanceFailure.evidence(
            f"FRM-10: an honest get of {SIZE} bytes whose RSFL and DONE also carry "
            f"{control(members).decode()} (permissions, times, an encoding: members no "
            "schema defines)",
            "the members ignored: exit code 0, the file kept byte for byte, made as without "
            "them (no mode or time taken from the responder)",
            "; ".join(problems),
            note=got.describe(),
        )
        failure.violates = ("FRM-10",)
        raise failure


_RESUME_AT = {"half": SIZE // 2, "whole": SIZE}


@pytest.mark.req("FRM-10", "APP-PUT-4")
@pytest.mark.parametrize("offset", ["half", pytest.param("whole", marks=pytest.mark.slow)])
def test_pki_initiator_put_ignores_a_resume_offset_in_the_acceptance(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    offset: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    content = _content(SIZE)
    digest = hashlib.sha256(content).hexdigest()
    at = _RESUME_AT[offset]
    extra = {"offset": at, "resume_from": at, "start": at, "range": f"bytes={at}-"}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        offered = str((seen.putf or {}).get("name", name))
        rsfl = control({"accept": True, "name": offered, **extra})
        channel.send_frame("RSFL", rsfl)
        seen.answered = f"RSFL {rsfl.decode()}"
        count, got_digest, done = _receive(channel, seen)
        right = {"size": count, "sha256": got_digest}
        said = {k: done.get(k) for k in right} if done is not None else None
        if said == right and count == len(content) and got_digest == digest:
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
        raise ConformanceFailure(
            f"FRM-10: a put of {SIZE} bytes accepted by RSFL {{accept, name}} that also carries "
            f"{control(extra).decode()} (a resume offset: no schema defines these members)\n"
            f"Expected: the members ignored: all {SIZE} bytes sent, DONE, exit code 0\n"
            "Actual:   "
            + "; ".join(f"[{rid}] {text}" for rid, text in problems)
            + f"\nNote: {put.describe()}",
            violates=tuple(sorted({"FRM-10", *(rid for rid, _ in problems)})),
        )
