"""The share as a file system the responder does not own (docs/SPEC.md §3.3, §2).

An organisation's share changes under a running responder: files are rewritten,
truncated or appended to while they are served, and other programs leave special files
(a FIFO, a Unix socket) in it. When the target declares its `share` on the suite's own
host (the embedded reference does), these cases change it and judge what the peer sees:

* a FIFO or a socket in the share is a non-regular file: `not_found` [APP-GET-2] (the
  case also accepts `forbidden`) — not a get that hangs (a FIFO opened blocking waits
  for a writer forever), not a 0-byte file, not a fatal `internal` or a silent close;
* a file truncated or appended to while it is served: whatever the responder does, what
  it sends stays consistent: exactly RSFL.size bytes and a DONE carrying their size and
  SHA-256 [APP-GET-2], never more DATA than announced [APP-GET-4]; ending the transfer
  (a fatal EROR, a close) is fine, and its EROR holds no stack trace [ERR-6];
* a file rewritten in place with the same size and modification time: DONE carries the
  SHA-256 of the bytes sent, not a digest remembered from an earlier get [APP-GET-2].

How the modification meets a get in progress: the case fixes a small receive buffer on
its socket and asks for a file larger than the buffers of both ends (when the target's
max file size allows: 16 MiB), or pipelines gets of a smaller file, so that the
responder is stalled in a write while the file is changed; then it reads everything.
Where exactly the responder stalls decides only whether a bug shows, never whether a
correct responder passes: every answer is judged by what the SPEC allows whatever the
timing. (With a max file size of a few MiB, as the embedded reference's, the stall on
Linux loopback tends to fall between two gets and such bugs stay unseen.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, get_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    deadline_after,
)

_MiB = 1024 * 1024
# More than the socket buffers of both ends hold on loopback (see the module docstring).
_PIPELINE_BYTES = 12 * _MiB
_MAX_GETS = 24
_TRIALS = 5
_BIG = 16 * _MiB  # above both ends' socket buffers on loopback
_NON_FATAL = frozenset({"not_found", "forbidden", "too_large"})
# A stack trace in an EROR message: Python's header or its frame lines, a Java/Go/Rust
# panic or a C++ backtrace.
_TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"
    r"\n\s+at [\w.$<>]+\(|goroutine \d+ \[|panicked at|stack backtrace:",
)


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip(
            "the target declares no share on this host the suite can write to (`share`)"
        )
    return share


@contextlib.contextmanager
def _share_file(share: Path, content: bytes, suffix: str = ".bin") -> Iterator[Path]:
    path = share / f"sft-conformance-{secrets.token_hex(6)}{suffix}"
    try:
        path.write_bytes(content)
    except OSError as exc:
        pytest.skip(f"cannot write into the declared share: {exc}")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


# -- special files ------------------------------------------------------------------------
def _unblock_fifo(path: Path) -> None:
    """A responder thread blocked opening the FIFO for reading is released by a writer."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@contextlib.contextmanager
def _special_file(share: Path, kind: str) -> Iterator[str]:
    name = f"sft-conformance-{kind}-{secrets.token_hex(4)}.txt"
    path = share / name
    if kind == "fifo":
        try:
            os.mkfifo(path, 0o644)
        except OSError as exc:
            pytest.skip(f"cannot make a FIFO in the declared share: {exc}")
        try:
            yield name
        finally:
            _unblock_fifo(path)
            path.unlink(missing_ok=True)
        return
    # A Unix socket's path must fit sun_path (108 bytes): bind through a short symbolic
    # link to the share (the socket is created in the share itself).
    short = Path(tempfile.mkdtemp(prefix="sft-"))
    link = short / "s"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        link.symlink_to(share, target_is_directory=True)
        sock.bind(str(link / name))
        sock.listen(1)
    except OSError as exc:
        sock.close()
        link.unlink(missing_ok=True)
        short.rmdir()
        pytest.skip(f"cannot bind a Unix socket in the declared share: {exc}")
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            pytest.skip("the socket did not appear in the declared share")
        yield name
    finally:
        sock.close()
        path.unlink(missing_ok=True)
        link.unlink(missing_ok=True)
        short.rmdir()


