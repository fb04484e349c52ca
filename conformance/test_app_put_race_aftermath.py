"""The loser of a put race is told `exists` whatever its bytes, and its connection is then
as clean as a fresh one (docs/SPEC.md §3.4 APP-PUT-8, APP-PUT-5; §2 ERR-3); both profiles.

APP-PUT-8: of concurrent puts of one name "the first put to be verified and stored wins,
and every other one MUST then be answered `exists` (at `PUTF`, or instead of its `DONE`)".
Every other one: also one whose bytes equal the winner's. A responder that takes such a
loser for "an idempotent retry" and answers `DONE`, or stores it under another name
(`NAME (1).EXT`) to "never lose an upload", tells its initiator that a put was stored
that the SPEC says was refused; a case whose two puts differ never meets the first.

ERR-3: `exists` is non-fatal, "the connection returns to the idle state". The `exists`
instead of a `DONE` comes from a path of its own (the final link fails after the bytes
were received and verified), where per-put state is easily left behind because the
success path is the one that resets it: the running SHA-256 or byte count of the put
(the next put's digest then covers both puts' bytes and an honest put is refused
`integrity_failed`, APP-PUT-5), a "put in progress" flag (the next `PUTF` is
`unexpected_frame`), the put's name or size. Such residue shows only on the NEXT put of
that connection, which test_app_put_race_loser.py does not make when the target serves
gets.

The interleaving is fixed by the answers, never by time: both `PUTF`s are answered before
any `DONE` is sent, the first connection's `DONE` is answered before the second's is
sent. Then, on the loser's connection: a put of a fresh name, of another size, in uneven
DATA frames (one byte, then a larger one, then the rest) answered `DONE` with its own size
and digest; a get of a known file (with the `get` feature) served whole; and `BYE_`
echoed or followed by the close (never an `EROR`).
"""

from __future__ import annotations

import hashlib
from typing import NoReturn

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    Outcome,
)

__all__: list[str] = []

_SIZE = 3000
_WINNER = bytes(range(256)) * 11 + bytes(range(_SIZE - 256 * 11))
_LOSERS = {
    "the winner's very bytes": _WINNER,
    "other bytes of the same size": bytes(reversed(_WINNER)),
}
# The follow-up put: another size, in uneven frames, so that a carried count, size or
# digest cannot match it by chance.
_NEXT = b"after the race\n" * 700
_NEXT_FRAMES = (1, 4097, len(_NEXT) - 4098)


def _fail(context: str, expected: str, outcome: Outcome | str, violates: str) -> NoReturn:
    actual = outcome if isinstance(outcome, str) else outcome.describe()
    failure = ConformanceFailure.evidence(context, expected, actual)
    failure.violates = (violates,)
    raise failure


def _send_put(channel: Channel, data: bytes, frames: tuple[int, ...]) -> None:
    offset = 0
    for size in frames:
        channel.send_frame("DATA", data[offset : offset + size])
        offset += size
    assert offset == len(data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def _judge_follow_up(target: Target, channel: Channel, context: str) -> None:
    """A fresh put, a get and BYE_ on the loser's connection, each as on a new one."""
    name = fresh_name("sft-race-next")
    channel.send_frame("PUTF", {"name": name, "size": len(_NEXT)})
    offer = channel.expect([ExpectFrame("RSFL", {"accept": True})])
    if not offer.ok:
        _fail(
            f"{context}; then PUTF {name!r} ({len(_NEXT)} bytes) on that connection",
            'RSFL {"accept": true}: after the non-fatal `exists` the connection is IDLE and '
            "no put is in progress on it",
            offer,
            "ERR-3",
        )
    _send_put(channel, _NEXT, _NEXT_FRAMES)
    digest = hashlib.sha256(_NEXT).hexdigest()
    receipt = channel.expect([ExpectFrame("DONE", {"size": len(_NEXT), "sha256": digest})])
    if not receipt.ok:
        _fail(
            f"{context}; then an honest put of {len(_NEXT)} bytes in DATA frames of "
            f"{', '.join(map(str, _NEXT_FRAMES))} bytes on that connection",
            f"DONE {{size: {len(_NEXT)}, sha256: {digest[:16]}…}}: the put is verified on its "
            "own bytes (nothing of the refused put's size, count or digest carried over)",
            receipt,
            "APP-PUT-5",
        )
    if target.has("get") and target.files:
        known = next((f for f in target.files if f.size > 0), target.files[0])
        try:
            got = get_file(channel, known.name)
        except ConformanceFailure as failure:
            _fail(
                f"{context}; then RQFL {known.name!r} on that connection",
                "RSFL, the file's bytes and DONE",
                str(failure),
                "ERR-3",
            )
        if got.refused is not None or len(got.data) != known.size:
            _fail(
                f"{context}; then RQFL {known.name!r} ({known.size} bytes) on that connection",
                "the known file served whole",
                f"{len(got.data)} bytes, refused: "
                f"{got.refused.describe() if got.refused is not None else 'no'}",
                "ERR-3",
            )
    channel.send_frame("BYE_", {})
    bye = channel.expect([ExpectFrame("BYE_"), ExpectClose()])
    if not bye.ok:
        _fail(
            f"{context}; then BYE_ on that connection, between transfers",
            "BYE_ echoed, or the close (APP-BYE-1): no transfer is in progress",
            bye,
            "ERR-3",
        )


@pytest.mark.req("APP-PUT-8", "APP-PUT-5", "ERR-3")
@pytest.mark.parametrize("loser", list(_LOSERS), ids=["same-bytes", "other-bytes"])
def test_race_loser_told_exists_then_served_like_a_fresh_connection(
    target: Target, app_channel: AppChannel, loser: str
) -> None:
    require(target, "put")
    if target.limits.max_file_size < max(_SIZE, len(_NEXT)):
        pytest.skip(f"the max file size ({target.limits.max_file_size} B) is below these puts")
    name = fresh_name("sft-race")
    second_bytes = _LOSERS[loser]
    one, two = app_channel(), app_channel()
    one.send_frame("PUTF", {"name": name, "size": _SIZE})
    one.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    two.send_frame("PUTF", {"name": name, "size": _SIZE})
    offer = two.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    offer.check(f"APP-PUT-8: a second PUTF of {name!r} while the first is in progress")
    if offer.frame is not None and offer.frame.type == b"EROR":
        _send_put(one, _WINNER, (_SIZE,))
        one.expect([ExpectFrame("DONE")]).check(f"the first put of {name!r}")
        context = f"a second PUTF of {name!r} answered `exists` at its PUTF (a put in progress)"
    else:
        _send_put(one, _WINNER, (_SIZE,))
        one.expect([ExpectFrame("DONE")]).check(f"the put of {name!r} verified first")
        _send_put(two, second_bytes, (_SIZE,))
        late = two.expect([ExpectError("exists")])
        if not late.ok:
            _fail(
                f"APP-PUT-8: two puts of {name!r} accepted on two connections; the first "
                f"stored (DONE); then the second's DATA ({loser}) and DONE",
                "EROR exists instead of its DONE: the first put verified and stored won, "
                "every other one is answered `exists`, whatever its bytes",
                late,
                "APP-PUT-8",
            )
        context = (
            f"a put of {name!r} ({loser}) answered `exists` instead of its DONE (another "
            "connection's put of that name was stored first)"
        )
    _judge_follow_up(target, two, context)
