"""sft-eke/1: after EKE4 only `RECD` frames are records, even sealed ones (SPEC §5.5
EKE-REC-5, EKE-REC-3).

"After EKE4, a plaintext frame of any type MUST be treated as a failure (close)." A
record is `RECD | u32be(len(C)) | C` and its 8-byte header is the AEAD's associated data
(EKE-REC-3). A record reader that skips the type check because "the AD authenticates the
header anyway" opens any frame whose body happens to be sealed under the right key and
nonce with ITS header as AD — a `DATA`, `EKE3` or `RQFL` frame, in clear by its type, is
then taken as a record. Honest peers never send one; the suite, which holds the client's
keys, does: each frame below carries, sealed with the client's record key and the next
sequence number over that frame's own header, an RQFL for a file of the share. The
responder MUST NOT answer the request: it closes (an `EROR` first is its choice: a fatal
code, sealed in a record).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from conformance import eke
from conformance._wire_fixtures import known_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    control,
    frame_bytes,
)

ChannelFactory = Callable[..., EkeChannel]

_FATAL = ("bad_frame", "unexpected_frame", "frame_too_large", "auth_failed", "internal")


@pytest.mark.req("EKE-REC-5")
@pytest.mark.parametrize("frame_type", [b"DATA", b"RQFL", b"EKE3", b"RECE", b"REC_"])
def test_a_sealed_frame_of_another_type_is_not_a_record(
    eke_target: Target, eke_channel_factory: ChannelFactory, frame_type: bytes
) -> None:
    require(eke_target, "get")
    name = known_file(eke_target).name
    channel = eke_channel_factory()
    inner = frame_bytes(b"RQFL", control({"name": name}))
    header = frame_type + struct.pack(">I", len(inner) + eke.RECORD_TAG_LEN)
    sender = channel.sender
    sealed = eke.aead_seal(sender.key, eke.record_nonce(sender.iv, sender.seq), inner, header)
    sender.seq += 1
    channel.raw.send_raw(header + sealed)
    outcome = channel.expect([ExpectError(*_FATAL), ExpectClose()])
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"EKE-REC-5: after EKE4, a {frame_type.decode()} frame whose body is the RQFL "
            f"{name!r} sealed like a record (client key, next sequence number, its own "
            "header as associated data)",
            "the close (a fatal EROR first is allowed): only RECD frames are records",
            outcome.describe(),
            "the record header's type was not checked: a frame in clear was opened",
        )
