"""An sft-eke/1 CLIENT's put of a source file that shrinks under it, and a put repeated.

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`); it owns
the local file the client sends, so between the client's PUTF and its acceptance it can
change it, as another program on the client's machine could:

* [APP-PUT-4] the file shrinks to half its size: the client can no longer send `size`
  bytes, so it MUST NOT end the put with a DONE (it fails the put, e.g. by closing); a
  client that reads "until end of file" and sends DONE for what it read announces a size
  other than its PUTF's.
  (Not judged: a file rewritten in place with other bytes of the same size. A client
  that hashed it before its PUTF and sends that digest in its DONE makes the responder
  refuse the put, which then fails: no MUST is broken, and eke3 does just that.)
* [APP-PUT-10] the same put (name and size) twice, with other content the second time: the
  second one is a put like any other, reported stored only once the responder has answered
  its DONE. A client that remembers what it sent ("already there: same name, same size")
  and reports success without a PUTF breaks it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_run_put_source import serve_changed

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 3000


@pytest.mark.req("APP-PUT-4")
def test_initiator_put_sends_no_short_done_when_its_source_shrinks(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Between PUTF and its acceptance the source is truncated to half its size.
    [APP-PUT-4] After the acceptance the client owes exactly `size` bytes, then DONE: it
    can no longer send them, so it fails the put (e.g. closes) and sends no DONE; a DONE
    it sends announces the PUTF's size and the bytes it sent."""
    box: dict[str, Any] = {}
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=serve_changed(tmp_path, "shrunk", box),
    )
    problems: puts.Problems = []
    done = box.get("done")
    offered = (put.seen.putf or {}).get("size")
    if done is not None:
        if done.get("size") != offered:
            problems.append(
                ("APP-PUT-4", f"its DONE announces size {done.get('size')!r}, its PUTF {offered!r}")
            )
        if done.get("size") != box.get("count") or done.get("sha256") != box.get("sha256"):
            problems.append(
                (
                    "APP-PUT-4",
                    f"its DONE {done!r} does not describe the {box.get('count')} DATA bytes "
                    f"it sent (SHA-256 {box.get('sha256')})",
                )
            )
    puts._fail(put, problems, "a put whose source shrank to half its size after PUTF")


def _serve_recording(box: dict[str, Any]) -> puts.Serve:
    """The default responder, noting that a PUTF came; a client that ends without one is
    noted too (so that the run is judged, not an error of the harness)."""

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        puts._serve_put(channel, seen, answer, name)
        if seen.putf is None and not seen.putf_raw:
            box["no_putf"] = True
            seen.putf_raw = "(none: the client ended its connection without a PUTF)"

    return serve


@pytest.mark.req("APP-PUT-10")
def test_initiator_put_repeated_is_sent_again(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client puts a file under a fresh name, then (a new run) other content of the
    same size under the same name. [APP-PUT-10] The second put is offered, sent and
    acknowledged like the first; reported success without a PUTF breaks it."""
    name = f"repeat-{secrets.token_hex(4)}.bin"
    runs = []
    for index, content in enumerate([puts._content(_SIZE), puts._content(_SIZE)[::-1]]):
        workdir = tmp_path / f"run-{index}"
        workdir.mkdir()
        box: dict[str, Any] = {}
        put = puts._run_put(
            eke_target,
            workdir,
            transcripts,
            puts.Answer(),
            content,
            serve=_serve_recording(box),
            name=name,
        )
        runs.append((put, box))
    put, box = runs[1]
    if box.get("no_putf") and (put.run.succeeded or put.run.timed_out):
        puts._fail(
            put,
            [
                (
                    "APP-PUT-10",
                    "the second put of the name (same size, other content) sent no PUTF, "
                    f"yet the client {put.run.success_evidence()}",
                )
            ],
            "the same put (name and size) a second time",
        )
