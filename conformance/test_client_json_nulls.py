"""JSON `null` in place of a typed member, as an initiator receives it (docs/SPEC.md §1).

The initiator's side of test_app_json_nulls.py: the responder answers the get with
`RSFL {"name": ..., "size": ..., "sha256": null}`, then the file's bytes and an honest
DONE. A client whose JSON library reads `null` as "absent" (Go's encoding/json into a
`*string`, Jackson or System.Text.Json into a nullable field, JavaScript's `??`) takes
it for an RSFL without a digest and keeps the file. FRM-12: `sha256` is a JSON string of
64 lowercase hex characters, an optional member that is present too; FRM-9: a member of
the wrong JSON type is `bad_frame`. The get fails, with `EROR bad_frame`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")
_EKE_GROUP = pytest.mark.xdist_group("eke-client")

Peer = eke_lies.LyingServer | pki_lies.LyingResponder
PeerLie = Callable[[Peer], None]

# The RSFL answering the get, with `sha256` null (placed last and first: a hand-written
# scanner may look at the first member only).
_RSFL_NULLS = {
    "sha256-null": b'{"name":"%s","size":%d,"sha256":null}',
    "sha256-null-first": b'{"sha256":null,"name":"%s","size":%d}',
}


def _rsfl_null_then_file(case: str, name: str, size: int, content: bytes) -> PeerLie:
    payload = _RSFL_NULLS[case].replace(b"%s", name.encode()).replace(b"%d", str(size).encode())

    def lie(peer: Peer) -> None:
        peer.frame("RSFL", payload)
        peer.data(content)
        peer.done()

    return lie


def _what(case: str) -> str:
    return (
        f"FRM-12: RSFL with sha256 null ({case}) answering the RQFL, then the file's bytes "
        "and an honest DONE"
    )


@_EKE_GROUP
@pytest.mark.req("FRM-12", "FRM-9")
@pytest.mark.parametrize("case", sorted(_RSFL_NULLS))
def test_eke_client_refuses_an_rsfl_whose_sha256_is_null(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    lie = _rsfl_null_then_file(case, eke_lies.NAME, eke_lies.SIZE, eke_lies.CONTENT)
    client, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        client, _what(case), owed="bad_frame", server=server, own=("FRM-9", "FRM-12")
    )


@_PKI
@pytest.mark.req("FRM-12", "FRM-9")
@pytest.mark.parametrize("case", sorted(_RSFL_NULLS))
def test_pki_initiator_refuses_an_rsfl_whose_sha256_is_null(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    lie = _rsfl_null_then_file(case, pki_lies.NAME, pki_lies.SIZE, pki_lies.CONTENT)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, _what(case), "bad_frame", ("FRM-9", "FRM-12"))
