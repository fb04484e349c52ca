"""What an sft-eke/1 CLIENT's get leaves on disk, and the answers it must not take.

The suite is the server (it knows the password); the machinery is test_eke_client_transfer.py's
lying server. Each case looks at the end of the get, where the other files stop looking:

* [APP-GET-3, APP-STORE-2] an honest get in many DATA frames of unequal sizes (1 byte
  up to 64 KiB, no two alike): the file kept is the verified stream byte for byte, and
  the directory holds it alone. A client that writes each payload at its offset within
  its frame (the digest, taken of the stream, still agrees), or that links its temporary
  to the final name and never unlinks it, fails here; gets of one frame hide both.
* [APP-STORE-3, APP-GET-6] after RSFL and part of the data, something appears at the
  output name (a file, an empty file, a dangling symbolic link, a directory); the rest
  and an honest DONE follow. The client must fail, leave that entry as it is, and remove
  its temporary: the failure comes at the commit, the last step, whose own error path is
  the one a client forgets to clean up after.
* [EKE-REC-4] the record that completes the get — DONE — fails to authenticate (a bit of
  its tag flipped, its ciphertext intact; or a bit of its ciphertext): nothing is kept.
  A client that decrypts a record before its tag is checked, and reports the bad tag
  only at the next record, has already committed the file.
* [EKE-REC-5] a record whose 8-byte header does not say `RECD` (`RECX`, `recd`, `RSFL`,
  `DATA`) though its body and tag are the right record's, sealed over the header `RECD
  ‖ length`: it is not a record. A reader that skips the type and builds the associated
  data from constants opens it.
* [APP-BYE-2] a complete, verified get, after which the server ends the connection without
  echoing BYE_ (a FIN right after its DONE; a FIN, or a reset, when the client's BYE_
  comes): exit code 0 and the file. The echo is a MAY (APP-BYE-1).
* [FRM-8] an RSFL, or a DONE, whose payload is more than 65 536 bytes but fewer than
  65 536 characters (a padding member of `é` or `€`, which FRM-10 would ignore): the
  control limit is in bytes; `frame_too_large`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance.eke_hostile import skip_slow_variant
from conformance.lying_get import OUT_NAME, PARTIAL_PREFIX, USERS_FILE
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = eke_lies.NAME
CONTENT = eke_lies.CONTENT
SIZE = eke_lies.SIZE
DIGEST = eke_lies.DIGEST
Lie = eke_lies.Lie
LyingServer = eke_lies.LyingServer

# Variants the default run leaves out (each costs a client run; `-m slow` runs them):
# one of each kind stays in the default run.
_SLOW = frozenset(
    {
        "empty-file",
        "directory",
        "done-record-ciphertext-flipped",
        "rsfl-record-typed-recx",
        "rsfl-record-typed-rsfl",
        "done-record-typed-lower-recd",
        "rsfl-over-64kib-of-euro",
        "done-over-64kib-of-e-acute",
        "close-at-bye",
    }
)

# ---------------------------------------------------------------- many frames, one file

# Payload sizes of the honest get: none alike, small and large, odd and even, so that a
# payload written at a wrong offset cannot land where it belongs by chance.
_FRAME_SIZES = (1, 7, 1000, 4096, 3, 65_536, 17, 2500)
_BODY = hashlib.shake_256(b"sft many frames").digest(sum(_FRAME_SIZES))


def _many_frames(s: LyingServer) -> None:
    digest = hashlib.sha256(_BODY).hexdigest()
    s.frame("RSFL", control({"name": NAME, "size": len(_BODY), "sha256": digest}))
    offset = 0
    for size in _FRAME_SIZES:
        s.frame("DATA", _BODY[offset : offset + size])
        offset += size
    s.frame("DONE", control({"size": len(_BODY), "sha256": digest}))


@pytest.mark.req("APP-GET-3", "APP-STORE-2")
def test_client_keeps_a_get_of_many_frames_byte_for_byte_and_alone(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest get in DATA frames of the sizes `_FRAME_SIZES`: exit 0, the file under
    its final name is the stream the DONE verified, and no other name is left beside it
    (the rename of APP-STORE-2 leaves the temporary's name gone)."""
    case, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _many_frames)
    result = case.result
    kept = result.out.read_bytes() if result.kept_file else None
    problems: list[tuple[str, str]] = []
    if result.returncode is None or not result.succeeded:
        problems.append(("APP-GET-3", f"the get was not reported done ({result.describe()})"))
    if kept is not None and kept != _BODY:
        first = next(
            (i for i, (a, b) in enumerate(zip(kept, _BODY, strict=False)) if a != b),
            min(len(kept), len(_BODY)),
        )
        problems.append(
            (
                "APP-GET-3",
                f"the file kept ({len(kept)} bytes) is not the {len(_BODY)} bytes verified "
                f"(first difference at byte {first})",
            )
        )
    if kept is None and result.succeeded:
        problems.append(("APP-GET-3", "no file under the final name"))
    if case.leftovers:
        problems.append(("APP-STORE-2", f"other names left beside it: {case.leftovers}"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"an honest get of {len(_BODY)} bytes in {len(_FRAME_SIZES)} DATA frames of "
            f"sizes {list(_FRAME_SIZES)}",
            "exit code 0, the file byte for byte, and no other file in the directory",
            "; ".join(text for _, text in problems),
            note=case.describe(),
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure


# ---------------------------------------------------------------- the commit fails


def _make_entry(kind: str, out: Path, elsewhere: Path) -> Callable[[], str]:
    """Creates `kind` at `out`; returns a function telling what became of it."""
    if kind == "file":
        out.write_bytes(USERS_FILE)
        return lambda: "intact" if out.is_file() and out.read_bytes() == USERS_FILE else "changed"
    if kind == "empty-file":
        out.write_bytes(b"")
        return lambda: (
            "intact"
            if out.is_file() and not out.is_symlink() and not out.stat().st_size
            else "changed"
        )
    if kind == "dangling-symlink":
        os.symlink(elsewhere, out)
        return lambda: (
            "intact"
            if out.is_symlink() and os.readlink(out) == str(elsewhere) and not elsewhere.exists()
            else "changed (or written through)"
        )
    out.mkdir()  # "directory"
    return lambda: "intact" if out.is_dir() and not any(out.iterdir()) else "changed"


_APPEARS = ("file", "empty-file", "dangling-symlink", "directory")


def _appears_before_done(kind: str, box: dict[str, Callable[[], str]]) -> Lie:
    def lie(s: LyingServer) -> None:
        s.rsfl(sha256=DIGEST)
        half = SIZE // 2
        s.data(CONTENT[:half])
        # The client holds a temporary by now (it has data to keep); another program
        # takes the output name.
        out = s.outdir / OUT_NAME
        box["state"] = _make_entry(kind, out, s.outdir.parent / "not-here" / "target.bin")
        s.data(CONTENT[half:])
        s.done()
        s.await_reaction()

    return lie


@pytest.mark.req("APP-STORE-3", "APP-GET-6")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _APPEARS],
)
def test_client_cleans_up_when_the_commit_finds_the_name_taken(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """[APP-STORE-3] A `kind` appears at the output name in the middle of the data; the
    rest and an honest DONE follow. The client fails (it must not replace the entry nor
    write through it, APP-GET-6), leaves the entry as it is, and removes its temporary:
    no `.sft-partial-*` is left in the directory."""
    skip_slow_variant(request)
    box: dict[str, Callable[[], str]] = {}
    case, _server = eke_lies._run_lie(
        eke_target, tmp_path, transcripts, _appears_before_done(kind, box)
    )
    if "state" not in box:
        raise RuntimeError(f"the lie did not run to the middle of the data\n{case.describe()}")
    problems: list[tuple[str, str]] = []
    state = box["state"]()
    if state != "intact":
        problems.append(("APP-GET-6", f"the {kind} at the output name was {state}"))
    if case.result.returncode is None:
        problems.append(("APP-GET-6", "the client did not end"))
    elif case.result.succeeded and case.result.success == "exit":
        problems.append(("APP-GET-6", "it reported success (exit code 0)"))
    temporaries = [n for n in case.leftovers if n.startswith(PARTIAL_PREFIX)]
    others = [n for n in case.leftovers if not n.startswith(PARTIAL_PREFIX)]
    if temporaries or others:
        problems.append(("APP-STORE-3", f"left in the output directory: {temporaries + others}"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"a {kind.replace('-', ' ')} appeared at the output name after half the data, "
            "before an honest DONE",
            "the get fails, the entry is left as it is, and the client's temporary is removed",
            "; ".join(text for _, text in problems),
            note=case.describe(),
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure


# ---------------------------------------------------------------- the last record


def _flip(record: bytes, index: int) -> bytes:
    return record[:index] + bytes([record[index] ^ 0x01]) + record[index + 1 :]


def _done_record_broken(where: str) -> Lie:
    def lie(s: LyingServer) -> None:
        s.rsfl(sha256=DIGEST)
        s.data(CONTENT)
        last = s.sealed(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})))
        # The tag is the last 16 bytes; the ciphertext's first byte follows the header.
        s.raw(_flip(last, len(last) - 1 if where == "tag" else 8))
        s.await_reaction()

    return lie


