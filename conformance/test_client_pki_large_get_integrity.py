"""sft-pki/1 INITIATOR: APP-GET-3's checks hold for a LARGE get too (docs/SPEC.md §3.3).

APP-GET-3: the initiator MUST verify at DONE that the bytes received match both sizes and
that their SHA-256 equals `DONE.sha256` (and `RSFL.sha256`) — "These checks hold whatever
the transfer's size and number of DATA frames". The other integrity cases use files of a
few KiB. An initiator that skips the digest above some size or frame count ("TLS's AEAD
already protects the bytes; hashing 4 GiB costs a core for minutes") passes them and keeps
a large corrupted file.

Each case is a get of 40 MiB in full 1 MiB DATA frames (above 16 MiB, 32 MiB and 32
frames, the usual cut-offs), whose sizes all agree: one byte of the last MiB differs
from what the digests describe. DONE.sha256 (RSFL carrying none), or RSFL.sha256 (DONE
describing the bytes sent) must refuse it: `EROR integrity_failed`, non-zero exit,
nothing kept, no temporary left (APP-GET-3, APP-STORE-3).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_pki_initiator_transfer import (
    LyingResponder,
    _judge_failed_get,
    _run_lie,
)
from conformance.wire import MAX_DATA_PAYLOAD, control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_MIB = 1 << 20
LARGE = 40 * _MIB


def _bodies() -> tuple[bytes, bytes]:
    """(what the digests describe, what is sent): 40 MiB, one byte apart in the last MiB."""
    block = hashlib.sha256(b"large get").digest() * (_MIB // 32)
    described = bytearray(block * (LARGE // _MIB))
    sent = bytearray(described)
    sent[LARGE - _MIB // 2] ^= 0x01
    return bytes(described), bytes(sent)


def _lie(digest_in: str) -> object:
    described, sent = _bodies()
    right, wrong = hashlib.sha256(described).hexdigest(), hashlib.sha256(sent).hexdigest()

    def lie(r: LyingResponder) -> None:
        rsfl: dict[str, object] = {"name": "offered.bin", "size": LARGE}
        if digest_in == "rsfl":
            rsfl["sha256"] = right
        r.frame("RSFL", control(rsfl))
        r.data(sent, chunk=MAX_DATA_PAYLOAD)
        r.frame(
            "DONE", control({"size": LARGE, "sha256": right if digest_in == "done" else wrong})
        )
        r.await_reaction()

    return lie


_CASES = [
    pytest.param("done", id="done-sha256-describes-other-bytes"),
    pytest.param("rsfl", id="rsfl-sha256-describes-other-bytes", marks=pytest.mark.slow),
]


@pytest.mark.req("APP-GET-3", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize("digest_in", _CASES)
def test_initiator_checks_the_digest_of_a_large_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, digest_in: str
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _lie(digest_in))  # type: ignore[arg-type]
    _judge_failed_get(
        got,
        f"APP-GET-3: a get of {LARGE} bytes in 1 MiB DATA frames, sizes all agreeing, whose "
        f"{digest_in.upper()}.sha256 describes bytes one bit apart from those sent (in the "
        "last MiB)",
        "integrity_failed",
        ("APP-GET-3",),
    )
