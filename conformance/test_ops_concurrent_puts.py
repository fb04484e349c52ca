"""A put in progress survives other puts beside it: each verified put is stored
(APP-STORE-1, APP-STORE-2, APP-STORE-3).

APP-STORE-3 has the responder remove the `.sft-partial-*` files an earlier run left "when
it starts" (it owns its inbox); APP-STORE-2: "Only after verification MUST the receiver
fsync the file and atomically rename it to its final name". A responder that sweeps its
inbox at other moments — at every PUTF, at every put's end or failure, on a timer, "so that
a killed run's leftovers do not wait for a restart" — removes the live temporary of a put
another connection is receiving: that put's bytes go to an unlinked file, and its commit
fails (`internal`, a close) or stores nothing, although its DONE verifies. A temporary
named without a random part per connection collides the same way. The cases beside this
one put one file at a time, or race two puts of one name.

The case holds put A open in the middle of its data (PUTF accepted, half its bytes sent),
completes puts B and C (other names) on two other connections — B's PUTF and DONE, then C's,
each between two DATA frames of A — and then finishes A. Each of A, B and C MUST be
answered `DONE` with its size and SHA-256 and be stored: a new PUTF of its name is answered
`exists`; where the target declares its `inbox`, the file holds what was sent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, Outcome

__all__: list[str] = []

_SIZE = 96 * 1024
_CHUNK = 16 * 1024


def _done_ok(final: Outcome | None, data: bytes) -> bool:
    if final is None or not final.ok or final.frame is None or final.frame.type != b"DONE":
        return False
    done = final.frame.json() or {}
    return done.get("size") == len(data) and done.get("sha256") == hashlib.sha256(data).hexdigest()


def _stored(channel: Channel, name: str) -> str | None:
    """None when a new PUTF of `name` is answered `exists`; else what came."""
    channel.send_frame("PUTF", {"name": name, "size": 1})
    outcome = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if outcome.ok and outcome.frame is not None and outcome.frame.error_name == "exists":
        return None
    return outcome.describe()


@pytest.mark.req("APP-STORE-2", "APP-STORE-1")
def test_a_put_in_progress_is_stored_beside_other_puts(
    target: Target, app_channel: Callable[..., Channel]
) -> None:
    require(target, "put")
    a_name, b_name, c_name = (fresh_name("sft-concurrent") for _ in range(3))
    a_data, b_data, c_data = (os.urandom(_SIZE) for _ in range(3))
    problems: list[str] = []
    a = app_channel()
    a.send_frame("PUTF", {"name": a_name, "size": len(a_data)})
    answer = a.expect(
        [
            ExpectFrame("RSFL", {"accept": True}),
            ExpectError("forbidden", "too_large", "exists", "unsupported"),
        ]
    )
    if not answer.ok or answer.frame is None or answer.frame.type != b"RSFL":
        raise ConformanceFailure(f"put A ({a_name!r}) was not accepted: {answer.describe()}")
    chunks = [a_data[i : i + _CHUNK] for i in range(0, len(a_data), _CHUNK)]
    third = len(chunks) // 3
    sent = 0
    for other_name, other_data, label in ((b_name, b_data, "B"), (c_name, c_data, "C")):
        for chunk in chunks[sent : sent + third]:
            a.send_frame("DATA", chunk)
        sent += third
        other_answer, other_final = put_file(app_channel(), other_name, other_data)
        if not _done_ok(other_final, other_data):
            problems.append(
                f"put {label} ({other_name!r}, {len(other_data)} bytes) while put A was "
                f"receiving: {(other_final or other_answer).describe()}"
            )
    for chunk in chunks[sent:]:
        a.send_frame("DATA", chunk)
    a.send_frame("DONE", {"size": len(a_data), "sha256": hashlib.sha256(a_data).hexdigest()})
    a_final = a.expect([ExpectFrame("DONE"), ExpectError("integrity_failed")])
    if not _done_ok(a_final, a_data):
        problems.append(
            f"put A ({a_name!r}, {len(a_data)} bytes, puts B and C completed during it): "
            f"{a_final.describe()}"
        )
    probe = app_channel()
    for name, data, label in ((a_name, a_data, "A"), (b_name, b_data, "B"), (c_name, c_data, "C")):
        seen = _stored(probe, name)
        if seen is not None:
            problems.append(f"put {label} ({name!r}) is not stored: a new PUTF got {seen}")
        elif target.inbox is not None:
            path = target.inbox / name
            if not path.is_file() or path.read_bytes() != data:
                problems.append(f"put {label}: {path} does not hold the bytes sent")
    if problems:
        raise ConformanceFailure(
            "APP-STORE-2: three puts of other names, B and C each completed while A was "
            "receiving; expected each answered DONE (its size and SHA-256) and stored — a "
            "put's temporary is its own until its commit. Got:\n" + "\n".join(problems),
            violates=("APP-STORE-2",),
        )