def _retyped(record_type: bytes, which: str) -> Lie:
    """The `which` record (RSFL or DONE) sealed as always (its AD `RECD ‖ length`), sent
    with `record_type` in place of `RECD` in its header."""

    def lie(s: LyingServer) -> None:
        rsfl = s.sealed(
            frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST}))
        )
        if which == "RSFL":
            s.raw(record_type + rsfl[4:])
            s.await_reaction()
            return
        s.raw(rsfl)
        s.data(CONTENT)
        done = s.sealed(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})))
        s.raw(record_type + done[4:])
        s.await_reaction()

    return lie


_PAD_CHARS = {"e-acute": "\u00e9", "euro": "\u20ac"}  # 2 and 3 bytes in UTF-8
_CONTROL_LIMIT = 65_536


def _padded(which: str, char: str) -> Lie:
    """RSFL or DONE with a member `pad` of `char`s: above 65 536 bytes, below 65 536
    characters (the whole payload)."""

    def payload(obj: dict[str, object]) -> bytes:
        plain = control({**obj, "pad": ""})
        # Characters so that the bytes pass the limit by a margin, the characters do not.
        count = (_CONTROL_LIMIT - len(plain)) // len(char.encode()) + 40
        body = control({**obj, "pad": char * count})
        assert len(body) > _CONTROL_LIMIT and len(body.decode()) <= _CONTROL_LIMIT
        return body

    def lie(s: LyingServer) -> None:
        rsfl: dict[str, object] = {"name": NAME, "size": SIZE, "sha256": DIGEST}
        s.frame("RSFL", payload(rsfl) if which == "RSFL" else control(rsfl))
        if which == "RSFL":
            s.await_reaction()
            if s.reaction is not None and not isinstance(s.reaction, TimedOut):
                return
        s.data(CONTENT)
        done: dict[str, object] = {"size": SIZE, "sha256": DIGEST}
        s.frame("DONE", payload(done) if which == "DONE" else control(done))
        s.await_reaction()

    return lie


