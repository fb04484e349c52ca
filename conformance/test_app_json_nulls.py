"""JSON `null` in place of a typed member, as a responder receives it (docs/SPEC.md §1).

Runs over both profiles (the `target` fixture). Many JSON libraries read `null` as "not
there": Go's encoding/json leaves a pointer field nil and an int field 0, Jackson and
System.Text.Json give a nullable field its null, JavaScript's `?? default` takes the
default. A control frame whose member is `null` is no such thing: FRM-12 asks a string
member (and `sha256`) to be a JSON string, FRM-11 an integer member a JSON integer, and
FRM-9 answers a member of the wrong JSON type with `bad_frame` — an optional member that
is present too (the suite already expects `bad_frame` for a PUTF `sha256` in upper case).
So `{"name": ..., "size": 1, "sha256": null}` is answered `bad_frame`, never accepted as a
put without a digest. A DONE whose member is `null` may be answered `integrity_failed`
as well (FRM-16, as test_framing.py's DONE cases allow); what fails is keeping the put.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ExpectFrame, frame_bytes

_DATA = b"abcd"
_SHA = hashlib.sha256(_DATA).hexdigest()

# PUTF payloads with a member that is `null`: the optional `sha256` (what a library that
# reads null as absent lets through), and the required `name` for the same family.
_PUTF_NULLS = {
    "sha256-null": b'{"name":"%s","size":4,"sha256":null}',
    "sha256-null-first": b'{"sha256":null,"name":"%s","size":4}',
    "name-null": b'{"name":null,"size":4,"sha256":"%s"}',
}

# DONE payloads ending a put of 4 bytes, with a member that is `null`.
_DONE_NULLS = {
    "sha256-null": b'{"size":4,"sha256":null}',
    "size-null": b'{"size":null,"sha256":"' + _SHA.encode() + b'"}',
}


def _putf_payload(case: str) -> bytes:
    template = _PUTF_NULLS[case]
    fill = _SHA if case == "name-null" else fresh_name()
    return template.replace(b"%s", fill.encode())


@pytest.mark.req("FRM-12", "FRM-9")
@pytest.mark.parametrize("case", sorted(_PUTF_NULLS))
def test_putf_member_that_is_null_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """A PUTF whose `sha256` (optional) or `name` is `null` is malformed: `bad_frame`,
    then the close. A responder that reads `null` as "absent" accepts the put."""
    require(target, "put")
    channel = app_channel()
    payload = _putf_payload(case)
    channel.send_raw(frame_bytes("PUTF", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=f"FRM-12/FRM-9: PUTF {payload.decode()} ({case}): a member that is null is "
        "not a string",
        violates=("FRM-9", "FRM-12"),
    )


@pytest.mark.req("FRM-9", "FRM-11", "FRM-12")
@pytest.mark.parametrize("case", sorted(_DONE_NULLS))
def test_done_member_that_is_null_does_not_store_the_put(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """The DONE ending a put, with `sha256` or `size` `null`: `bad_frame` (or
    `integrity_failed`, FRM-16), then the close — never the responder's DONE, which would
    say the put was stored without the digest or size it must verify (APP-PUT-5)."""
    require(target, "put")
    channel = app_channel()
    name = fresh_name()
    channel.send_frame("PUTF", {"name": name, "size": len(_DATA)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} before DONE")
    channel.send_frame("DATA", _DATA)
    payload = _DONE_NULLS[case]
    channel.send_raw(frame_bytes("DONE", payload))
    expect_fatal(
        channel,
        "bad_frame",
        "integrity_failed",
        context=f"FRM-9: DONE {payload.decode()} ({case}) ending a put of {len(_DATA)} bytes",
        violates=("FRM-9", "FRM-12") if case.startswith("sha256") else ("FRM-9", "FRM-11"),
    )
