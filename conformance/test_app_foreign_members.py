"""Members another frame defines are undefined members here (docs/SPEC.md §1 FRM-10, §3.1).

FRM-10: a receiver MUST ignore the members of a control object its schema does not
define. test_app_extension_members.py sends members no frame of the protocol defines
(`offset`, `overwrite` ...). This file sends the protocol's OWN member names where the
frame's schema does not have them — `sha256` in an RQFL, `accept`/`code` in a PUTF,
`name`/`accept`/`code` in a put's DONE, `code` in a BYE_ — which is what an
implementation that reads every frame into one shared message structure, or that checks a
frame by comparing the whole received object with the one it expects, gets wrong:

- an RQFL `sha256` equal to the file's digest read as a conditional get ("you have it
  already": `exists`, or an empty answer), or a different one as a mismatch;
- a put's DONE compared as an object with `{size, sha256}`: one more member, and an honest
  put is `integrity_failed`;
- a PUTF `accept` or a BYE_ `code` taken for something.

The class (lens 1 of round 18, "unknown or extra fields, a feature the peer did not ask
for"): each request must be answered exactly as the same request without the member — the
whole file, the put stored and acknowledged with its DONE, the connection ended politely.
One connection per frame kind (the put's DONE variants each on their own: a wrong answer
there is fatal). Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    fresh_name,
    get_file,
    known_file,
    require,
)
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectFrame,
    ReceivedFrame,
)


def _fail(context: str, expected: str, actual: str) -> ConformanceFailure:
    failure = ConformanceFailure.evidence(context, expected, actual)
    failure.violates = ("FRM-10",)
    return failure


@pytest.mark.req("FRM-10", "APP-GET-2")
def test_get_with_members_of_other_frames_serves_the_file(
    target: Target, app_channel: AppChannel
) -> None:
    """RQFL {name, sha256: <the file's own digest> | <another digest>, accept, code, size,
    retry_after}: each answered with the whole file, as RQFL {name} is."""
    file = known_file(target)
    channel = app_channel()
    plain = get_file(channel, file.name)
    digest = hashlib.sha256(plain.data).hexdigest()
    extras: tuple[tuple[str, object], ...] = (
        ("sha256", digest),  # the initiator "has it already"
        ("sha256", hashlib.sha256(b"other bytes").hexdigest()),
        ("sha256", digest.upper()),
        ("accept", True),
        ("code", 12),
        ("retry_after", 1),
        ("size", 0),
    )
    for member, value in extras:
        what = f"RQFL {{name: {file.name!r}, {member}: {value!r}}}"
        channel.send_frame("RQFL", {"name": file.name, member: value})
        first = channel.expect([ExpectFrame("RSFL")])
        if not first.ok:
            raise _fail(
                f"{what}: `{member}` is not a member of RQFL's schema [FRM-10]",
                f"the whole file, as for RQFL {{name}}: RSFL size={len(plain.data)} + DATA + DONE",
                first.describe(),
            )
        data = bytearray()
        while True:  # bounded: the get of a known file ends with DONE, or we fail
            event = channel.recv_frame()
            if not isinstance(event, ReceivedFrame):
                raise _fail(what, "DATA* then DONE", event.describe())
            if event.type == b"DATA":
                data += event.payload
                if len(data) > len(plain.data):
                    raise _fail(what, f"{len(plain.data)} bytes", f"{len(data)} bytes so far")
                continue
            if event.type != b"DONE":
                raise _fail(what, "DATA* then DONE", event.describe())
            break
        if bytes(data) != plain.data:
            raise _fail(
                what,
                f"the {len(plain.data)} bytes RQFL {{name}} gets",
                f"{len(data)} other bytes",
            )


@pytest.mark.req("FRM-10", "APP-PUT-5")
@pytest.mark.parametrize(
    "member,value",
    [("name", None), ("accept", True), ("code", 0), ("message", "done")],
    ids=["name", "accept", "code", "message"],
)
def test_put_done_with_members_of_other_frames_is_stored(
    target: Target, app_channel: AppChannel, member: str, value: object
) -> None:
    """PUTF, DATA, then DONE {size, sha256, <member>}: the put is verified on size and
    sha256 alone and acknowledged with DONE — an extra member is not a mismatch."""
    require(target, "put")
    name = fresh_name("sft-b18-done-member")
    data = f"put whose DONE carries {member}\n".encode()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"PUTF {name!r} ({len(data)} bytes)"
    )
    channel.send_frame("DATA", data)
    done = {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        member: name if value is None else value,
    }
    channel.send_frame("DONE", done)
    answer = channel.expect([ExpectFrame("DONE")])
    if not answer.ok:
        raise _fail(
            f"the put of {name!r}, its bytes, then DONE {done}: `{member}` is not a member of "
            "DONE's schema [FRM-10]; size and sha256 match the bytes sent",
            "DONE (the put stored), as for DONE {size, sha256}",
            answer.describe(),
        )
    got = answer.frame.json() if answer.frame is not None else None
    want = {"size": len(data), "sha256": done["sha256"]}
    if not isinstance(got, dict) or {k: got.get(k) for k in want} != want:
        raise ConformanceFailure(f"APP-PUT-5: the receipt DONE {got!r}, expected {want}")
    if target.inbox is not None:
        stored = target.inbox / name
        if not stored.is_file() or stored.read_bytes() != data:
            raise _fail(
                f"the put of {name!r} acknowledged with DONE",
                f"{stored} holding the {len(data)} bytes sent",
                "missing" if not stored.is_file() else f"{stored.stat().st_size} other bytes",
            )


@pytest.mark.req("FRM-10", "APP-PUT-1")
def test_putf_with_members_of_other_frames_is_accepted(
    target: Target, app_channel: AppChannel
) -> None:
    """PUTF {name, size, accept: true | code: 12 | retry_after: 1} of a free name: accepted
    (RSFL {accept}) and stored, as the PUTF without the member."""
    require(target, "put")
    channel = app_channel()
    for member, value in (("accept", True), ("code", 12), ("retry_after", 1)):
        name = fresh_name(f"sft-b18-putf-{member.replace('_', '-')}")
        data = f"put with {member}\n".encode()
        what = f"PUTF {{name: {name!r}, size: {len(data)}, {member}: {value!r}}}"
        channel.send_frame("PUTF", {"name": name, "size": len(data), member: value})
        answer = channel.expect([ExpectFrame("RSFL", {"accept": True})])
        if not answer.ok:
            raise _fail(
                f"{what}: `{member}` is not a member of PUTF's schema [FRM-10]",
                "RSFL {accept: true}: the name is free",
                answer.describe(),
            )
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        channel.expect([ExpectFrame("DONE")]).check(f"{what}, accepted: its bytes and DONE")


@pytest.mark.req("FRM-10", "APP-BYE-1")
def test_bye_with_members_ends_politely(target: Target, app_channel: AppChannel) -> None:
    """BYE_ {code: 8, name: ...}: the connection ends as after BYE_ {} — an echoed BYE_ or
    the close, never an EROR (BYE_'s schema is empty; every member is undefined)."""
    channel = app_channel()
    channel.send_frame("BYE_", {"code": 8, "name": "x", "message": "bye"})
    answer = channel.expect([ExpectFrame("BYE_"), ExpectClose()])
    if not answer.ok:
        raise _fail(
            "BYE_ {code: 8, name: 'x', message: 'bye'}: BYE_ defines no member [FRM-10]",
            "BYE_ (the echo, APP-BYE-1) or the close",
            answer.describe(),
        )
    if answer.frame is not None:  # the echo: then the close
        channel.expect([ExpectClose()]).check("after the BYE_ echo [APP-BYE-1]")
