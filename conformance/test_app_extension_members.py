"""Members a request's schema does not define change nothing (docs/SPEC.md §1 FRM-10, §3).

FRM-10 makes undefined members of a control object harmless: a receiver MUST ignore them.
The classic way to break it is a convenience the SPEC does not have, read from a member
the initiator may send: an RQFL `offset` (or `range`, `start`, `resume`) that resumes a
get from some byte, an RQFL `size` taken as a limit; a PUTF `overwrite`, `force` or
`replace` that lets a put replace a file the inbox holds. A peer-claimed value then
decides what the responder sends or stores. Here each such member is sent alone and the
answer must be exactly what the request without it gets: the whole file (APP-GET-2), or
`exists` for a name the inbox holds (APP-PUT-3). Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    deadline_after,
)

# Members no get defines, with values that would mean "skip the first byte" or "stop after
# one byte" to a responder that reads them.
_GET_EXTRAS: tuple[tuple[str, object], ...] = (
    ("offset", 1),
    ("start", 1),
    ("position", 1),
    ("resume", 1),
    ("skip", 1),
    ("range", "bytes=1-"),
    ("size", 1),
    ("length", 1),
    ("limit", 1),
)

# Members no put defines, with values that would mean "replace what is there".
_PUT_EXTRAS: tuple[tuple[str, object], ...] = (
    ("overwrite", True),
    ("force", True),
    ("replace", True),
    ("mode", "overwrite"),
    ("if_exists", "replace"),
    ("append", True),
    ("offset", 1),
)


def _get_with(channel: Channel, request: dict[str, object], what: str) -> tuple[int, bytes]:
    """Sends `request` as RQFL; returns (RSFL.size, bytes received) of the served file."""
    channel.send_frame("RQFL", request)
    outcome = channel.expect([ExpectFrame("RSFL")]).check(what)
    rsfl = outcome.frame
    assert rsfl is not None
    size = (rsfl.json() or {}).get("size")
    if type(size) is not int:
        raise ConformanceFailure(
            f"APP-GET-2: {what}: RSFL without an integer size: {rsfl.describe()}"
        )
    data = bytearray()
    deadline = deadline_after(channel.timeout + size / (5 * 1024 * 1024))
    while True:  # bounded: ends at DONE, beyond the announced size, or at the deadline
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure(
                f"APP-GET-2: {what}: after RSFL size={size} and {len(data)} bytes: "
                f"{event.describe()}"
            )
        if event.type == b"DATA":
            data += event.payload
            if len(data) > size:
                raise ConformanceFailure(
                    f"APP-GET-4: {what}: {len(data)} bytes sent, RSFL announced {size}"
                )
            continue
        if event.type != b"DONE":
            raise ConformanceFailure(
                f"APP-GET-2: {what}: expected DATA or DONE, got {event.describe()}"
            )
        return size, bytes(data)


@pytest.mark.req("FRM-10", "APP-GET-2")
def test_get_ignores_members_its_schema_does_not_define(
    target: Target, app_channel: AppChannel
) -> None:
    """An RQFL {name, <member>: ...} is answered with the whole file, as {name} is."""
    file = next((f for f in target.files if f.size >= 2 and f.sha256), None)
    if file is None:
        file = known_file(target)
        if file.size < 2:
            pytest.skip("no known file of two bytes or more")
    channel = app_channel()
    wrong = []
    for member, value in _GET_EXTRAS:
        request: dict[str, object] = {"name": file.name, member: value}
        what = f"RQFL {request!r}"
        size, data = _get_with(channel, request, what)
        digest = hashlib.sha256(data).hexdigest()
        if size != file.size or len(data) != file.size or (file.sha256 and digest != file.sha256):
            wrong.append(
                f"{member}={value!r}: RSFL.size={size}, {len(data)} bytes received "
                f"(sha256 {digest[:16]}…)"
            )
    if wrong:
        failure = ConformanceFailure.evidence(
            f"FRM-10: gets of {file.name!r} ({file.size} bytes, sha256 "
            f"{(file.sha256 or '?')[:16]}…) with a member the get's schema does not define",
            "the whole file each time: a member RQFL does not define is ignored",
            "\n".join(wrong),
        )
        failure.violates = ("FRM-10",)
        raise failure


@pytest.mark.req("FRM-10", "APP-PUT-3")
def test_put_ignores_members_that_would_replace_a_stored_file(
    target: Target, app_channel: AppChannel
) -> None:
    """A name the inbox holds (stored a moment ago) is `exists` at PUTF, whatever members
    the PUTF adds: none of them is a licence to replace it."""
    require(target, "put")
    name = fresh_name()
    original = b"stored first, never to be replaced\n"
    channel = app_channel()
    answer, final = put_file(channel, name, original)
    if (
        answer.frame is None
        or answer.frame.type != b"RSFL"
        or final is None
        or final.frame is None
        or final.frame.type != b"DONE"
    ):
        raise ConformanceFailure(
            f"APP-PUT-1: the first put of {name!r} was not stored: {answer.describe()}"
        )
    replacement = b"x"
    wrong = []
    for member, value in _PUT_EXTRAS:
        offer = {"name": name, "size": len(replacement), member: value}
        channel.send_frame("PUTF", offer)
        outcome = channel.expect([ExpectError("exists"), ExpectFrame("RSFL")])
        frame = outcome.frame
        if frame is None:
            raise ConformanceFailure(f"APP-PUT-3: PUTF {offer!r}: {outcome.describe()}")
        if frame.error_name == "exists":
            continue
        wrong.append(f"{member}={value!r}: {frame.describe(80)}")
        if frame.type == b"RSFL":
            # Finish it so the evidence says what the responder did with the name.
            channel.send_frame("DATA", replacement)
            channel.send_frame(
                "DONE",
                {"size": len(replacement), "sha256": hashlib.sha256(replacement).hexdigest()},
            )
            after = channel.expect([ExpectFrame("DONE"), ExpectError("exists", "integrity_failed")])
            wrong[-1] += f", then {after.describe().splitlines()[-1].strip()}"
            channel = app_channel()
    inbox = target.inbox
    if inbox is not None and (inbox / name).is_file():
        stored = (inbox / name).read_bytes()
        if stored != original:
            wrong.append(f"the inbox's {name!r} now holds {stored[:40]!r}")
    if wrong:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-3: PUTFs of {name!r}, stored in the inbox a moment ago, with a member "
            "the put's schema does not define",
            "`exists` at PUTF each time: no member licenses replacing a stored file (FRM-10)",
            "\n".join(wrong),
        )
        failure.violates = ("APP-PUT-3", "FRM-10")
        raise failure
