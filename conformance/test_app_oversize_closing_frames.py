"""The 64 KiB control limit holds for the frames that END a connection too (docs/SPEC.md
§1 FRM-8, FRM-16; §3.2's last row).

FRM-8: a control payload longer than 65 536 bytes "MUST be refused with
`frame_too_large`", and "FRM-3 and this limit hold for every frame whatever its type and
the state it comes in: a `DONE` or `EROR` that arrives during a transfer is judged like
an answer to a request". The cases of the limit send oversize requests (RQFL, PUTF) and
an oversize `DONE` in a put (test_app_put_oversize_control.py). A responder whose limit
lives where it parses what it acts on never applies it to the frames it only reads to
close: an `EROR` it receives (§3.2: it closes, answering nothing) or a `BYE_` (its
payload is `{}`, nothing to parse) is read whole and dropped — "we close anyway" — and
the connection ends silently instead of with `EROR frame_too_large`. Interop never sees
it: no initiator sends a 70 000-byte `EROR`.

The class: an `EROR` (a non-fatal code and a fatal one: the code must not decide) and a
`BYE_`, each padded by an undefined member (FRM-10) just above the limit, sent in IDLE
and in the middle of an accepted put (RECEIVING). The answer MUST be `EROR
frame_too_large` and then the close (ERR-3) — a silent close, or a `BYE_` echo, FAILs
FRM-8. In a put, a `BYE_` also breaks APP-BYE-1 (`unexpected_frame`), which FRM-16 lets
the responder choose. Both profiles.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import MAX_CONTROL_PAYLOAD, ExpectFrame

__all__: list[str] = []

_JUST_ABOVE: Final = MAX_CONTROL_PAYLOAD + 1
_WELL_ABOVE: Final = 70_000

_FRAMES: Final[dict[str, tuple[str, dict[str, object]]]] = {
    "eror-forbidden": ("EROR", {"code": 5, "name": "forbidden", "message": "suite"}),
    "eror-bad_frame": ("EROR", {"code": 1, "name": "bad_frame", "message": "suite"}),
    "bye": ("BYE_", {}),
}


def _padded(payload: dict[str, object], total: int) -> bytes:
    """PAYLOAD with an undefined member (FRM-10) padding it to exactly TOTAL bytes."""
    base = json.dumps({**payload, "x-pad": ""}, separators=(",", ":")).encode()
    body = json.dumps({**payload, "x-pad": "p" * (total - len(base))}, separators=(",", ":"))
    encoded = body.encode()
    assert len(encoded) == total
    return encoded


def _fits(target: Target, length: int) -> None:
    if target.limits.frame_limit < length + 64:
        pytest.skip(f"the frame limit ({target.limits.frame_limit} B) is below {length} B")


@pytest.mark.req("FRM-8", "ERR-3")
@pytest.mark.parametrize("length", [_JUST_ABOVE, _WELL_ABOVE], ids=["65537", "70000"])
@pytest.mark.parametrize("kind", sorted(_FRAMES))
def test_oversize_closing_frame_in_idle_is_frame_too_large(
    target: Target, app_channel: AppChannel, kind: str, length: int
) -> None:
    """An EROR or BYE_ of more than 65 536 bytes in IDLE: `frame_too_large`, then the
    close — not the silent close an EROR otherwise gets, not a BYE_ echo."""
    _fits(target, length)
    frame_type, members = _FRAMES[kind]
    channel = app_channel()
    try:
        channel.send_frame(frame_type, _padded(members, length))
        expect_fatal(
            channel,
            "frame_too_large",
            context=f"FRM-8: {frame_type} {kind} with a {length}-byte payload in IDLE",
            violates=("FRM-8",),
        )
    finally:
        channel.close()


@pytest.mark.req("FRM-8", "FRM-16", "ERR-3")
@pytest.mark.parametrize("kind", sorted(_FRAMES))
def test_oversize_closing_frame_in_a_put_is_refused(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A put accepted and half sent, then an EROR or BYE_ of 70 000 bytes: `frame_too_large`
    (a BYE_: or `unexpected_frame`, FRM-16), then the close; never the put's receipt."""
    require(target, "put")
    _fits(target, _WELL_ABOVE)
    data = secrets.token_bytes(2000)
    frame_type, members = _FRAMES[kind]
    channel = app_channel()
    try:
        name = fresh_name("sft-b213-ctl")
        channel.send_frame(
            "PUTF", {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
        channel.expect([ExpectFrame("RSFL")]).check(f"PUTF {name!r} of {len(data)} bytes")
        channel.send_frame("DATA", data[:1000])
        channel.send_frame(frame_type, _padded(members, _WELL_ABOVE))
        codes = ("frame_too_large", "unexpected_frame") if frame_type == "BYE_" else (
            "frame_too_large",
        )
        expect_fatal(
            channel,
            *codes,
            context=(
                f"FRM-8: {frame_type} {kind} with a {_WELL_ABOVE}-byte payload after 1000 of "
                f"the {len(data)} bytes of a put"
            ),
            violates=("FRM-8",),
        )
    finally:
        channel.close()
