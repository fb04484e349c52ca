"""An sft-eke/1 CLIENT takes a `sha256` member only as 64 lowercase hexadecimal digits, even
when another spelling denotes the right digest (SPEC FRM-12).

"`sha256` members MUST be exactly 64 lowercase hexadecimal characters." A digest has
other well-known spellings, and a reader that is "liberal in what it accepts" decodes
them: the algorithm-tagged form of Subresource Integrity and multihash-like headers
(`sha256:<hex>`), base64 (44 characters, SRI's `sha256-<base64>` body), base64url without
padding (43 characters, JOSE), a `0x`-prefixed hex number. Each is a string of the wrong
form, malformed whatever it decodes to; the suite sends the RIGHT digest in that spelling,
so only the form is wrong:

* in `DONE` (the bytes and every other member honest): the get fails; the client's EROR
  is `bad_frame` or `integrity_failed` (FRM-16: "a DONE whose size or sha256 is ... not of
  the form FRM-11 / FRM-12 give" may be answered either);
* in `RSFL` (an optional member present in the wrong form is malformed, FRM-9), `DONE`
  honest: the get fails; the EROR is `bad_frame`.

Nothing may be kept under the final name, and no temporary file may remain.
"""

from __future__ import annotations

import base64
import binascii
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

_RAW = binascii.unhexlify(lies.DIGEST)

# spelling: the right digest written that way
_FORMS: dict[str, str] = {
    "algorithm-tagged": "sha256:" + lies.DIGEST,
    "base64": base64.b64encode(_RAW).decode("ascii"),
    "base64url-unpadded": base64.urlsafe_b64encode(_RAW).decode("ascii").rstrip("="),
    "0x-prefixed": "0x" + lies.DIGEST,
}
_WHERE = ("DONE", "RSFL")
# One variant per common lenient decoder stays in the default run (each is a client run).
_DEFAULT = frozenset({("DONE", "algorithm-tagged"), ("RSFL", "base64")})


def _lie(where: str, sha: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        rsfl: dict[str, object] = {"name": lies.NAME, "size": lies.SIZE}
        if where == "RSFL":
            rsfl["sha256"] = sha
        s.frame("RSFL", control(rsfl))
        s.data(lies.CONTENT)
        s.done(lies.SIZE, sha if where == "DONE" else lies.DIGEST)
        s.await_reaction()

    return lie


@pytest.mark.req("FRM-12")
@pytest.mark.parametrize(
    ("where", "form"),
    [
        pytest.param(
            where,
            form,
            marks=[] if (where, form) in _DEFAULT else [pytest.mark.slow],
            id=f"{where.lower()}-sha256-{form}",
        )
        for where in _WHERE
        for form in _FORMS
    ],
)
def test_client_refuses_the_right_digest_in_another_spelling(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    where: str,
    form: str,
    request: pytest.FixtureRequest,
) -> None:
    """{where}.sha256 holds the file's right SHA-256 spelled `form` (module docstring):
    the client fails the get — non-zero exit, nothing kept, no temporary — and answers
    `bad_frame` (for DONE, FRM-16 also allows `integrity_failed`)."""
    skip_slow_variant(request)
    sha = _FORMS[form]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _lie(where, sha))
    owed = "bad_frame|integrity_failed" if where == "DONE" else "bad_frame"
    lies._judge_failed_get(
        case,
        f"FRM-12: {where}.sha256 is the right digest spelled {form} ({sha!r})",
        owed=owed,
        server=server,
        own=("FRM-12",),
    )
