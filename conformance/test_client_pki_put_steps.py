"""sft-pki/1 INITIATOR as a sender: its file changing under it, and frames out of place
while it waits for the receipt (docs/SPEC.md APP-PUT-4, FRM-6).

The client under test puts a file (the target's `client_put_cmd`; the embedded run uses
the reference's `sft put`) to the suite's responder:

- [APP-PUT-4] between the client's PUTF and the responder's acceptance the suite changes
  the local file: it cuts it to a third, or appends a third more. "After RSFL{accept},
  the initiator MUST send exactly `size` bytes in DATA frames, then DONE {size,
  sha256}": whatever it does about the change (send what it read before, fail and
  close, send an EROR), it never sends more than the announced size, and a DONE it
  sends follows exactly `size` bytes and carries the announced size and their SHA-256. A
  sender that trusts the end of the file — a short read is the end, a longer file is
  read to its end — sends a DONE for other bytes than it announced;
- [FRM-6] the responder answers the client's DONE with a frame its state does not allow
  first — a second RSFL {accept}, a DATA frame, an RQFL — and only then with the right
  DONE. The client answers the first with EROR `unexpected_frame` and fails the put; one
  that waits for "the" DONE and skips the rest reports a put whose receipt came out of
  order as stored.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    AFTER_WAIT,
    MAX_FRAMES,
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _accept,
    _content,
    _drain,
    _next,
    _run_put,
)
from conformance.wire import ConformanceFailure, control, error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 300 * 1024  # several reads of the file, less than one DATA frame of 1 MiB
_CHANGES = {"cut-to-a-third": SIZE // 3, "grown-by-a-third": SIZE + SIZE // 3}


def _source_of(workdir: Path) -> Path:
    """The local file `_run_put` wrote for the client (workdir/src-*/outgoing.bin)."""
    found = sorted(workdir.glob("src-*/outgoing.bin"))
    if len(found) != 1:
        raise RuntimeError(f"harness: expected one source file under {workdir}, found {found}")
    return found[0]


def _receive(channel: Channel, seen: PutSeen) -> tuple[int, str, dict[str, object] | None]:
    """DATA until DONE (or anything else, or the end): bytes, their SHA-256, the DONE."""
    digest = hashlib.sha256()
    count = 0
    for _ in range(MAX_FRAMES):
        frame = _next(channel, seen, READ_TIMEOUT)
        if frame is None:
            break
        seen.sending.append(frame)
        if frame.type == b"DATA":
            digest.update(frame.payload)
            count += len(frame.payload)
            continue
        if frame.type == b"DONE":
            done = frame.json()
            return count, digest.hexdigest(), done if isinstance(done, dict) else {}
        break
    return count, digest.hexdigest(), None


@pytest.mark.req("APP-PUT-4")
@pytest.mark.parametrize("change", sorted(_CHANGES))
def test_initiator_put_sends_what_it_announced_when_its_file_changes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, change: str
) -> None:
    new_size = _CHANGES[change]
    got: dict[str, object] = {}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        offered = seen.putf or {}
        source = _source_of(tmp_path)
        if new_size < SIZE:
            with source.open("r+b") as f:
                f.truncate(new_size)
        else:
            with source.open("ab") as f:
                f.write(_content(new_size)[SIZE:])
        channel.send_frame("RSFL", _accept(str(offered.get("name", name))))
        seen.answered = "RSFL {accept} (after the file was changed)"
        count, digest, done = _receive(channel, seen)
        got.update(count=count, digest=digest, done=done)
        consistent = {"size": count, "sha256": digest}
        said = {k: done.get(k) for k in consistent} if done is not None else None
        if offered.get("size") == count and said == consistent:  # extra members: FRM-10
            channel.send_frame("DONE", control({"size": count, "sha256": digest}))
            seen.answered += "; DONE"
        elif done is not None:
            channel.send_frame("EROR", error_payload("integrity_failed", "suite: integrity"))
            seen.answered += "; EROR integrity_failed"
            return
        _drain(channel, seen, seen.after, AFTER_WAIT)

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(SIZE), serve=serve)
    offered = (put.seen.putf or {}).get("size")
    count, done = got.get("count"), got.get("done")
    problems = []
    if offered != SIZE:
        problems.append(f"PUTF announced {offered!r} bytes for a file of {SIZE} bytes")
    if isinstance(count, int) and isinstance(offered, int) and count > offered:
        problems.append(f"sent {count} bytes of DATA after announcing {offered}")
    if isinstance(done, dict):
        right = {"size": offered, "sha256": got.get("digest")}
        if count != offered or {k: done.get(k) for k in right} != right:
            problems.append(
                f"sent a DONE {done} after {count} bytes of DATA; PUTF announced {offered} "
                "bytes (a DONE follows exactly the announced size, with their SHA-256)"
            )
    if problems:
        raise ConformanceFailure(
            f"APP-PUT-4: a put of {SIZE} bytes whose local file was {change} "
            f"({new_size} bytes) after its PUTF, before the acceptance\n"
            "Expected: exactly the announced size in DATA, then a DONE for those bytes — or "
            "a failed put without a DONE\n"
            f"Actual:   {'; '.join(problems)}\nNote: {put.describe()}",
            violates=("APP-PUT-4",),
        )


_STRAY = {
    "second-rsfl-accept": ("RSFL", None),
    "data": ("DATA", b"stray bytes after the client's DONE"),
    "rqfl": ("RQFL", control({"name": "from-the-responder.txt"})),
}


@pytest.mark.req("FRM-6")
@pytest.mark.parametrize("stray", sorted(_STRAY))
def test_initiator_put_refuses_a_frame_out_of_place_before_its_receipt(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, stray: str
) -> None:
    frame_type, payload = _STRAY[stray]
    got: dict[str, object] = {}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        offered_name = str((seen.putf or {}).get("name", name))
        channel.send_frame("RSFL", _accept(offered_name))
        count, digest, done = _receive(channel, seen)
        if done is None:
            got["no_done"] = True
            return
        channel.send_frame(frame_type, payload if payload is not None else _accept(offered_name))
        channel.send_frame("DONE", control({"size": count, "sha256": digest}))
        seen.answered = f"RSFL {{accept}}; {frame_type} ({stray}) then the right DONE"
        reaction = _next(channel, seen, READ_TIMEOUT)
        for _ in range(4):  # a BYE_ the client pipelined behind its DONE (APP-2) is no answer
            if reaction is None or reaction.type != b"BYE_":
                break
            seen.after.append(reaction)
            reaction = _next(channel, seen, READ_TIMEOUT)
        got["reaction"] = reaction.describe(80) if reaction is not None else None
        got["code"] = reaction.error_name if reaction is not None else None
        if reaction is not None:
            seen.after.append(reaction)
            _drain(channel, seen, seen.after, AFTER_WAIT)

    content = _content(5000)
    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    if got.get("no_done"):
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    problems = []
    if got.get("code") != "unexpected_frame":
        problems.append(f"its answer to the {frame_type}: {got.get('reaction') or 'nothing'}")
    if put.run.succeeded:
        problems.append("it reported the put as stored (exit code 0)")
    if problems:
        raise ConformanceFailure(
            f"FRM-6: after the client's DONE the responder sent {frame_type} ({stray}), a "
            "frame not allowed while the client waits for its receipt, then the right DONE\n"
            "Expected: EROR unexpected_frame (fatal) and a failed put\n"
            f"Actual:   {'; '.join(problems)}\nNote: {put.describe()}",
            violates=("FRM-6",),
        )
