"""sft-eke/1: a record authenticates under its 8-byte header and nothing else (SPEC §5.5
EKE-REC-3, EKE-REC-4).

"The associated data MUST be the record's 8-byte header." A receiver that, when a record
fails, tries it again under another associated data — none ("an early peer sealed without
AD"), the type alone, the inner frame's length or header — accepts records whose header
nothing authenticates. The suite holds the client's keys: each record below carries an
RQFL for a file of the share, sealed with the client's record key and the right sequence
number, but over another associated data than its header. The responder MUST NOT answer
the request: it closes (a fatal EROR first, sealed, is its choice).
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

# name -> the associated data used instead of the header, from (header, inner)
_WRONG_AD: dict[str, Callable[[bytes, bytes], bytes]] = {
    "empty": lambda header, inner: b"",
    "type only": lambda header, inner: header[:4],
    "length only": lambda header, inner: header[4:],
    "inner length": lambda header, inner: b"RECD" + struct.pack(">I", len(inner)),
    "inner header": lambda header, inner: inner[:8],
    "length as u64": lambda header, inner: b"RECD" + struct.pack(">Q", len(inner) + 16),
    "header twice": lambda header, inner: header + header,
}


@pytest.mark.req("EKE-REC-3", "EKE-REC-4")
@pytest.mark.parametrize("form", list(_WRONG_AD))
def test_a_record_sealed_over_another_ad_is_refused(
    eke_target: Target, eke_channel_factory: ChannelFactory, form: str
) -> None:
    require(eke_target, "get")
    name = known_file(eke_target).name
    channel = eke_channel_factory()
    inner = frame_bytes(b"RQFL", control({"name": name}))
    header = b"RECD" + struct.pack(">I", len(inner) + eke.RECORD_TAG_LEN)
    ad = _WRONG_AD[form](header, inner)
    sender = channel.sender
    sealed = eke.aead_seal(sender.key, eke.record_nonce(sender.iv, sender.seq), inner, ad)
    sender.seq += 1
    channel.raw.send_raw(header + sealed)
    outcome = channel.expect([ExpectError(*_FATAL), ExpectClose()])
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"EKE-REC-3: a RECD whose body is the RQFL {name!r} sealed with the client's key "
            f"and the next sequence number, but over the associated data {form!r} "
            f"({ad.hex() or 'nothing'}) instead of its header {header.hex()}",
            "the close (a fatal EROR first is allowed): the record does not authenticate",
            outcome.describe(),
            "the record was opened under another associated data than its 8-byte header",
        )
