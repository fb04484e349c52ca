"""sft-eke/1 puts whose digests do not match their data, at every size (SPEC APP-PUT-5).

The responder MUST verify a put's size and SHA-256 against DONE and, when present,
PUTF.sha256 before storing, else answer `integrity_failed` (fatal) and keep nothing
under the final name. Shortcuts skip the hash on some path only: the 0-byte put
("nothing was hashed"), the put that fits in one DATA frame, the put whose PUTF announced
a digest that DONE repeats ("already known"). Each size and each way of lying is tried,
and "nothing stored" is checked from outside: a new PUTF of the same name is then
accepted, not answered `exists`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, put_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

ChannelFactory = Callable[..., EkeChannel]

_MIB = 1024 * 1024
_SIZES = [0, 1, 65536, _MIB, _MIB + 1]
# done: DONE.sha256 is wrong (PUTF without one); both: PUTF and DONE agree on the same
# wrong digest; putf: DONE is right, PUTF.sha256 is wrong.
_LIES = ["done", "both", "putf"]


def _data(size: int) -> bytes:
    block = hashlib.sha256(b"sft put digests").digest()
    return (block * (size // len(block) + 1))[:size]


@pytest.mark.req("APP-PUT-5")
@pytest.mark.parametrize("lie", _LIES)
@pytest.mark.parametrize("size", _SIZES)
def test_a_put_whose_digest_lies_is_refused_at_every_size(
    eke_target: Target, eke_channel_factory: ChannelFactory, size: int, lie: str
) -> None:
    """A put of `size` bytes whose digest lies (`lie`): its DONE MUST be answered
    `integrity_failed`, and nothing stored: a second PUTF of the name, on a new
    connection, is accepted (a stored file would make it `exists`)."""
    require(eke_target, "put")
    if size > eke_target.limits.max_file_size:
        pytest.skip(f"{size} bytes is above the declared max_file_size")
    data = _data(size)
    right = hashlib.sha256(data).hexdigest()
    wrong = hashlib.sha256(data + b"!").hexdigest()
    done_sha, putf_sha = {
        "done": (wrong, None),
        "both": (wrong, wrong),
        "putf": (right, wrong),
    }[lie]
    name = fresh_name("sft-digest")
    what = f"a put of {size} bytes, DONE.sha256={'wrong' if done_sha == wrong else 'right'}" + (
        f", PUTF.sha256={'wrong' if putf_sha == wrong else 'right'}" if putf_sha else ""
    )
    channel = eke_channel_factory()
    accepted, final = put_file(channel, name, data, done_sha=done_sha, putf_sha=putf_sha)
    accepted.check(f"APP-PUT-5: {what}: its PUTF")
    if final is None:
        raise ConformanceFailure(f"APP-PUT-5: {what}: the PUTF was refused: {accepted.describe()}")
    if final.frame is not None and final.frame.type == b"DONE":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: {what}",
            "EROR integrity_failed: the data's SHA-256 is " + right,
            final.frame.describe(),
            "the put was acknowledged as stored",
        )
    final.check(f"APP-PUT-5: {what}")
    probe = eke_channel_factory()
    probe.send_frame("PUTF", {"name": name, "size": 1})
    outcome = probe.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    outcome.check(f"APP-PUT-5: a new PUTF of {name!r} after {what} was refused")
    if outcome.frame is not None and outcome.frame.type == b"EROR":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: {what} was answered integrity_failed; then a new PUTF of {name!r}",
            "RSFL {accept}: nothing may be stored under the final name",
            outcome.frame.describe(),
            "`exists`: the lying put was stored anyway",
        )
