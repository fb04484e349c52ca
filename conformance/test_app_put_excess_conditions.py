"""DATA beyond a put's announced size is refused at once WHATEVER else is true of the put
(docs/SPEC.md §3.4 APP-PUT-6, §3.6 APP-STORE-4).

The cases beside this one (test_app_put.py) send the excess in the simplest put there
is: a PUTF without `sha256`, alone on the target. The excess check then has two ways to
be right by accident:

- a check made only for puts without a digest ("`PUTF.sha256` will catch it at DONE"):
  the put that announces its digest is written on past its size and refused once the
  payload reached the disk, or at DONE;
- a check against the wrong put's size: one "expected size" for the whole server (a
  global, a class attribute, the last PUTF of any connection). Alone on the target it
  is the put's own; with a larger put in progress on another connection, announced
  after this one, it is that put's.

Each case: PUTF (announcing 100 bytes) accepted, then a DATA frame of 300 bytes — over
sft-pki/1 its 8-byte header only (APP-PUT-6: the header suffices, the payload is
withheld), over sft-eke/1 the whole frame (a record carries whole frames, EKE-REC-1).
The answer MUST be `EROR integrity_failed` and the close, without a DONE from us; the
other connection's put, when there is one, MUST then complete (its DONE answered DONE):
it is not disturbed. Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import os
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, header_bytes

__all__: list[str] = []

_ANNOUNCED: Final = 100
_EXCESS_FRAME: Final = 300
_OTHER_SIZE: Final = 64 * 1024  # the other connection's (larger) put


def _accept(channel: Channel, offer: dict[str, object], what: str) -> None:
    channel.send_frame("PUTF", offer)
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"{what}: PUTF {offer}")


def _send_excess(target: Target, channel: Channel) -> str:
    """The DATA frame beyond the announced size: header only over sft-pki/1."""
    if target.profile == "pki":
        channel.send_raw(header_bytes("DATA", _EXCESS_FRAME))
        return f"the header of a DATA frame of {_EXCESS_FRAME} bytes (its payload withheld)"
    channel.send_frame("DATA", os.urandom(_EXCESS_FRAME))
    return f"a DATA frame of {_EXCESS_FRAME} bytes"


def _refused_at_once(target: Target, channel: Channel, context: str) -> None:
    expect_fatal(channel, "integrity_failed", context=context, violates=("APP-PUT-6",))


@pytest.mark.req("APP-PUT-6", "APP-STORE-4")
@pytest.mark.parametrize("digest", ["right", "wrong"])
def test_excess_refused_when_putf_carries_sha256(
    target: Target, app_channel: AppChannel, digest: str
) -> None:
    """PUTF {name, size 100, sha256} (the digest of the 100 bytes it means to send, or
    another), accepted; then DATA beyond 100 bytes: integrity_failed at once."""
    require(target, "put")
    meant = os.urandom(_ANNOUNCED)
    sha = hashlib.sha256(meant if digest == "right" else b"other").hexdigest()
    channel = app_channel()
    try:
        offer = {"name": fresh_name("sft-excess-digest"), "size": _ANNOUNCED, "sha256": sha}
        _accept(channel, offer, "APP-PUT-6")
        sent = _send_excess(target, channel)
        _refused_at_once(
            target,
            channel,
            f"APP-PUT-6: PUTF announcing {_ANNOUNCED} bytes and their sha256 ({digest} "
            f"digest), accepted; then {sent}, no DONE",
        )
    finally:
        channel.close()


@pytest.mark.req("APP-PUT-6", "APP-STORE-4")
@pytest.mark.parametrize("order", ["other-announced-after", "other-announced-before"])
def test_excess_refused_beside_a_larger_put_in_progress(
    target: Target, app_channel: AppChannel, order: str
) -> None:
    """Connection B's put of 64 KiB is in progress (accepted, some bytes sent) when
    connection A's put of 100 bytes gets DATA beyond 100: A is refused integrity_failed at
    once, judged by its own size; then B's put completes and is answered DONE."""
    require(target, "put")
    content = os.urandom(_OTHER_SIZE)
    other_offer = {"name": fresh_name("sft-excess-other"), "size": len(content)}
    offer = {"name": fresh_name("sft-excess-own"), "size": _ANNOUNCED}
    own, other = app_channel(), app_channel()
    try:
        if order == "other-announced-after":
            _accept(own, offer, "APP-PUT-6 (connection A)")
            _accept(other, other_offer, "APP-PUT-6 (connection B)")
        else:
            _accept(other, other_offer, "APP-PUT-6 (connection B)")
            _accept(own, offer, "APP-PUT-6 (connection A)")
        other.send_frame("DATA", content[:1024])
        sent = _send_excess(target, own)
        _refused_at_once(
            target,
            own,
            f"APP-PUT-6: connection A's PUTF announcing {_ANNOUNCED} bytes accepted, "
            f"connection B's PUTF of {_OTHER_SIZE} bytes accepted "
            f"({'after' if order == 'other-announced-after' else 'before'} A's) and 1024 of "
            f"its bytes sent; then on A {sent}, no DONE",
        )
        other.send_frame("DATA", content[1024:])
        other.send_frame(
            "DONE", {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        )
        answer = other.expect([ExpectFrame("DONE")])
        if not answer.ok:
            failure = ConformanceFailure.evidence(
                f"APP-PUT-6: connection B's put of {_OTHER_SIZE} bytes, after connection A's "
                "put was refused integrity_failed",
                "DONE: another connection's excess does not disturb this put",
                answer.describe(),
            )
            failure.violates = ("APP-PUT-6", "APP-STORE-4")
            raise failure
    finally:
        own.close()
        other.close()
