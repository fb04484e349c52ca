"""APP-STORE-2 on the responder's disk: the final file IS the temporary, renamed.

APP-STORE-1/2: the receiver writes incoming data to a `.sft-partial-*` temporary in the
destination directory and, only after verification, fsyncs "the file and atomically
rename[s] it to its final name (without replacing an existing file: `link`+`unlink` or
`renameat2(RENAME_NOREPLACE)`)". A rename or a link keeps the file: the final name is
the very inode that was written. A responder that instead COPIES the verified temporary
to the final name (a "move" written to survive EXDEV across devices: Java's
`Files.copy`, Python's `shutil.copyfile`/`shutil.move` fallback, Go's io.Copy into a
file created O_EXCL) passes every check on the contents and on "nothing replaced", yet
its final name exists and grows while the copy runs (a reader or a scanner of the inbox
takes a partial file; a crash mid-copy leaves one: APP-STORE-5), and the temporary it
verified is not what the final name holds.

The case starts a put on the wire, sends its first part, finds in the declared `inbox`
the `.sft-partial-*` file that holds exactly the bytes sent so far (random, so no other
put's), notes its device and inode, finishes the put, and checks that the final name is
that inode. Needs the target's `inbox` on the suite's own host; INCONCLUSIVE when no
temporary with the first bytes shows within a bounded wait (a responder that buffers
them: nothing to compare).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

__all__: list[str] = []

_PREFIX = ".sft-partial-"
_CHUNK = 64 * 1024
_FIRST = 4 * _CHUNK  # sent before the inbox is looked at: more than any write buffer
_PROBE = 4096  # bytes of a temporary compared with what was sent


def _partials(inbox: Path) -> set[str]:
    return {entry.name for entry in os.scandir(inbox) if entry.name.startswith(_PREFIX)}


def _holds(path: Path, head: bytes) -> os.stat_result | None:
    """The stat of `path` when it is a regular file (not followed) starting with `head`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        got = os.pread(fd, len(head), 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    return st if got == head else None


@pytest.mark.req("APP-STORE-2")
def test_the_final_name_is_the_temporary_renamed(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    size = min(2 * _FIRST, target.limits.max_file_size)
    if size <= _FIRST:
        pytest.skip(f"the target's max file size is below the case's {2 * _FIRST} bytes")
    # Half the idle timeout to find the temporary: the put must not be ended for idleness.
    looking = max(0.2, min(2.0, target.limits.idle_timeout / 2))
    name = fresh_name("ops-commit-inode")
    data = secrets.token_bytes(size)
    head = data[:_PROBE]
    before = _partials(inbox)
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} of {size} bytes")
    for start in range(0, _FIRST, _CHUNK):
        channel.send_frame("DATA", data[start : start + _CHUNK])
    found: tuple[str, os.stat_result] | None = None
    deadline = time.monotonic() + looking
    # Bounded: until the temporary shows with the first bytes, or `looking` seconds.
    for _ in range(1000):
        for entry in sorted(_partials(inbox) - before):
            st = _holds(inbox / entry, head)
            if st is not None:
                found = (entry, st)
                break
        if found is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    final = inbox / name
    try:
        for start in range(_FIRST, size, _CHUNK):
            channel.send_frame("DATA", data[start : start + _CHUNK])
        channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(data).hexdigest()})
        answer = channel.expect(
            [ExpectFrame("DONE"), ExpectError(), ExpectClose()], timeout=channel.timeout
        )
        if not answer.ok or answer.frame is None or answer.frame.type != b"DONE":
            inconclusive(f"the put of {name!r} was not acknowledged: {answer.describe()}")
        if found is None:
            inconclusive(
                f"no new {_PREFIX}* file in {inbox} held the put's first {_FIRST} bytes "
                f"within {looking:.1f} s: nothing to compare the final file with"
            )
        assert found is not None
        temp, st = found
        try:
            now = os.stat(final, follow_symlinks=False)
        except FileNotFoundError:
            inconclusive(f"{name!r} is not in the inbox after its DONE: other cases judge")
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise ConformanceFailure.evidence(
                f"APP-STORE-2: a put of {name!r} ({size} bytes); after {_FIRST} bytes the "
                f"inbox held the temporary {temp} (device {st.st_dev}, inode {st.st_ino}) "
                "with exactly those bytes; the put was then finished and acknowledged",
                "the final name is that temporary renamed (link + unlink, "
                "RENAME_NOREPLACE): the same inode",
                f"{name!r} is another file (device {now.st_dev}, inode {now.st_ino}): the "
                "verified temporary was copied, so the final name existed and grew "
                "before the copy ended",
            )
    finally:
        final.unlink(missing_ok=True)