# label: (lie, the EROR owed if the client answers at all, requirement)
_LAST: dict[str, tuple[Lie, str | None, str]] = {
    "done-record-tag-flipped": (_done_record_broken("tag"), None, "EKE-REC-4"),
    "done-record-ciphertext-flipped": (_done_record_broken("ciphertext"), None, "EKE-REC-4"),
    "rsfl-record-typed-recx": (_retyped(b"RECX", "RSFL"), None, "EKE-REC-5"),
    "rsfl-record-typed-rsfl": (_retyped(b"RSFL", "RSFL"), None, "EKE-REC-5"),
    "done-record-typed-lower-recd": (_retyped(b"recd", "DONE"), None, "EKE-REC-5"),
    "done-record-typed-data": (_retyped(b"DATA", "DONE"), None, "EKE-REC-5"),
    **{
        f"{which.lower()}-over-64kib-of-{label}": (
            _padded(which, char),
            "frame_too_large",
            "FRM-8",
        )
        for which in ("RSFL", "DONE")
        for label, char in _PAD_CHARS.items()
    },
}


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(
            label,
            marks=[pytest.mark.req(requirement), *([pytest.mark.slow] if label in _SLOW else [])],
            id=label,
        )
        for label, (_lie, _owed, requirement) in _LAST.items()
    ],
)
def test_client_fails_a_get_at_its_last_step(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The lie of `label` (module docstring): the get fails (non-zero exit, nothing under
    the final name, no temporary), and an EROR, if the client sends one, is sealed and
    carries the code the rule names."""
    skip_slow_variant(request)
    lie, owed, requirement = _LAST[label]
    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        case,
        f"{requirement}: {label.replace('-', ' ')}",
        owed=owed if owed is None or _answered(server) else None,
        server=server,
        own=(requirement,),
    )


def _answered(server: LyingServer) -> bool:
    """Whether the client answered at all: a client may close without an EROR; one it
    sends must carry the owed code."""
    return isinstance(server.reaction, ReceivedFrame)


# ---------------------------------------------------------------- the end of the connection


def _reset(s: LyingServer) -> None:
    """Close with a TCP reset (SO_LINGER 0), whatever is queued."""
    sock = s.channel.raw.sock
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(sock)
    s.closed = True


def _ending(how: str) -> Lie:
    def lie(s: LyingServer) -> None:
        s.honest()
        if how == "close-after-done":
            s.close()  # a bare FIN right behind the DONE record: no BYE_ awaited
            return
        end = deadline_after(2.0)
        for _ in range(4):  # the client's BYE_ (or anything, or nothing within 2 s)
            event = s.channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame) or event.type == b"BYE_":
                break
        if how == "reset-at-bye":
            _reset(s)
        else:  # "close-at-bye": a FIN, no BYE_ echo (the echo is a MAY, APP-BYE-1)
            s.close()

    return lie


_ENDINGS = ("close-after-done", "close-at-bye", "reset-at-bye")


@pytest.mark.req("APP-BYE-2")
@pytest.mark.parametrize(
    "how", [pytest.param(h, marks=[pytest.mark.slow] if h in _SLOW else []) for h in _ENDINGS]
)
def test_client_keeps_a_completed_get_however_the_server_ends(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    how: str,
    request: pytest.FixtureRequest,
) -> None:
    """[APP-BYE-2] A complete, verified get; the server then ends the connection without
    echoing BYE_ (a FIN right after its DONE, a FIN or a reset when the client's BYE_
    comes). The completed transfer stands: exit code 0, the file byte for byte, nothing
    else left. A client that waits for the echo and calls its absence a failure exits
    non-zero over a file it has stored."""
    skip_slow_variant(request)
    case, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _ending(how))
    result = case.result
    kept = result.out.read_bytes() if result.kept_file else None
    if result.succeeded and kept == CONTENT and not case.leftovers:
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes"
    if kept is not None and kept != CONTENT:
        shown += " (not the content sent)"
    failure = ConformanceFailure.evidence(
        f"APP-BYE-2: a complete, verified get of {SIZE} bytes; the server then ended the "
        f"connection: {how.replace('-', ' ')} (no BYE_ echo)",
        "the completed transfer stands: exit code 0, the file kept byte for byte",
        f"exit code {result.returncode}, {shown}, other files {case.leftovers}",
        note=case.describe(),
    )
    failure.violates = ("APP-BYE-2",)
    raise failure
