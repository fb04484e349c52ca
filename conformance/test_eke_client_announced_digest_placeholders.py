"""An sft-eke/1 CLIENT checks RSFL's `sha256` whatever digest it holds (SPEC APP-GET-3).

APP-GET-3: at DONE the initiator verifies that the bytes' SHA-256 equals `DONE.sha256`
"(and `RSFL.sha256` when present)"; on a mismatch it keeps nothing and reports
`integrity_failed`. The optional member invites a shortcut: a digest that looks like no
digest — 64 zeros ("not computed yet", a zero-initialised buffer a server forgot to
fill), 64 `f`s, the SHA-256 of the empty string ("the hash of nothing yet") — is taken
for "absent", and only DONE is compared. Each is a well-formed digest (FRM-12) announced
for this file: a client that skips it keeps a file whose announcement it never checked.

The suite, as a server after an honest login, answers the get with RSFL carrying such a
digest, then the file's bytes and a DONE that matches them. The client must fail the get
with `EROR integrity_failed` (sealed), keep nothing and exit non-zero. Default run: the
zeros; slow: the other two.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_PLACEHOLDERS = {
    "zeros": "0" * 64,
    "all-f": "f" * 64,
    "empty-file-digest": hashlib.sha256(b"").hexdigest(),
}


def _announce(digest: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=digest)
        s.data(lies.CONTENT)
        s.done()
        s.await_reaction()

    return lie


@pytest.mark.req("APP-GET-3", "APP-STORE-3")
@pytest.mark.parametrize(
    "placeholder",
    [
        pytest.param(name, marks=[] if name == "zeros" else [pytest.mark.slow])
        for name in _PLACEHOLDERS
    ],
)
def test_client_checks_an_announced_digest_that_looks_like_none(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    placeholder: str,
    request: pytest.FixtureRequest,
) -> None:
    """RSFL.sha256 is a placeholder-looking digest; the bytes and DONE agree with each
    other, not with it: the get fails `integrity_failed` and nothing is kept."""
    skip_slow_variant(request)
    digest = _PLACEHOLDERS[placeholder]
    assert digest != lies.DIGEST
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _announce(digest))
    lies._judge_failed_get(
        case,
        f"APP-GET-3: RSFL announces sha256 {digest[:16]}... ({placeholder}); the bytes and "
        "DONE agree with each other",
        owed="integrity_failed",
        server=server,
        own=("APP-GET-3",),
    )
