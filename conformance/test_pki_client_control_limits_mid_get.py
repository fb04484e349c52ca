"""FRM-3 and FRM-8 at an sft-pki/1 INITIATOR, for the control frames that come AFTER the
get's DATA began (docs/SPEC.md FRM-3, FRM-8, FRM-16, ERR-3).

FRM-3: a receiver MUST reject a frame whose announced length exceeds its limit with
`frame_too_large` as soon as the 8-byte header has arrived, without waiting for the
payload, and then close. FRM-8: a control payload above 65 536 bytes MUST be refused with
`frame_too_large` (judged from the header, or once the payload within the frame limit has
arrived). Both are about every frame, whatever its type and whenever it comes. The
oversize cases elsewhere put the header in place of the answer to RQFL (an RSFL, an EROR)
or make it a DATA frame; what an implementer skips is the check on the frame that ENDS a
get — "a DONE is two members, it is small", a reader that takes DONE's payload whole
because the DATA path (which has its own bound) just handed over, an EROR "always let
through" in the middle of a transfer.

The suite's responder answers the RQFL with an honest RSFL and two DATA frames, then:
a DONE header announcing 2^31 bytes and nothing more (its side held open); a DONE of
70 000 bytes (the honest size and digest, padded with JSON white space, sent whole: a
receiver that skips FRM-8 for DONE would keep the file); an EROR header announcing
2^32-1 bytes; an RSFL header announcing 2^31 bytes (a frame also not allowed there:
`unexpected_frame` is as good, FRM-16). The get MUST fail with the owed EROR, non-zero
exit, nothing kept, no temporary left, and the initiator MUST end its side within 2.5 s
of its EROR (ERR-3: at once, not after waiting for the announced payload).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_END_WAIT = 2.5  # ERR-3: 2 s, and a little for the suite's own reading
_BIG_CONTROL = 70_000  # above FRM-8's 65 536, within the default frame limit (FRM-3)


def _padded_done(total: int) -> bytes:
    """An honest DONE payload of exactly `total` bytes: the object, then JSON white space."""
    obj = json.dumps({"size": lies.SIZE, "sha256": lies.DIGEST}).encode()
    return obj + b" " * (total - len(obj))


def _mid_get(tail: bytes, ends: list[tuple[Event, float]]) -> lies.Lie:
    """An honest RSFL and two DATA frames, then `tail` (a header, or a whole frame)."""

    def lie(r: lies.LyingResponder) -> None:
        r.rsfl(sha256=lies.DIGEST)
        r.data(lies.CONTENT[: 2 * lies.CHUNK])
        r.channel.send_raw(tail)
        event = r.await_reaction()
        answered = time.monotonic()
        end = deadline_after(_END_WAIT)
        for _ in range(8):  # bounded: the end, after at most a few stray frames
            if not isinstance(event, ReceivedFrame):
                break
            event = r.channel.recv_frame(end)
        ends.append((event, time.monotonic() - answered))

    return lie


_CASES: dict[str, tuple[bytes, str, tuple[str, ...]]] = {
    "done-2gib": (header_bytes("DONE", 1 << 31), "frame_too_large", ("FRM-3",)),
    "done-70000-whole": (
        header_bytes("DONE", _BIG_CONTROL) + _padded_done(_BIG_CONTROL),
        "frame_too_large",
        ("FRM-8",),
    ),
    "eror-4gib": (header_bytes("EROR", 0xFFFFFFFF), "frame_too_large", ("FRM-3",)),
    "rsfl-2gib": (
        header_bytes("RSFL", 1 << 31),
        "frame_too_large|unexpected_frame",
        ("FRM-3",),
    ),
}


@pytest.mark.req("FRM-3", "FRM-8", "ERR-3", "APP-STORE-3")
@pytest.mark.parametrize("case", list(_CASES))
def test_initiator_judges_the_length_of_every_frame_mid_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    tail, owed, own = _CASES[case]
    ends: list[tuple[Event, float]] = []
    got = lies._run_lie(target, tmp_path, transcripts, _mid_get(tail, ends))
    what = (
        f"{own[0]}: {case}: after an honest RSFL and two DATA frames, a frame whose header "
        f"announces {int.from_bytes(tail[4:8], 'big')} bytes ({tail[:4]!r})"
    )
    lies._judge_failed_get(got, what, owed, own)
    end, waited = ends[0] if ends else (None, 0.0)
    if end is None or isinstance(end, (TimedOut, ReceivedFrame)):
        shown = end.describe() if end is not None else "nothing (the suite had closed)"
        failure = ConformanceFailure.evidence(
            what,
            f"EROR {owed}, then the initiator's close within {_END_WAIT:g} s (ERR-3: at "
            "once), without waiting for the announced payload",
            f"after its EROR, {shown} ({waited:.1f} s)",
            note=got.describe(),
        )
        failure.violates = (*own, "ERR-3")
        raise failure
