"""A failed put leaves nothing of itself in the inbox, under any name (docs/SPEC.md
APP-STORE-3); both profiles, when the inbox is known (the embedded reference, or a
target file's `inbox`).

APP-STORE-3: on any failure the receiver MUST remove the temporary file. The cases that
look for leftovers look for `.sft-partial-*` files; the class of bug is wider: a failed
put's bytes kept aside under another name "for the operator" (`.NAME.failed`,
`NAME.corrupt`, `.quarantine/…`), or renamed to a dot-file so the start-up sweep skips
it. Every put here sends fresh random bytes, so any regular file of the inbox (at any
depth) that starts with 16 or more of them is that put's: after each kind of failure
none may remain (bounded polling: the responder may still be cleaning up).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_SIZE = 200 * 1024
_CHUNK = 64 * 1024
_SETTLE = 2.0  # seconds the responder gets to remove what a failed put left
_MAX_ENTRIES = 5000  # bounds the inbox walk


def _holders(inbox: Path, sent: bytes) -> list[str]:
    """Regular files of the inbox (any depth) holding 16+ leading bytes of `sent`."""
    found: list[str] = []
    seen = 0
    for root, _dirs, files in os.walk(inbox):
        for name in files:
            seen += 1
            if seen > _MAX_ENTRIES:
                return found
            path = Path(root) / name
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                with open(path, "rb") as f:
                    head = f.read(len(sent) + 1)
            except OSError:
                continue  # gone meanwhile, unreadable
            if len(head) >= 16 and sent.startswith(head):
                found.append(str(path.relative_to(inbox)))
    return found


def _offer(channel: Channel, name: str, data: bytes) -> None:
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"PUTF {name!r} of {len(data)} bytes was not accepted: {answer.describe()}")


def _send(channel: Channel, data: bytes) -> None:
    for offset in range(0, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])


def _wrong_digest(channel: Channel, data: bytes) -> None:
    _send(channel, data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(b"other").hexdigest()})
    channel.expect([ExpectError("integrity_failed")])


def _excess_data(channel: Channel, data: bytes) -> None:
    _send(channel, data)
    channel.send_frame("DATA", b"one byte too many")
    channel.expect([ExpectError("integrity_failed")])


def _initiator_eror(channel: Channel, data: bytes) -> None:
    _send(channel, data[: len(data) // 2])
    channel.send_frame("EROR", {"code": 11, "name": "internal", "message": "aborted"})
    channel.expect([ExpectError(), ExpectFrame("DONE")])  # the close, an EROR at most


def _vanished(channel: Channel, data: bytes) -> None:
    _send(channel, data[: len(data) // 2])
    channel.close()


_FAILURES: dict[str, Callable[[Channel, bytes], None]] = {
    "wrong-digest": _wrong_digest,
    "excess-data": _excess_data,
    "initiator-eror": _initiator_eror,
    "vanished": _vanished,
}


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("failure", list(_FAILURES))
def test_failed_put_leaves_nothing_under_any_name(
    target: Target, app_channel: AppChannel, failure: str
) -> None:
    """A put of 200 KiB of fresh random bytes fails (wrong DONE digest, more DATA than
    announced, the initiator's EROR, the connection dropped half way); afterwards no file
    of the inbox, whatever its name, holds those bytes."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("the target does not declare its inbox (`inbox` in the target file)")
    if target.limits.max_file_size < _SIZE:
        pytest.skip(f"the maximum file size is below the {_SIZE} bytes this case puts")
    data = os.urandom(_SIZE)
    name = fresh_name()
    channel = app_channel()
    _offer(channel, name, data)
    _FAILURES[failure](channel, data)
    channel.close()
    deadline, left = time.monotonic() + _SETTLE, _holders(target.inbox, data)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # bounded polling of the inbox, not a synchronisation
        left = _holders(target.inbox, data)
    if left:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: a put of {name!r} ({_SIZE} random bytes) failed ({failure})",
            f"no file of {target.inbox} holds its bytes {_SETTLE:g} s later: the temporary "
            "is removed, not kept aside under another name",
            f"still holding them: {', '.join(left)}",
        )
