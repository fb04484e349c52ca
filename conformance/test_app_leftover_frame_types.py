"""Frame types left over from development or from the legacy profile are undefined types
(docs/SPEC.md §1 FRM-5, FRM-6; ERR-3); both profiles.

FRM-5: "A well-formed frame whose type is not defined by the profile MUST be answered with
`unexpected_frame` (fatal)." The defined types are §3.1's seven. The class of bug: a
responder that refuses undefined types in general, but keeps a few it knows — a keep-alive
or debugging frame of its development builds (NOOP, PING, ECHO, STAT, LIST...), or the
frames of sft-pki/0 (SECE, RSCV, RSCI: §7.1), which a "compatible" responder answers the
legacy way (RSCI and a close, or RSCV and its certificate). A test that sends one random
undefined type misses such a list. Each type here goes on a fresh connection between
requests, with an empty JSON object for payload (a well-formed control frame); a few also
in the middle of a put (RECEIVING), where a skipped keep-alive is most tempting. Each
must be answered EROR unexpected_frame and the close; a NOOP skipped (the connection
still serves), an RSCI, or any other answer FAILs FRM-5.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ExpectError, ExpectFrame, frame_bytes

__all__: list[str] = []

# Development leftovers and sft-pki/0's own frame types (§7.1.1), none defined by §3.1.
_IDLE_TYPES = (
    "NOOP",
    "PING",
    "PONG",
    "KEEP",
    "ECHO",
    "HELO",
    "LIST",
    "STAT",
    "INFO",
    "DBUG",
    "TEST",
    "VERS",
    "SECE",
    "RSCV",
    "RSCI",
)
_MID_PUT_TYPES = ("NOOP", "PING", "KEEP")


@pytest.mark.req("FRM-5")
@pytest.mark.parametrize("frame_type", _IDLE_TYPES)
def test_leftover_type_between_requests_is_unexpected(
    target: Target, app_channel: AppChannel, frame_type: str
) -> None:
    channel = app_channel()
    channel.send_frame(frame_type, {})
    expect_fatal(
        channel,
        "unexpected_frame",
        context=f"a {frame_type} frame (payload {{}}) between requests: an undefined type",
        violates=("FRM-5",),
    )


@pytest.mark.req("FRM-5")
@pytest.mark.parametrize("frame_type", _MID_PUT_TYPES)
def test_leftover_type_in_a_put_is_unexpected(
    target: Target, app_channel: AppChannel, frame_type: str
) -> None:
    require(target, "put")
    if target.limits.max_file_size < 100:
        pytest.skip("the target's max file size is below the case's 100 bytes")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name("sft-b24-leftover"), "size": 100})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    answer.check("PUTF of 100 bytes (to be in the middle of a put)")
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"the put to start from was not accepted: {answer.describe()}")
    channel.send_raw(frame_bytes("DATA", b"x" * 40))
    channel.send_frame(frame_type, {})
    expect_fatal(
        channel,
        "unexpected_frame",
        context=f"a {frame_type} frame (payload {{}}) after 40 of a put's 100 bytes",
        violates=("FRM-5",),
    )
