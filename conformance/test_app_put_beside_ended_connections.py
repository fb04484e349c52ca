"""A put in progress survives the end of other connections (docs/SPEC.md LIM-5, §3.4
APP-PUT-5, §3.6 APP-STORE-3); both profiles.

When a connection ends, a responder cleans up after it: it removes the temporary of a
put that failed or was cut (APP-STORE-3), releases its buffers and its slot. Written in
a hurry, that cleanup reaches further than its own connection:

- the list of temporaries to remove kept in a shared place — a default argument
  (`def __init__(self, ..., pending=[])`), a class attribute, a module global — so that the
  end of ANY connection removes every temporary in it, another connection's live one
  included;
- the failure path "cleans the inbox" by sweeping every `.sft-partial-*` file (the
  start-up sweep of APP-STORE-3 reused), live ones included;
- a per-name or per-process "current put" reset by whichever connection ends.

The other connection's put then fails at its commit (the temporary is gone: `internal`,
or a close without `DONE`), or is stored empty or short. LIM-5: a responder MUST keep
serving other connections "whatever one connection sends or does"; APP-PUT-5: a verified
put is answered `DONE` once stored.

The case opens a put of 96 KiB on one connection and sends it in six pieces; between the
pieces, other connections end in each way a connection ends: a completed put then
`BYE_`; a get then `BYE_`; a put refused `integrity_failed` (its DONE lies); a frame
answered `bad_frame` (fatal); a put cut by the initiator's close in the middle of its
data. Each of the first four is followed to its end (the responder's close is read), so
that its cleanup has run before the long put goes on. The long put must then be
acknowledged with its own `DONE`, and, when the target declares its inbox on this host,
stored with its bytes. The long put keeps sending between the endings, so the
responder's idle timeout never runs on it.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Needs the `put` feature
(the get ending also `get`, skipped for a target without it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

_PIECE: Final = 16 * 1024
_PIECES: Final = 6
_MAX_FRAMES: Final = 64  # bounds the reads that wait for a connection's end


def _until_closed(channel: Channel) -> str:
    """Reads what the responder still sends until it closes (bounded): how it ended."""
    deadline = deadline_after(channel.timeout)
    seen: list[str] = []
    for _ in range(_MAX_FRAMES):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            seen.append(event.describe())
            break
        seen.append(event.describe(60))
    channel.close()
    return " then ".join(seen)


def _put_then_bye(channel: Channel) -> str:
    answer, final = put_file(channel, fresh_name("sft-neighbour"), b"a neighbour's put\n")
    channel.send_frame("BYE_", {})
    return f"{(final or answer).describe().splitlines()[1].strip()}; BYE_: {_until_closed(channel)}"


def _get_then_bye(channel: Channel, target: Target) -> str:
    known = next((f for f in target.files if 0 < f.size <= 256 * 1024), None)
    if known is None or not target.has("get"):
        return _put_then_bye(channel)
    channel.send_frame("RQFL", {"name": known.name})
    deadline = deadline_after(channel.timeout)
    for _ in range(_MAX_FRAMES + known.size // 1024):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame) or event.type in (b"DONE", b"EROR"):
            break
    channel.send_frame("BYE_", {})
    return f"get {known.name!r}; BYE_: {_until_closed(channel)}"


def _integrity_failure(channel: Channel) -> str:
    data = b"a put whose DONE lies\n"
    channel.send_frame("PUTF", {"name": fresh_name("sft-neighbour"), "size": len(data)})
    first = channel.recv_frame(deadline_after(channel.timeout))
    if isinstance(first, ReceivedFrame) and first.type == b"RSFL":
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", {"size": len(data), "sha256": "0" * 64})
    return f"a lying DONE: {_until_closed(channel)}"


def _bad_frame(channel: Channel) -> str:
    channel.send_frame("PUTF", b"{not json")
    return f"a PUTF that is not JSON: {_until_closed(channel)}"


def _cut_mid_put(channel: Channel) -> str:
    channel.send_frame("PUTF", {"name": fresh_name("sft-neighbour"), "size": 4 * _PIECE})
    first = channel.recv_frame(deadline_after(channel.timeout))
    if isinstance(first, ReceivedFrame) and first.type == b"RSFL":
        channel.send_frame("DATA", os.urandom(_PIECE))
    channel.close()
    return "a put cut by the initiator's close"


@pytest.mark.req("LIM-5", "APP-PUT-5")
def test_a_put_in_progress_is_stored_although_other_connections_end(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    data = os.urandom(_PIECE * _PIECES)
    name = fresh_name("sft-long-put")
    long_put = app_channel()
    long_put.send_frame("PUTF", {"name": name, "size": len(data)})
    accepted = long_put.recv_frame(deadline_after(long_put.timeout))
    if not (isinstance(accepted, ReceivedFrame) and accepted.type == b"RSFL"):
        pytest.skip(f"the put of {name!r} was not accepted: {accepted.describe()}")
    endings: list[tuple[str, Callable[[Channel], str]]] = [
        ("a put then BYE_", _put_then_bye),
        ("a get then BYE_", lambda c: _get_then_bye(c, target)),
        ("a put refused integrity_failed", _integrity_failure),
        ("a bad_frame", _bad_frame),
        ("a put cut mid-data", _cut_mid_put),
    ]
    seen: list[str] = []
    for index in range(_PIECES):
        long_put.send_frame("DATA", data[index * _PIECE : (index + 1) * _PIECE])
        if index < len(endings):
            label, end = endings[index]
            seen.append(f"{label}: {end(app_channel())}")
    long_put.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    answer = long_put.recv_frame(deadline_after(long_put.timeout))
    long_put.close()
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    receipt = answer.json() if isinstance(answer, ReceivedFrame) else None
    ok = (
        isinstance(answer, ReceivedFrame)
        and answer.type == b"DONE"
        and isinstance(receipt, dict)
        and {k: receipt.get(k) for k in want} == want
    )
    stored = None
    if ok and target.inbox is not None:
        path = target.inbox / name
        if not path.is_file() or path.read_bytes() != data:
            ok = False
            stored = "missing" if not path.is_file() else f"{path.stat().st_size} other bytes"
    if not ok:
        raise ConformanceFailure.evidence(
            f"LIM-5/APP-PUT-5: a put of {len(data)} bytes sent in {_PIECES} pieces while "
            "other connections ended:\n" + "\n".join(f"  {s}" for s in seen),
            f"DONE {want} for the long put (and the file stored), whatever the others did",
            answer.describe() + (f"; in the inbox: {stored}" if stored else ""),
        )
