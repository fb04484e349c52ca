"""An sft-eke/1 CLIENT takes a file's digest only as SHA-256: the right bytes' digest under
ANOTHER algorithm is no digest at all (SPEC FRM-12, APP-GET-3).

"`sha256` members MUST be exactly 64 lowercase hexadecimal characters", and the initiator
verifies that the bytes' SHA-256 equals `DONE.sha256` (and `RSFL.sha256`). A client that
kept a legacy or "compatible" path checks a digest of another length with the algorithm
that length suggests — sft-eke/0's SHA-1 (40 digits, SPEC §7.3.3 message 24), MD5 (32),
SHA-224 (56), SHA-384 (96), SHA-512 (128) — and finds that it matches. The suite sends the
bytes honestly and, in one member, their digest under that other algorithm (lowercase hex,
the only fault being the algorithm):

* in `DONE`: the get fails; the client's EROR is `bad_frame` or `integrity_failed`
  (FRM-16 allows either for a DONE whose sha256 is not of FRM-12's form);
* in `RSFL` (`DONE` honest): an optional member present in the wrong form is malformed
  (FRM-9): the get fails with `bad_frame`.

Nothing may be kept under the final name, and no temporary file may remain.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# algorithm -> the honest bytes' digest under it (lowercase hex)
_DIGESTS: dict[str, str] = {
    name: hashlib.new(name, lies.CONTENT).hexdigest()
    for name in ("sha1", "md5", "sha224", "sha384", "sha512")
}
_WHERE = ("DONE", "RSFL")
# The legacy SHA-1 in both members, and MD5 in DONE, stay in the default run.
_DEFAULT = frozenset({("DONE", "sha1"), ("RSFL", "sha1"), ("DONE", "md5")})


def _lie(where: str, digest: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        rsfl: dict[str, object] = {"name": lies.NAME, "size": lies.SIZE}
        if where == "RSFL":
            rsfl["sha256"] = digest
        s.frame("RSFL", control(rsfl))
        s.data(lies.CONTENT)
        s.done(lies.SIZE, digest if where == "DONE" else lies.DIGEST)
        s.await_reaction()

    return lie


@pytest.mark.req("FRM-12", "APP-GET-3")
@pytest.mark.parametrize(
    ("where", "algorithm"),
    [
        pytest.param(
            where,
            algorithm,
            marks=[] if (where, algorithm) in _DEFAULT else [pytest.mark.slow],
            id=f"{where.lower()}-{algorithm}",
        )
        for where in _WHERE
        for algorithm in _DIGESTS
    ],
)
def test_client_refuses_the_bytes_digest_under_another_algorithm(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    where: str,
    algorithm: str,
    request: pytest.FixtureRequest,
) -> None:
    """{where}.sha256 holds the honest bytes' `algorithm` digest (module docstring): the
    client fails the get — non-zero exit, nothing kept, no temporary — and answers
    `bad_frame` (for DONE, FRM-16 also allows `integrity_failed`)."""
    skip_slow_variant(request)
    digest = _DIGESTS[algorithm]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _lie(where, digest))
    owed = "bad_frame|integrity_failed" if where == "DONE" else "bad_frame"
    lies._judge_failed_get(
        case,
        f"FRM-12: {where}.sha256 is the bytes' {algorithm.upper()} digest "
        f"({len(digest)} hex digits), not their SHA-256",
        owed=owed,
        server=server,
        own=("FRM-12", "APP-GET-3"),
    )
