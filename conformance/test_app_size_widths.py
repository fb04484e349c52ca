"""Sizes beyond 32 bits: the maximum file size judged on the whole number (docs/SPEC.md §3.3
APP-GET-2, §3.4 APP-PUT-7, §6 LIM-3).

A size is a JSON integer up to 2^63 − 1 (FRM-11) and a file's size is what the file
system says; a responder that keeps either in a narrower width — a signed 32-bit int (C
`int`, Java `int`), an unsigned 32-bit one, a `size & 0xFFFFFFFF` — compares the wrapped
value with its limit: 2^31 + 1 turns negative, 2^32 + 1 turns into 1, and a file or a put
far above the limit passes as tiny. Other cases judge the limit's edge (max, max + 1); this
one judges sizes whose low 32 bits are small:

* a put announcing such a size MUST be answered `too_large` before any data [APP-PUT-7]
  (non-fatal: a get on the same connection is then served);
* a get of a file of such a size MUST NOT be served [APP-GET-2, LIM-3]: the file is
  sparse (a few blocks on disk), created in the target's declared share (`share`, a
  responder on the suite's own host), and the answer must be `too_large` — no RSFL, no
  data (the case never reads gigabytes: an RSFL is the failure).

Sizes at or below the target's declared max file size are left out (a target whose limit
is above 4 GiB is not judged on them).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

# name -> size as a function of the declared limit L: each wraps to a small number (or a
# negative one) in some narrower width, never in 64 bits.
_SIZES: dict[str, int] = {
    "2^31 + 1 (negative as an int32)": 2**31 + 1,
    "2^32 + 1 (1 as a uint32)": 2**32 + 1,
    "2^32 + 2^31 + 7 (negative as an int32 of its low bits)": 2**32 + 2**31 + 7,
    "2^40 + 1 (1 as a uint32)": 2**40 + 1,
}
_PUT_ONLY: dict[str, int] = {
    "2^63 - 1 (the largest size, FRM-11)": 2**63 - 1,
    "2^53 + 1 (not a double)": 2**53 + 1,
}


def _limit(target: Target) -> int:
    limit = target.limits.max_file_size
    if limit is None:
        pytest.skip("the target declares no max file size (limits.max_file_size)")
    return int(limit)


def _wrapped_small(size: int, limit: int) -> bool:
    """Whether `size` passes as at most `limit` in a 32-bit width (what the case is for)."""
    low = size & 0xFFFFFFFF
    signed = low - 2**32 if low >= 2**31 else low
    return size > limit and (low <= limit or signed <= limit)


@contextlib.contextmanager
def _sparse_file(share: Path, size: int) -> Iterator[str]:
    name = f"sft-conformance-wide-{secrets.token_hex(5)}.bin"
    path = share / name
    try:
        with path.open("wb") as f:
            f.truncate(size)  # sparse: no data blocks written
    except OSError as exc:
        path.unlink(missing_ok=True)
        pytest.skip(f"cannot make a sparse file of {size} bytes in the declared share: {exc}")
    try:
        if os.stat(path).st_size != size:
            pytest.skip(f"the share's file system did not keep a {size}-byte sparse file")
        yield name
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.req("APP-PUT-7", "LIM-3")
@pytest.mark.parametrize("label", [*_SIZES, *_PUT_ONLY])
def test_a_put_whose_size_wraps_in_32_bits_is_too_large(
    target: Target, app_channel: AppChannel, label: str
) -> None:
    require(target, "put")
    limit = _limit(target)
    size = {**_SIZES, **_PUT_ONLY}[label]
    if size <= limit:
        pytest.skip(f"{label} is within the target's max file size ({limit})")
    channel = app_channel()
    name = fresh_name("sft-wide")
    channel.send_frame("PUTF", {"name": name, "size": size})
    answer = channel.expect([ExpectError("too_large"), ExpectFrame("RSFL")])
    if not answer.ok or answer.frame is None or answer.frame.error_name != "too_large":
        raise ConformanceFailure.evidence(
            f"APP-PUT-7: PUTF {name!r} announcing {size} bytes = {label} (max file size "
            f"{limit})",
            "EROR too_large (non-fatal), before any data",
            answer.describe(),
            "the size compared in a 32-bit or floating-point width passes as small",
        )
    # too_large is not fatal: the connection still serves a get (ERR-3).
    if target.has("get"):
        get_file(channel, known_file(target).name)


@pytest.mark.req("APP-GET-2", "LIM-3")
@pytest.mark.parametrize("label", list(_SIZES))
def test_a_file_whose_size_wraps_in_32_bits_is_not_served(
    target: Target, app_channel: AppChannel, label: str
) -> None:
    require(target, "get")
    limit = _limit(target)
    size = _SIZES[label]
    if not _wrapped_small(size, limit):
        pytest.skip(f"{label} is within the target's max file size ({limit})")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    with _sparse_file(share, size) as name:
        channel = app_channel()
        result = get_file(channel, name, also=[ExpectError("too_large")], served=False)
        if result.refused is None:  # (get_file has raised already on an RSFL)
            raise ConformanceFailure(f"APP-GET-2: {name!r} ({size} bytes) was not refused")
        # too_large is not fatal: the same connection serves a file within the limit.
        get_file(channel, known_file(target).name)
