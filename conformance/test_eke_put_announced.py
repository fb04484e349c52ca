"""sft-eke/1: what a put announces, judged against what then comes (docs/SPEC.md FRM-9,
FRM-12, APP-PUT-5, APP-PUT-6, APP-STORE-4).

A put announces three things: PUTF's `size` and optional `sha256`, and DONE's `size` and
`sha256`. An implementer's shortcuts here are rarely on the first value a case tries:

- a validator that checks an optional `sha256` only when it is a string (a number, an
  array or an object passes, and fails — if ever — at DONE), or only when it is "truthy"
  (`""` passes): FRM-9 makes every wrong JSON type malformed, FRM-12 every string that
  is not 64 lowercase hex digits;
- a size of 0 taken as "unknown length" (take DATA until DONE): the first DATA byte of a
  put announced as 0 bytes is already beyond it (APP-PUT-6, at once, without DONE);
- a DONE size kept in a 32-bit field or compared modulo 2^32: DONE's size must equal the
  announced size and the bytes received, exactly (APP-PUT-5), so `n + 2^32` is a
  mismatch like `n + 1`.

Fixtures (conformance/plugin.py): `eke_target`, `eke_channel_factory`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, put_file, require
from conformance.eke_channel import EkeChannel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_DATA = b"announced bytes\n"
_SHA = hashlib.sha256(_DATA).hexdigest()

# PUTF `sha256` values of every wrong JSON type or form (FRM-9 / FRM-12): none is "absent".
_BAD_SHA256: dict[str, object] = {
    "integer": 5,
    "zero": 0,
    "float": 1.5,
    "true": True,
    "false": False,
    "array": [_SHA],
    "empty-array": [],
    "object": {"hex": _SHA},
    "empty-object": {},
    "empty-string": "",
    "short": _SHA[:63],
    "long": _SHA + "0",
    "upper": _SHA.upper(),
}


def _channel(eke_target: Target, factory: Callable[..., EkeChannel]) -> EkeChannel:
    require(eke_target, "put")
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    return factory()


@pytest.mark.req("FRM-9", "FRM-12")
@pytest.mark.parametrize("case", list(_BAD_SHA256))
def test_putf_sha256_of_a_wrong_type_or_form_is_bad_frame(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], case: str
) -> None:
    """PUTF {name, size, sha256: <wrong type or form>}: `bad_frame` (fatal), never an
    acceptance. An optional member that is present is checked like a required one: a
    number, a boolean, an array, an object or a string that is not 64 lowercase hex
    digits is malformed, not "no digest" (FRM-9, FRM-12)."""
    channel = _channel(eke_target, eke_channel_factory)
    name = fresh_name("sha-type")
    channel.send_frame("PUTF", {"name": name, "size": len(_DATA), "sha256": _BAD_SHA256[case]})
    outcome = channel.expect([ExpectError("bad_frame")])
    if outcome.frame is not None and outcome.frame.type == b"RSFL":
        # Accepted: finish the put honestly so the evidence shows how far it went.
        channel.send_frame("DATA", _DATA)
        channel.send_frame("DONE", {"size": len(_DATA), "sha256": _SHA})
        after = channel.expect([ExpectFrame("DONE"), ExpectError("integrity_failed")])
        failure = ConformanceFailure.evidence(
            f"PUTF with sha256={_BAD_SHA256[case]!r} ({case})",
            "EROR bad_frame (the member is malformed), before any data",
            f"{outcome.frame.describe()}; the put then ended with {after.describe()}",
        )
        failure.violates = ("FRM-9", "FRM-12") if isinstance(_BAD_SHA256[case], str) else ("FRM-9",)
        raise failure
    outcome.check(f"PUTF with sha256={_BAD_SHA256[case]!r} ({case})")


@pytest.mark.req("APP-PUT-6", "APP-STORE-4")
@pytest.mark.parametrize("announced", [0, 1, 100])
def test_data_beyond_a_small_announced_size_is_refused_at_once(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], announced: int
) -> None:
    """PUTF size N (0, 1, 100), accepted; then ONE DATA frame of N + 1 bytes and nothing
    else: `integrity_failed` (fatal) must come at once, without waiting for DONE. A put of
    0 bytes is not a put of unknown length (APP-PUT-6)."""
    channel = _channel(eke_target, eke_channel_factory)
    name = fresh_name("overrun")
    channel.send_frame("PUTF", {"name": name, "size": announced})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} size={announced}")
    channel.send_frame("DATA", os.urandom(announced + 1))
    expect_fatal(
        channel,
        "integrity_failed",
        context=(
            f"APP-PUT-6: one DATA of {announced + 1} bytes after PUTF size={announced}, "
            "no DONE sent"
        ),
        violates=("APP-PUT-6",),
    )


@pytest.mark.req("APP-PUT-5")
@pytest.mark.parametrize("offset", [2**32, 2**31, 2**16, 1])
def test_done_size_must_match_exactly(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], offset: int
) -> None:
    """PUTF size n, n bytes, DONE {size: n + offset, sha256 of the n bytes}: the sizes
    differ, so `integrity_failed` (fatal), never DONE. An offset of 2^32 (or 2^16) is
    what a size kept in a 32-bit (or 16-bit) field, or compared modulo it, lets through."""
    channel = _channel(eke_target, eke_channel_factory)
    name = fresh_name("done-size")
    answer, final = put_file(channel, name, _DATA, done_size=len(_DATA) + offset)
    answer.check(f"PUTF {name!r} size={len(_DATA)}")
    assert final is not None
    if final.frame is not None and final.frame.type == b"DONE":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: DONE size={len(_DATA) + offset} after {len(_DATA)} bytes "
            f"announced and sent",
            "EROR integrity_failed (the sizes differ)",
            final.frame.describe(),
        )
    final.check(f"APP-PUT-5: DONE size={len(_DATA) + offset} after {len(_DATA)} bytes")
