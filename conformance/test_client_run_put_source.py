"""A CLIENT's put as its user runs it: a source that changes under it, the source left as
it was, and the name given on the command line offered as it is.

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`, both
profiles); it owns the local file the client sends, so between the client's PUTF and its
acceptance it can change it, as another program on the client's machine could:

* [APP-PUT-4] the source is rewritten in place (same size, other bytes) or grows: after
  the acceptance the client owes exactly PUTF's `size` bytes, then a DONE carrying that
  size and either the SHA-256 of the bytes it sent or a digest of the source taken before
  sending (APP-PUT-4 allows both: the responder then stores what was sent, or refuses the
  put `integrity_failed`). A client that reads to the end of the file, takes DONE's size
  from the file as it is at the end, or sends a digest of neither, breaks it. A client
  that fails the put instead (it noticed the change) breaks nothing, as long as it does
  not report success.
* [APP-PUT-10] "Sending MUST NOT change the local file being sent": after a stored put and
  after a refused one, the source has its bytes and its mode (the mode a file made the same
  way beside it has): a client that makes it read-only while it sends, and restores the
  mode only after a stored put, breaks it.
* [APP-NAME-3] the name to put, as the user gave it, is used literally: a name that §3.5
  refuses (`./x`, `d//x`, `d/./x`, `x/`) is either refused by the client itself (no PUTF)
  or offered exactly as given, never "cleaned" into another name (PurePosixPath,
  normpath) that the responder would then store.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("client-put")]

_SIZE = 3000


def source_of(workdir: Path) -> Path:
    """The local file `puts._run_put` wrote for this run (one per run directory)."""
    found = sorted(workdir.glob("src-*/outgoing.bin"))
    if len(found) != 1:
        raise RuntimeError(f"suite: expected one source file under {workdir}, found {found}")
    return found[0]


def _change(source: Path, how: str) -> None:
    """What another program does to the source between PUTF and its acceptance."""
    data = source.read_bytes()
    if how == "rewritten":  # same size, every byte another: in place, same inode
        with open(source, "r+b") as f:
            f.write(bytes(b ^ 0x5A for b in data))
    elif how == "grown":
        with open(source, "ab") as f:
            f.write(b"appended after PUTF " * 50)
    elif how == "shrunk":  # to half its size: the client's open descriptor sees it
        os.truncate(source, len(data) // 2)
    else:
        raise ValueError(how)


def serve_changed(workdir: Path, how: str, box: dict[str, Any]) -> puts.Serve:
    """Reads PUTF, changes the source, accepts, reads the client's DATA and DONE and
    answers DONE only to a DONE that describes the DATA and PUTF's size."""

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or "no PUTF"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        _change(source_of(workdir), how)
        channel.send_frame("RSFL", puts._accept(str((seen.putf or {}).get("name", name))))
        seen.answered = f"RSFL accept (after the source was {how})"
        received = hashlib.sha256()
        count = 0
        for _ in range(puts.MAX_FRAMES):
            frame = puts._next(channel, seen, puts.READ_TIMEOUT)
            if frame is None:
                break
            seen.sending.append(frame)
            if frame.type == b"DATA":
                received.update(frame.payload)
                count += len(frame.payload)
            elif frame.type == b"DONE":
                box["done"] = frame.json()
                break
            else:
                break
        box["count"] = count
        box["sha256"] = received.hexdigest()
        if "done" not in box:
            return
        done = box["done"] or {}
        offered = (seen.putf or {}).get("size")
        if done.get("size") == count == offered and done.get("sha256") == box["sha256"]:
            channel.send_frame("DONE", {"size": count, "sha256": box["sha256"]})
            seen.answered += "; DONE (stored)"
        else:
            channel.send_frame(
                "EROR",
                control({"code": 8, "name": "integrity_failed", "message": "suite: mismatch"}),
            )
            seen.answered += "; EROR integrity_failed"
            box["refused"] = True
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-4", "APP-PUT-10")
@pytest.mark.parametrize("how", ["rewritten", "grown"])
def test_initiator_put_done_describes_the_bytes_it_sent_from_a_changed_source(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, how: str
) -> None:
    """Between PUTF and its acceptance the source is rewritten in place (same size) or
    grows. [APP-PUT-4] The client sends PUTF's `size` bytes at most, and a DONE it sends
    carries that size and the SHA-256 of the DATA it sent or of the source as it was at
    PUTF (not a size taken from the file after, nor a digest of anything else). Failing
    the put is allowed; [APP-PUT-10] reporting success without the responder's DONE is
    not."""
    box: dict[str, Any] = {}
    content = puts._content(_SIZE)
    before = hashlib.sha256(content).hexdigest()  # the source as it was at PUTF
    put = puts._run_put(
        target,
        tmp_path,
        transcripts,
        puts.Answer(),
        content,
        serve=serve_changed(tmp_path, how, box),
    )
    problems: puts.Problems = []
    offered = (put.seen.putf or {}).get("size")
    count = box.get("count", 0)
    if isinstance(offered, int) and count > offered:
        problems.append(("APP-PUT-4", f"sent {count} DATA bytes after a PUTF of size {offered}"))
    done = box.get("done")
    if done is not None:
        if done.get("size") != offered:
            problems.append(
                ("APP-PUT-4", f"its DONE announces size {done.get('size')!r}, its PUTF {offered!r}")
            )
        if done.get("size") != count or done.get("sha256") not in (box.get("sha256"), before):
            problems.append(
                (
                    "APP-PUT-4",
                    f"its DONE {done!r} describes neither the {count} DATA bytes it sent "
                    f"(SHA-256 {box.get('sha256')}) nor the source as it was at PUTF "
                    f"(SHA-256 {before})",
                )
            )
    if box.get("refused") and put.run.succeeded:
        problems.append(
            (
                "APP-PUT-10",
                f"the responder refused its DONE (integrity_failed), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put whose source was {how} after PUTF")


def _fresh_mode(directory: Path) -> int:
    """The mode a file made the way `puts._run_put` makes the source gets here."""
    probe = directory / f"probe-{secrets.token_hex(3)}"
    probe.write_bytes(b"x")
    try:
        return stat.S_IMODE(probe.stat().st_mode)
    finally:
        probe.unlink()


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize("outcome", ["stored", "exists"])
def test_initiator_put_leaves_its_source_as_it_was(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, outcome: str
) -> None:
    """A put stored, or refused `exists`. [APP-PUT-10] Afterwards the source holds its
    bytes and has the mode it was made with: sending changes nothing of it (no read-only
    "lock" left behind by a put that did not end stored)."""
    answer = puts.Answer() if outcome == "stored" else puts.Answer(refuse="exists")
    put = puts._run_put(target, tmp_path, transcripts, answer, puts._content(_SIZE))
    problems: puts.Problems = []
    expected = _fresh_mode(put.source.parent)
    if not put.source.is_file():
        problems.append(("APP-PUT-10", "the source is gone"))
    else:
        mode = stat.S_IMODE(os.lstat(put.source).st_mode)
        if mode != expected:
            problems.append(
                (
                    "APP-PUT-10",
                    f"the source's mode is {mode:04o} after the put ({outcome}); it was made "
                    f"{expected:04o}",
                )
            )
        if put.source.read_bytes() != put.content:
            problems.append(("APP-PUT-10", "the source's bytes changed"))
    puts._fail(put, problems, f"the source of a put ({outcome})")


def _serve_refusing_names(box: dict[str, Any]) -> puts.Serve:
    """Records the PUTF (if any) and refuses it `forbidden`, as a responder refuses a name
    §3.5 does not allow; a client that never offers it is noted too (judged, not an error
    of the harness)."""

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        puts._serve_put(channel, seen, puts.Answer(refuse="forbidden"), name)
        if seen.putf is None and not seen.putf_raw:
            box["no_putf"] = True
            seen.putf_raw = "(none: the client refused the name itself)"

    return serve


_NAMES = {
    "dot-first": "./{n}",
    "double-slash": "d//{n}",
    "dot-inside": "d/./{n}",
    "trailing-slash": "{n}/",
}


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("shape", sorted(_NAMES))
def test_initiator_put_never_offers_a_cleaned_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, shape: str
) -> None:
    """The user puts a file as a name §3.5 refuses (`./x`, `d//x`, `d/./x`, `x/`).
    [APP-NAME-3] The client refuses it itself (no PUTF) or offers it literally; a PUTF
    whose name is another (the path "normalised") is a name the user did not give."""
    name = _NAMES[shape].format(n=f"put-{secrets.token_hex(3)}.bin")
    box: dict[str, Any] = {}
    put = puts._run_put(
        target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(500),
        serve=_serve_refusing_names(box),
        name=name,
    )
    problems: puts.Problems = []
    if not box.get("no_putf"):
        offered = (put.seen.putf or {}).get("name")
        if offered != name:
            problems.append(
                (
                    "APP-NAME-3",
                    f"asked to put as {name!r}, the client offered PUTF name {offered!r}",
                )
            )
    puts._fail(put, problems, f"a put as {name!r}")