@pytest.mark.req("APP-GET-2")
@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_special_file_in_the_share_is_refused_without_ending_the_connection(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A FIFO or a Unix socket that another program left in the share is a non-regular
    file: never served, refused promptly and without ending the connection. A FIFO
    opened for reading without O_NONBLOCK blocks until a writer comes (the get never
    answers); a socket cannot be opened at all (ENXIO), which is no reason for a fatal
    error. APP-GET-2 says `not_found`; `forbidden` (an open error taken for a refused
    name) is accepted here too: what the case judges is a hang, a fatal answer, a close,
    or the file served."""
    share = _share(target)
    with _special_file(share, kind) as name:
        channel = app_channel()
        get_file(channel, name, also=[ExpectError("not_found", "forbidden")], served=False)
        # Non-fatal: the connection serves the next request.
        get_file(
            channel,
            f"sft-conformance-no-such-{secrets.token_hex(4)}",
            also=[ExpectError("not_found")],
            served=False,
        )


# -- files changing while served ----------------------------------------------------------
@dataclass
class _Answers:
    """What the pipelined gets brought, judged as it came."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # every EROR message received
    transfers: int = 0  # gets answered with RSFL
    ended: str = ""  # how the connection ended, if it did

    def note(self, requirement: str, text: str) -> None:
        self.problems.setdefault(requirement, []).append(text)


def _read_answers(
    channel: Channel, gets: int, budget: float, first: ReceivedFrame
) -> _Answers:
    """Reads the answers to `gets` pipelined RQFL (`first`: the first frame, already
    received); stops at a fatal EROR or the end of the connection."""
    answers = _Answers()
    deadline = deadline_after(budget)
    pending: list[ReceivedFrame] = [first]
    for index in range(gets):
        event = pending.pop() if pending else channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            answers.ended = f"before answer {index + 1}: {event.describe()}"
            return answers
        if event.type == b"EROR":
            answers.errors.append(str((event.json() or {}).get("message", "")))
            if event.error_name in _NON_FATAL:
                continue
            answers.ended = f"answer {index + 1}: {event.describe()}"
            return answers
        if event.type != b"RSFL":
            answers.note("APP-GET-2", f"answer {index + 1}: {event.describe()}, not RSFL/EROR")
            return answers
        answers.transfers += 1
        size = (event.json() or {}).get("size")
        if type(size) is not int:
            answers.note("APP-GET-2", f"answer {index + 1}: RSFL without integer size")
            return answers
        digest = hashlib.sha256()
        received = 0
        while True:
            frame = channel.recv_frame(deadline)
            if not isinstance(frame, ReceivedFrame):
                answers.ended = (
                    f"inside answer {index + 1} after {received} of {size} bytes: "
                    f"{frame.describe()}"
                )
                return answers
            if frame.type == b"DATA":
                received += len(frame.payload)
                digest.update(frame.payload)
                if received > size:
                    answers.note(
                        "APP-GET-4",
                        f"answer {index + 1}: RSFL size={size}, then {received} bytes of DATA "
                        "(the file grew while it was served; the responder sent the growth)",
                    )
                    return answers
                continue
            if frame.type == b"EROR":
                answers.errors.append(str((frame.json() or {}).get("message", "")))
                answers.ended = f"inside answer {index + 1}: {frame.describe()}"
                return answers
            if frame.type != b"DONE":
                answers.note("APP-GET-2", f"answer {index + 1}: {frame.describe()} in a get")
                return answers
            done = frame.json() or {}
            wrong = []
            if received != size:
                wrong.append(f"{received} bytes of DATA after RSFL size={size}")
            if done.get("size") != received:
                wrong.append(f"DONE.size={done.get('size')!r} after {received} bytes")
            if done.get("sha256") != digest.hexdigest():
                wrong.append(
                    f"DONE.sha256={done.get('sha256')!r}, the bytes sent hash to "
                    f"{digest.hexdigest()}"
                )
            if wrong:
                answers.note("APP-GET-2", f"answer {index + 1}: " + "; ".join(wrong))
                return answers
            break
    return answers


def _changed_while_served(
    target: Target,
    app_channel: AppChannel,
    headroom: int,
    change: Callable[[Path], None],
) -> list[_Answers]:
    """Trials of: pipeline gets of a fresh file, `change` it while the responder is
    stalled writing them, read every answer. Each trial has another file size, so that
    the place where the responder stalls (which the buffers decide) falls at another
    point of a file: inside its first 1 MiB chunk, typically."""
    share = _share(target)
    trials: list[_Answers] = []
    for size in _sizes(target, headroom):
        gets = min(_MAX_GETS, -(-_PIPELINE_BYTES // size))
        with _share_file(share, secrets.token_bytes(size)) as path:
            channel = app_channel()
            _receive_buffer(channel, 256 * 1024)
            for _ in range(gets):
                if not channel.send_frame("RQFL", {"name": path.name}):
                    break
            first = channel.recv_frame(deadline_after(channel.timeout))
            if not isinstance(first, ReceivedFrame) or first.type != b"RSFL":
                desc = first.describe()
                raise ConformanceFailure(
                    f"APP-GET-2: a get of {path.name!r} ({size} bytes, in the share): {desc}",
                    violates=("APP-GET-2",),
                )
            # The responder now fills the socket buffers and stalls in a write within a
            # few milliseconds; the change meets a get in progress whatever the timing is
            # only more or less likely (never a different verdict for a correct target),
            # and stays far inside the idle timeout (LIM-10) before we read again.
            time.sleep(min(0.2, target.limits.idle_timeout / 8))
            change(path)
            budget = channel.timeout + gets * size / (4 * _MiB)
            answers = _read_answers(channel, gets, budget, first)
            trials.append(answers)
            channel.close()
            if answers.problems or any(_TRACE.search(m) for m in answers.errors):
                break
    return trials


def _receive_buffer(channel: Channel, size: int) -> None:
    """Sets (and so fixes: no autotuning, whose maximum, tcp_rmem, may be 32 MiB) the
    receive buffer of the suite's socket, so that the pending gets do not all fit in the
    buffers and the responder stalls in a write. Still several loopback MSS (64 KiB):
    below that the window opens by less than one segment and frames crawl."""
    sock = getattr(channel, "sock", None) or getattr(getattr(channel, "raw", None), "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def _truncate(path: Path) -> None:
    os.truncate(path, 0)


def _append(extra: int) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        with path.open("ab") as f:
            f.write(secrets.token_bytes(extra))

    return change


def _sizes(target: Target, headroom: int) -> list[int]:
    """The file size of each trial. Above the buffers (a few MiB) when the target's max
    file size allows: the responder then surely stalls inside the file. Else a little
    above 1 MiB (two DATA chunks) in several sizes, so that the stall point, which the
    buffers decide, may fall inside a file (on Linux loopback it tends to fall between
    two gets: such a trial shows nothing, and never fails a correct responder)."""
    most = target.limits.max_file_size - headroom
    if most >= _BIG:
        return [_BIG, _BIG - 3 * _MiB][:_TRIALS]
    if most < 64 * 1024:
        pytest.skip("the target's max file size leaves no room for a multi-chunk file")
    return [min(most, _MiB * tenths // 10) for tenths in (15, 16, 14, 18, 17)][:_TRIALS]


@pytest.mark.req("APP-GET-2", "ERR-6")
def test_file_truncated_while_served_never_ends_in_an_inconsistent_done(
    target: Target, app_channel: AppChannel
) -> None:
    """The file is truncated to 0 bytes while a get of it is in progress. The responder
    announced RSFL.size: it either sends that many bytes and their DONE (it read the file
    before), or ends the transfer (a fatal EROR or a close) — never a DONE after fewer
    bytes, never a DONE whose size or SHA-256 is not that of the bytes sent. Its EROR, if
    any, says what happened without a stack trace [ERR-6]."""
    trials = _changed_while_served(target, app_channel, 0, _truncate)
    for number, answers in enumerate(trials, 1):
        for problem in answers.problems.get("APP-GET-2", []):
            raise ConformanceFailure.evidence(
                f"APP-GET-2: trial {number}: pipelined gets of a file truncated to 0 bytes "
                "while the responder was serving it",
                "each answer: RSFL + exactly RSFL.size bytes + DONE of those bytes, or a "
                "non-fatal EROR, or the transfer ended (fatal EROR or close)",
                problem,
            )
        for message in answers.errors:
            if _TRACE.search(message):
                raise ConformanceFailure(
                    f"ERR-6: trial {number}: a get of a file truncated while served was "
                    f"answered with a stack trace in the EROR message: {message[:400]!r}",
                    violates=("ERR-6",),
                )


@pytest.mark.req("APP-GET-4", "APP-GET-2")
def test_file_appended_to_while_served_sends_no_more_than_announced(
    target: Target, app_channel: AppChannel
) -> None:
    """Bytes are appended to the file while a get of it is in progress. The responder
    announced RSFL.size: it sends exactly that many bytes (reading the file up to its size,
    not to its end) or ends the transfer — never the growth beyond RSFL.size."""
    extra = 256 * 1024
    trials = _changed_while_served(target, app_channel, extra, _append(extra))
    for number, answers in enumerate(trials, 1):
        for requirement in ("APP-GET-4", "APP-GET-2"):
            for problem in answers.problems.get(requirement, []):
                raise ConformanceFailure(
                    f"{requirement}: trial {number}: pipelined gets of a file appended to "
                    f"({extra} bytes) while the responder was serving it: {problem}",
                    violates=(requirement,),
                )


@pytest.mark.req("APP-GET-2")
def test_file_rewritten_in_place_gets_the_digest_of_its_new_bytes(
    target: Target, app_channel: AppChannel
) -> None:
    """A file rewritten with other bytes of the same size, its modification time put back
    (as `cp -p`, `rsync -t` or a restore from backup do): DONE.sha256 is the SHA-256 of
    the bytes sent this time, never a digest kept from an earlier get of that name, size
    and time."""
    share = _share(target)
    size = min(64 * 1024, target.limits.max_file_size)
    if size < 1:
        pytest.skip("the target's max file size is 0")
    with _share_file(share, secrets.token_bytes(size)) as path:
        before = os.stat(path)
        channel = app_channel()
        get_file(channel, path.name)
        path.write_bytes(secrets.token_bytes(size))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        get_file(channel, path.name)  # FAILs APP-GET-2 on an inconsistent DONE


# -- the share changing between two requests of one connection (B36, s10) ---------------------
# A responder that runs for weeks sees its share change between the requests of one
# long-lived connection. One that remembers an answer per connection (or per process) —
# a "not found" cache, a listing taken at the first request — keeps answering from the
# past: a file copied in afterwards stays `not_found` on the connection that asked first,
# one removed afterwards is still announced. APP-GET-2: a get of a regular file of the
# share MUST be answered RSFL and its bytes; a name that names no file `not_found`.


@pytest.mark.req("APP-GET-2")
def test_file_that_appears_in_the_share_is_served_on_the_connection_that_missed_it(
    target: Target, app_channel: AppChannel
) -> None:
    """Get of a missing name (`not_found`), then the file is written into the share, then
    the same name again on the same connection, and on a new one: served, its bytes."""
    share = _share(target)
    content = secrets.token_bytes(min(4096, max(1, target.limits.max_file_size)))
    name = f"sft-conformance-late-{secrets.token_hex(6)}.bin"
    path = share / name
    channel = app_channel()
    # Not served (served=False fails otherwise): the name names no file yet.
    get_file(channel, name, also=[ExpectError("not_found")], served=False)
    try:
        try:
            path.write_bytes(content)
        except OSError as exc:
            pytest.skip(f"cannot write into the declared share: {exc}")
        for which, conn in (("the same connection", channel), ("a new connection", None)):
            used = conn if conn is not None else app_channel()
            result = get_file(used, name, also=[ExpectError("not_found")])
            if result.refused is not None or result.data != content:
                shown = (
                    result.refused.describe()
                    if result.refused is not None
                    else f"{len(result.data)} bytes, not the file's {len(content)}"
                )
                raise ConformanceFailure.evidence(
                    f"APP-GET-2: RQFL {name!r} on {which}, after a get of it on the first "
                    f"connection was answered not_found and the file ({len(content)} "
                    "bytes) was then written into the share",
                    "RSFL and the file's bytes: the share is read at each request, not "
                    "remembered from an earlier answer",
                    shown,
                )
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.req("APP-GET-2")
def test_file_removed_from_the_share_is_not_found_on_the_connection_that_got_it(
    target: Target, app_channel: AppChannel
) -> None:
    """Get of a file (served), then the file is removed from the share, then the same
    name again on the same connection: `not_found`, never the bytes of a removed file."""
    share = _share(target)
    content = secrets.token_bytes(min(4096, max(1, target.limits.max_file_size)))
    with _share_file(share, content) as path:
        channel = app_channel()
        get_file(channel, path.name)
        path.unlink()
        late = get_file(channel, path.name, also=[ExpectError("not_found")])
        if late.refused is None:
            raise ConformanceFailure.evidence(
                f"APP-GET-2: RQFL {path.name!r} again on the connection that got it, after "
                "the file was removed from the share",
                "EROR not_found: the name names no file of the share any more",
                f"served ({len(late.data)} bytes)",
            )
