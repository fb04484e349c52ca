"""Integers written with thousands of digits are answered `bad_frame`, like any other integer
out of range (docs/SPEC.md §1 FRM-11, FRM-16); both profiles.

FRM-11: integer members are JSON integers in `0 … 2^63−1`; "any other value MUST be
answered with `bad_frame`". test_framing.py sends integers of a few hundred digits. Past
a few thousand digits the JSON library itself gives up, each in its own way, and the
error is not the one the receiver's parser maps to `bad_frame`:

- Python (3.11 and later) refuses to convert more than 4300 digits to an int and raises
  a plain `ValueError` — not `json.JSONDecodeError`, so a parser that catches only the
  latter answers `internal`, or dies;
- a number with an exponent beyond the double range (`1e5000`) is read as infinity by
  JavaScript's and Python's parsers: "infinity > the limit" gives `too_large`
  (non-fatal) instead of `bad_frame`;
- Go's `strconv` range error and Java's `NumberFormatException` on a `long` are the
  same trap for a parser that expects only syntax errors.

Each probe is the request's own integer member with such a value — PUTF.size (4301 and
5000 digits, 5000 digits with a minus sign, `1e5000`) and a put's DONE.size (5000
digits; FRM-16 also allows `integrity_failed` there, since nothing it announces can
match) — on a connection of its own, since `bad_frame` is fatal. Needs the `put` feature.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, frame_bytes

_DATA = b"abc"
_HUGE = {
    "4301 digits": b"1" * 4301,
    "5000 digits": b"9" * 5000,
    "5000 digits, negative": b"-" + b"9" * 5000,
    "an exponent beyond the double range": b"1e5000",
}


@pytest.mark.req("FRM-11")
@pytest.mark.parametrize("label", list(_HUGE))
def test_putf_size_of_many_digits_is_bad_frame(
    target: Target, app_channel: AppChannel, label: str
) -> None:
    require(target, "put")
    channel = app_channel()
    name = fresh_name("sft-digit-runs").encode()
    payload = b'{"name":"' + name + b'","size":' + _HUGE[label] + b"}"
    channel.send_raw(frame_bytes("PUTF", payload))
    outcome = channel.expect([ExpectError("bad_frame")])
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"FRM-11: PUTF whose size is {label} ({len(_HUGE[label])} characters)",
            "EROR bad_frame: not an integer in 0 … 2^63−1, whatever the JSON library makes "
            "of it (an exception of its own, infinity)",
            outcome.describe(),
        )


@pytest.mark.req("FRM-11", "FRM-16")
def test_done_size_of_many_digits_is_refused(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name("sft-digit-runs"), "size": len(_DATA)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of a fresh name")
    channel.send_frame("DATA", _DATA)
    sha = hashlib.sha256(_DATA).hexdigest().encode()
    channel.send_raw(frame_bytes("DONE", b'{"size":' + b"9" * 5000 + b',"sha256":"' + sha + b'"}'))
    outcome = channel.expect([ExpectError("bad_frame", "integrity_failed")])
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            "FRM-11/FRM-16: a put's DONE whose size has 5000 digits",
            "EROR bad_frame (or integrity_failed, FRM-16)",
            outcome.describe(),
        )
