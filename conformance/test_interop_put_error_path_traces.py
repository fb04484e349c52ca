"""A put refused or failed on one of its rarer error paths leaves nothing of itself in the
inbox (docs/SPEC.md APP-STORE-3); both profiles, when the inbox is known (the embedded
reference, or a target file's `inbox`).

APP-STORE-3: "On any failure — integrity, truncation, timeout, error, crash of the peer …
— the receiver MUST remove the temporary file". conformance/test_app_failed_put_traces.py
judges the common failures (a wrong digest, excess data, the initiator's EROR, a dropped
connection) and test_app_put_visibility.py the loser of a race of two puts. Each error
path of a responder is its own branch of code, and the cleanup is easily written on some
branches and not others; the branches met here are the ones those cases never take:

* `exists` instead of `DONE` because an entry was made in the inbox after the `PUTF` was
  accepted (APP-PUT-3: "by any entry made in the inbox meanwhile"): all the put's bytes
  are in its temporary file and only the final link fails. The catch of "the link
  failed" answers `exists`, which is non-fatal, so nothing closes the connection and no
  connection-level cleanup runs either (blind round 16: pki4's
  b16_exists_at_done_no_discard leaves the temporary there);
* a fatal frame error in the middle of a put: an empty `DATA` frame (`bad_frame`, FRM-13)
  or a request frame during the put (`unexpected_frame`, FRM-6);
* the idle timeout in the middle of a put (LIM-2), the "timeout" of APP-STORE-3.

Every put sends fresh random bytes, so any regular file of the inbox (at any depth) that
starts with 16 or more of them is that put's: after the failure none may remain (bounded
polling: the responder may still be cleaning up). A responder that answers the meanwhile
entry's put otherwise than `exists` (APP-PUT-3, judged by conformance/test_app_put.py and
test_app_put_visibility.py) makes that variant SKIP: it judges the leftovers of the
`exists` path only.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.test_app_failed_put_traces import _holders, _offer
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

_SIZE = 96 * 1024
_CHUNK = 32 * 1024
_SETTLE = 2.0  # seconds the responder gets to remove what a failed put left


def _send(channel: Channel, data: bytes) -> None:
    for offset in range(0, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])


def _done(channel: Channel, data: bytes) -> None:
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def _exists_or_skip(channel: Channel, what: str) -> None:
    exists = ExpectError("exists")
    answer = channel.expect([exists, ExpectError(), ExpectFrame("DONE")])
    if answer.matched is not exists:
        pytest.skip(f"{what} was not answered `exists` (judged elsewhere): {answer.describe()}")


def _entry_made_meanwhile(target: Target, app_channel: AppChannel, name: str, data: bytes) -> None:
    """Our put accepted; then a file of that name appears in the inbox; then our DONE."""
    assert target.inbox is not None
    ours = app_channel()
    _offer(ours, name, data)
    _send(ours, data)
    (target.inbox / name).write_bytes(b"made in the inbox while the put ran\n")
    _done(ours, data)
    _exists_or_skip(ours, "the DONE of a put whose name came to exist meanwhile")
    ours.close()


def _empty_data(target: Target, app_channel: AppChannel, name: str, data: bytes) -> None:
    ours = app_channel()
    _offer(ours, name, data)
    _send(ours, data[: len(data) // 2])
    ours.send_frame("DATA", b"")
    ours.expect([ExpectError("bad_frame"), ExpectError()])  # the close, an EROR at most
    ours.close()


def _request_mid_put(target: Target, app_channel: AppChannel, name: str, data: bytes) -> None:
    ours = app_channel()
    _offer(ours, name, data)
    _send(ours, data[: len(data) // 2])
    ours.send_frame("RQFL", {"name": name})
    ours.expect([ExpectError("unexpected_frame"), ExpectError()])
    ours.close()


def _idle_mid_put(target: Target, app_channel: AppChannel, name: str, data: bytes) -> None:
    ours = app_channel()
    _offer(ours, name, data)
    _send(ours, data[: len(data) // 2])
    # silent: the responder's idle timeout ends the put (LIM-2: within 1.5 x of our last
    # byte); `expect` waits for its EROR timeout or its close, bounded by its own timeout
    wait = target.limits.idle_timeout * 1.5 + 5
    ours.expect([ExpectError("timeout"), ExpectError()], timeout=wait)
    ours.close()


_PATHS: dict[str, Callable[[Target, AppChannel, str, bytes], None]] = {
    "entry-made-meanwhile": _entry_made_meanwhile,
    "empty-data": _empty_data,
    "request-mid-put": _request_mid_put,
    "idle-mid-put": _idle_mid_put,
}


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("path", list(_PATHS))
def test_put_error_path_leaves_nothing_in_the_inbox(
    target: Target, app_channel: AppChannel, path: str
) -> None:
    """A put of fresh random bytes ends on one error path (see the module docstring);
    afterwards no file of the inbox, whatever its name, holds those bytes."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("the target does not declare its inbox (`inbox` in the target file)")
    if target.limits.max_file_size < _SIZE:
        pytest.skip(f"the maximum file size is below the {_SIZE} bytes this case puts")
    data = os.urandom(_SIZE)
    name = fresh_name()
    _PATHS[path](target, app_channel, name, data)
    deadline, left = time.monotonic() + _SETTLE, _holders(target.inbox, data)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # bounded polling of the inbox, not a synchronisation
        left = _holders(target.inbox, data)
    if left:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: a put of {name!r} ({_SIZE} random bytes) ended on the {path} path",
            f"no file of {target.inbox} holds its bytes {_SETTLE:g} s later: the temporary "
            "is removed on every failure, a non-fatal `exists` at DONE included",
            f"still holding them: {', '.join(left)}",
        )
