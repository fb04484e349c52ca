"""A failed put leaves its name free (docs/SPEC.md §3.4 APP-PUT-8, §3.6 APP-STORE-3).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. "A put ends when the
responder answers its `DONE`, or answers it with a fatal `EROR`, or its connection ends:
from then on it is no longer in progress, and a new `PUTF` of that name (on any
connection) MUST be judged as if a failed put had never been offered" [APP-PUT-8].

The class of bug: a reservation of the name (an in-progress set, a lock file, a row, a
`.lock` beside the final name, a temporary named after the final name) taken when the
put is accepted and given back only on the happy path — so that after a put that failed
(integrity at `DONE`, too many bytes, the initiator's `EROR`, the connection's end) every
later `PUTF` of that name is answered `exists` for ever, although nothing was stored. A
suite that only checks that nothing is left under the final name, or that offers every
put under a fresh name, lets such a responder through (found by planting the mistake
blind in eke6, a Python responder: a set of in-progress names cleared only after a
stored put).

Each way of failing a put is tried on its own connection with a fresh name; then a new
connection puts that name whole and MUST be accepted and acknowledged. A responder only
learns that a connection ended when it reads the end, so an `exists` answer to the new
`PUTF` is retried for a bounded moment (polling, not a synchronisation) before it is
judged. Both profiles.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ExpectError, ExpectFrame, deadline_after

# How long an `exists` answer is retried after the failed put's connection ended: the
# responder has to read that end first (milliseconds on loopback); bounded.
_GRACE = 3.0
_POLL = 0.05
_SIZE = 3000


def _accepted(channel: Channel, name: str, size: int, context: str) -> None:
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(context)


def _until_closed(channel: Channel, idle: float = 0.0) -> None:
    """Reads what the responder still sends until it closes (bounded by the channel's
    timeout, plus 1.5 x `idle` when its idle timeout has to end the connection): its
    fatal answer, then the end, so that it has handled the failure."""
    deadline = deadline_after(channel.timeout + 1.5 * idle)
    while time.monotonic() < deadline:
        if isinstance(channel.recv_frame(deadline), Closed):
            return


def _fail_integrity(channel: Channel, name: str, idle: float) -> None:
    """All the bytes, then a DONE whose SHA-256 is of other bytes: integrity_failed."""
    data = os.urandom(_SIZE)
    _accepted(channel, name, len(data), f"PUTF {name!r}")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(b"x").hexdigest()})
    channel.expect([ExpectError("integrity_failed")]).check(f"DONE with a wrong SHA-256 ({name!r})")
    _until_closed(channel)


def _fail_putf_digest(channel: Channel, name: str, idle: float) -> None:
    """PUTF announces the SHA-256 of other bytes; data and DONE are right: integrity_failed."""
    data = os.urandom(_SIZE)
    offer = {"name": name, "size": len(data), "sha256": hashlib.sha256(b"y").hexdigest()}
    channel.send_frame("PUTF", offer)
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {offer}")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect([ExpectError("integrity_failed")]).check(
        f"DONE after a PUTF.sha256 of other bytes ({name!r})"
    )
    _until_closed(channel)


def _fail_excess(channel: Channel, name: str, idle: float) -> None:
    """One byte more than announced: integrity_failed at that DATA [APP-PUT-6]."""
    _accepted(channel, name, _SIZE, f"PUTF {name!r}")
    channel.send_frame("DATA", os.urandom(_SIZE + 1))
    channel.expect([ExpectError("integrity_failed")]).check(
        f"DATA of {_SIZE + 1} B after PUTF size {_SIZE} ({name!r})"
    )
    _until_closed(channel)


def _fail_initiator_eror(channel: Channel, name: str, idle: float) -> None:
    """Half the bytes, then the initiator's EROR: the responder discards and closes."""
    _accepted(channel, name, _SIZE, f"PUTF {name!r}")
    channel.send_frame("DATA", os.urandom(_SIZE // 2))
    channel.send_frame("EROR", {"code": 11, "name": "internal", "message": "gave up"})
    _until_closed(channel)


def _fail_idle(channel: Channel, name: str, idle: float) -> None:
    """Half the bytes, then silence: the responder's idle timeout ends the put [LIM-2]."""
    _accepted(channel, name, _SIZE, f"PUTF {name!r}")
    channel.send_frame("DATA", os.urandom(_SIZE // 2))
    _until_closed(channel, idle)


def _fail_closed(channel: Channel, name: str, idle: float) -> None:
    """Half the bytes, then the connection ends (truncation, APP-BYE-2)."""
    _accepted(channel, name, _SIZE, f"PUTF {name!r}")
    channel.send_frame("DATA", os.urandom(_SIZE // 2))
    channel.close()


_WAYS: dict[str, Callable[[Channel, str, float], None]] = {
    "integrity-at-done": _fail_integrity,
    "putf-sha256-other-bytes": _fail_putf_digest,
    "more-data-than-announced": _fail_excess,
    "initiator-eror": _fail_initiator_eror,
    "connection-closed": _fail_closed,
    "idle-timeout": _fail_idle,
}


@pytest.mark.req("APP-PUT-8")
@pytest.mark.parametrize("way", sorted(_WAYS))
def test_name_of_a_failed_put_can_be_put_again(
    target: Target, app_channel: AppChannel, way: str
) -> None:
    """A put of a fresh name fails (`way`); then, on a new connection, a whole put of that
    name MUST be accepted (`RSFL {accept}`), acknowledged (`DONE` of its own size and
    SHA-256) and stored with its own bytes. Catches a name reservation given back only by
    a stored put."""
    require(target, "put")
    if target.limits.max_file_size < _SIZE + 1:
        pytest.skip(f"the max file size ({target.limits.max_file_size} B) is below {_SIZE + 1}")
    name = fresh_name(f"sft-failed-{way}")
    _WAYS[way](app_channel(), name, target.limits.idle_timeout)
    data = os.urandom(1500)
    context = f"APP-PUT-8: a put of {name!r} after a put of that name failed ({way})"
    deadline = time.monotonic() + _GRACE
    channel = app_channel()
    while True:
        answer, final = put_file(channel, name, data)
        frame = answer.frame
        if frame is not None and frame.type == b"EROR" and frame.error_name == "exists":
            if time.monotonic() < deadline:
                time.sleep(_POLL)  # bounded polling: the responder reads the end first
                continue
        break
    if frame is None or frame.type != b"RSFL":
        raise ConformanceFailure.evidence(
            f"{context}: PUTF on a new connection (retried for {_GRACE:g} s)",
            "RSFL {accept: true}: the failed put ended, nothing was stored under the name",
            answer.describe(),
            "a failed put must not leave its name reserved (judged as if never offered)",
        )
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
        raise ConformanceFailure.evidence(
            f"{context}: DATA and DONE {want}",
            f"DONE {want}",
            final.describe() if final is not None else "nothing",
        )
    inbox = target.inbox
    if inbox is not None and inbox.is_dir():
        stored = inbox / name
        held = stored.read_bytes() if stored.is_file() else None
        if held != data:
            raise ConformanceFailure.evidence(
                f"{context}: the declared inbox after the acknowledged put",
                f"{name} holds the {len(data)} bytes of the second put",
                "missing" if held is None else f"{len(held)} other bytes",
            )
