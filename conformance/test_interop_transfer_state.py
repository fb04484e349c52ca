"""Per-transfer state on one connection, transfers of every kind interleaved (docs/SPEC.md
§3.2 APP-2, §3.3, §3.4).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A connection MUST support
several transfers one after another [APP-2]; what one transfer counted, hashed, named or
refused must not carry over to the next one. The class of bug: state that belongs to a
transfer kept on the connection and initialised once — a byte count or hash zeroed only
by the connection's (or session structure's) initialiser, the fields of a refused `PUTF`
left behind, a get's and a put's counters shared — so that the first transfer of a
connection works and a later one, of another kind or after a refusal, fails. A suite
that only ever makes one transfer per connection, or only puts in decreasing sizes, or
never a put after a refusal, lets such a responder through (found by planting the
mistake blind in pki5, a C responder: `s->received` zeroed by the session initialiser
only, a second put on the connection then overflows).
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    fresh_name,
    get_file,
    known_file,
    put_file,
    require,
)
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_MAX_INT = 2**63 - 1


def _defined(obj: dict[str, object] | None, want: dict[str, object]) -> object:
    """Only DONE's defined members: a receiver ignores the others (FRM-10)."""
    return {k: obj.get(k) for k in want} if isinstance(obj, dict) else obj


def _fail(step: str, expected: str, actual: str, *, first: bool) -> ConformanceFailure:
    """A failure of one step: APP-2 once earlier transfers ran on the connection."""
    failure = ConformanceFailure.evidence(step, expected, actual)
    failure.violates = ("APP-PUT-5",) if first else ("APP-2",)
    return failure


def _put(channel: Channel, name: str, data: bytes, history: list[str]) -> None:
    """One put, accepted and acknowledged with its own size and SHA-256 [APP-PUT-5]."""
    step = (
        f"put of {len(data)} B as {name!r} after: {', '.join(history) or 'nothing'} "
        "(all on one connection)"
    )
    answer, final = put_file(channel, name, data)
    if answer.frame is None or answer.frame.type != b"RSFL":
        raise _fail(
            f"APP-2: {step}: PUTF",
            "RSFL {accept: true}: a fresh name within the limits",
            answer.describe(),
            first=not history,
        )
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    got = _defined(done, want)
    if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
        raise _fail(
            f"APP-2: {step}: DATA and DONE {want}",
            f"DONE {want}",
            final.describe() if final is not None else "nothing",
            first=not history,
        )
    history.append(f"put {len(data)} B")


def _refused(channel: Channel, offer: dict[str, object], code: str, history: list[str]) -> None:
    """A PUTF the responder must refuse with the non-fatal `code` (then idle again)."""
    channel.send_frame("PUTF", offer)
    answer = channel.expect([ExpectError(code), ExpectFrame("RSFL")])
    if answer.frame is None or answer.frame.error_name != code:
        raise _fail(
            f"APP-2: PUTF {offer} after: {', '.join(history)} (all on one connection)",
            f"EROR {code} (non-fatal)",
            answer.describe(),
            first=False,
        )
    history.append(f"PUTF refused {code}")


def _get(channel: Channel, target: Target, history: list[str]) -> None:
    """A get of a known file, served whole with its own size and SHA-256 [APP-GET-2]."""
    file = known_file(target)
    try:
        result = get_file(channel, file.name)
    except ConformanceFailure as failure:
        if not history:
            raise
        raise _fail(
            f"APP-2: get of {file.name!r} after: {', '.join(history)} (all on one connection)",
            f"RSFL, DATA and DONE of the file's {file.size} bytes",
            str(failure),
            first=False,
        ) from failure
    digest = hashlib.sha256(result.data).hexdigest()
    if result.refused is not None or len(result.data) != file.size or digest != file.sha256:
        raise _fail(
            f"APP-2: get of {file.name!r} after: {', '.join(history) or 'nothing'}",
            f"the file's {file.size} bytes, SHA-256 {file.sha256}",
            f"{result.first.describe()}; {len(result.data)} bytes, SHA-256 {digest}",
            first=not history,
        )
    history.append("get")


