"""Handshake frames inside records (SPEC §1 FRM-6, §5.5). Could move into
test_eke_records.py.

After EKE4 the handshake types are still defined by sft-eke/1, but not allowed in the
record phase (§3.2): a well-formed `EKE1`..`EKE4` sealed in an authentic record MUST be
answered `unexpected_frame` (fatal), like any other frame the state does not allow. Each
payload is well-formed for its type (every member present, lowercase hex of the exact
length), so that the malformed-payload reading of FRM-16 (`bad_frame`) does not apply.
A receiver with a separate branch for "a handshake type after the handshake" gets the
code wrong there more easily than for an undefined type.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from conformance.eke_channel import EkeChannel
from conformance.wire import ExpectError

ChannelFactory = Callable[..., EkeChannel]

_ELEMENT = 384  # bytes of A and B (EKE-FMT-*)


def _hex(length: int) -> str:
    return os.urandom(length).hex()


_HANDSHAKE_FRAMES: dict[str, Callable[[], dict[str, object]]] = {
    "EKE1": lambda: {"user": "alice", "a": _hex(_ELEMENT)},
    "EKE2": lambda: {"b": _hex(_ELEMENT), "c": _hex(48)},
    "EKE3": lambda: {"c": _hex(80)},
    "EKE4": lambda: {"c": _hex(48)},
}


@pytest.mark.req("FRM-6", "ERR-3")
@pytest.mark.parametrize("frame_type", sorted(_HANDSHAKE_FRAMES))
def test_handshake_frame_in_a_record_is_unexpected(
    eke_channel_factory: ChannelFactory, frame_type: str
) -> None:
    channel = eke_channel_factory()
    channel.send_frame(frame_type, _HANDSHAKE_FRAMES[frame_type]())
    outcome = channel.expect([ExpectError("unexpected_frame", then_close=True)])
    assert not channel.violations, channel.violations
    outcome.check(
        f"FRM-6: a well-formed {frame_type} sealed in an authentic record after EKE4 "
        "(a handshake type, not allowed in the record phase)"
    )