@pytest.mark.req("APP-2", "APP-PUT-5")
def test_gets_puts_and_refusals_interleaved_on_one_connection(
    target: Target, app_channel: AppChannel
) -> None:
    """On one connection: a get, a put, its name put again (`exists`), a put above the
    limit (`too_large`), a put LARGER than the first, a get, a put of 1 byte. Every put
    is accepted and acknowledged with its own size and SHA-256 and stored under its own
    name, every get served whole. Catches a byte count or hash carried from one transfer
    to the next (in either direction between gets and puts, whatever the sizes' order)
    and fields of a refused PUTF left behind."""
    require(target, "put")
    limit = target.limits.max_file_size
    if limit < 2:
        pytest.skip(f"the max file size ({limit} B) leaves no room for these puts")
    first_size = min(limit - 1, 3000)
    second_size = min(limit, first_size + 4001)
    channel = app_channel()
    history: list[str] = []
    stored: list[tuple[str, bytes]] = []
    if target.has("get"):
        _get(channel, target, history)
    name, data = fresh_name("sft-interleave-a"), os.urandom(first_size)
    _put(channel, name, data, history)
    stored.append((name, data))
    _refused(channel, {"name": stored[0][0], "size": 1}, "exists", history)
    if limit < _MAX_INT:
        _refused(channel, {"name": fresh_name("sft-interleave-big"), "size": limit + 1},
                 "too_large", history)  # fmt: skip
    name, data = fresh_name("sft-interleave-b"), os.urandom(second_size)
    _put(channel, name, data, history)
    stored.append((name, data))
    if target.has("get"):
        _get(channel, target, history)
    name, data = fresh_name("sft-interleave-c"), os.urandom(1)
    _put(channel, name, data, history)
    stored.append((name, data))
    if target.inbox is not None:
        wrong = [
            n for n, d in stored if not (target.inbox / n).is_file() or
            (target.inbox / n).read_bytes() != d
        ]  # fmt: skip
        if wrong:
            raise ConformanceFailure.evidence(
                f"APP-2: {len(stored)} puts interleaved with gets and refusals on one "
                "connection, in the declared inbox",
                "each file holds exactly the bytes of its own put",
                f"wrong or missing: {', '.join(wrong)}",
            )


@pytest.mark.req("APP-PUT-5", "LIM-5")
def test_puts_on_two_connections_interleaved(target: Target, app_channel: AppChannel) -> None:
    """Connection A's put is accepted and part of its data sent; then connection B offers,
    sends and ends a put of another name and size; then A sends the rest and ends. Each
    put is acknowledged with its own size and SHA-256 and stored under its own name with
    its own bytes. Catches put state kept per process instead of per connection (one
    `current put`, byte count or hash shared by every connection: a static or
    package-level variable where a session field belongs)."""
    require(target, "put")
    limit = target.limits.max_file_size
    if limit < 2:
        pytest.skip(f"the max file size ({limit} B) leaves no room for these puts")
    size_a, size_b = min(limit, 3000), min(limit - 1, 2000)
    name_a, name_b = fresh_name("sft-two-conn-a"), fresh_name("sft-two-conn-b")
    data_a, data_b = os.urandom(size_a), os.urandom(size_b)
    a, b = app_channel(), app_channel()
    a.send_frame("PUTF", {"name": name_a, "size": size_a})
    a.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"connection A: PUTF {name_a!r}")
    half = size_a // 2
    a.send_frame("DATA", data_a[:half])
    what = (
        f"connection B's put of {size_b} B as {name_b!r}, while connection A's put of "
        f"{size_a} B is in progress ({half} B sent)"
    )
    answer, final = put_file(b, name_b, data_b)
    if answer.frame is None or answer.frame.type != b"RSFL":
        failure = ConformanceFailure.evidence(
            f"LIM-5: {what}: PUTF", "RSFL {accept: true}", answer.describe()
        )
        failure.violates = ("LIM-5",)
        raise failure
    want_b = {"size": size_b, "sha256": hashlib.sha256(data_b).hexdigest()}
    got_b = _defined(
        final.frame.json() if final is not None and final.frame is not None else None, want_b
    )
    if final is None or final.frame is None or final.frame.type != b"DONE" or got_b != want_b:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-5: {what}: DATA and DONE {want_b}",
            f"DONE {want_b}",
            final.describe() if final is not None else "nothing",
        )
        failure.violates = ("APP-PUT-5",)
        raise failure
    a.send_frame("DATA", data_a[half:])
    want_a = {"size": size_a, "sha256": hashlib.sha256(data_a).hexdigest()}
    a.send_frame("DONE", want_a)
    done_a = a.expect([ExpectFrame("DONE"), ExpectError("integrity_failed")])
    got_a = _defined(done_a.frame.json() if done_a.frame is not None else None, want_a)
    if done_a.frame is None or done_a.frame.type != b"DONE" or got_a != want_a:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-5: connection A's put of {size_a} B as {name_a!r}, ended after "
            f"connection B's whole put ({what})",
            f"DONE {want_a}",
            done_a.describe(),
        )
        failure.violates = ("APP-PUT-5",)
        raise failure
    if target.inbox is not None:
        wrong = [
            n for n, d in ((name_a, data_a), (name_b, data_b))
            if not (target.inbox / n).is_file() or (target.inbox / n).read_bytes() != d
        ]  # fmt: skip
        if wrong:
            failure = ConformanceFailure.evidence(
                "APP-PUT-5: puts interleaved on two connections, in the declared inbox",
                "each file holds exactly the bytes of its own put",
                f"wrong or missing: {', '.join(wrong)}",
            )
            failure.violates = ("APP-PUT-5",)
            raise failure
