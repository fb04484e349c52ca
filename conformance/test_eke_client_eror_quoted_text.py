"""An sft-eke/1 CLIENT's EROR stays UTF-8 JSON whatever it quotes of the frame it refuses
(SPEC FRM-14, ERR-1, ERR-5, FRM-9).

A client that refuses a malformed frame says why in its EROR `message`, and the reason
often quotes the offending part: a duplicate key, a member. ERR-5 asks for at most 64
characters of such attacker-controlled text; the cut is where a port slips: a byte slice
(Go's `key[:64]`, C's `strncpy`, a 64-byte buffer) counts UTF-8 bytes and can stop in the
middle of a character, and the EROR then carries bytes that are not UTF-8. That EROR is a
frame the client MUST NOT emit (FRM-14: a control payload is UTF-8 JSON, FRM-8/FRM-9).

The suite answers the client's RQFL with an RSFL holding a duplicate key of non-ASCII
characters placed so that a 64-byte cut lands inside one of them (`a` then 2-byte `é`:
byte 64 is the first half of the 32nd `é`; slow: `ab` then 4-byte characters, so the
cut falls on each possible offset), and judges the client's answer: `EROR bad_frame`
(FRM-9), whose payload is a UTF-8 JSON object with the members ERR-1 names; and the get
failed with nothing kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# kind: the duplicated key (every cut of its UTF-8 at 60..68 bytes that is not at a
# character boundary splits a character)
_KEYS: dict[str, str] = {
    "a-then-2-byte-chars": "a" + "\u00e9" * 40,
    "ab-then-4-byte-chars": "ab" + "\U0001f600" * 20,
    "3-byte-chars": "\u20ac" * 30,
}
_SLOW = frozenset({"ab-then-4-byte-chars", "3-byte-chars"})


def _rsfl_with_duplicate(key: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        member = '"' + key + '":1'
        body = '{"name":"' + lies.NAME + '","size":' + str(lies.SIZE) + "," + member
        s.frame("RSFL", (body + "," + member + "}").encode("utf-8"))
        s.await_reaction()

    return lie


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=[
                pytest.mark.req("FRM-14", "ERR-1", "FRM-9", "APP-STORE-3"),
                *([pytest.mark.slow] if kind in _SLOW else []),
            ],
            id=kind,
        )
        for kind in _KEYS
    ],
)
def test_client_eror_quoting_a_non_ascii_key_is_utf8_json(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """An RSFL with a non-ASCII key given twice: the client answers EROR bad_frame whose
    payload is a UTF-8 JSON object (code, name, message), and its get fails."""
    skip_slow_variant(request)
    key = _KEYS[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _rsfl_with_duplicate(key))
    got = server.reaction
    what = (
        f"{kind}: an RSFL whose key {key[:8]!r}... ({len(key.encode())} UTF-8 bytes) is given twice"
    )
    if isinstance(got, ReceivedFrame) and got.type == b"EROR":
        try:
            text = got.payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = got.payload[max(0, exc.start - 12) : exc.end + 12]
            failure = ConformanceFailure.evidence(
                f"FRM-14: {what}",
                "the client's EROR payload is UTF-8 JSON (a quote of the key cut at a "
                "character boundary, or no quote)",
                f"its EROR payload is not UTF-8 at byte {exc.start}: ...{bad!r}...",
                note=case.describe(),
            )
            failure.violates = ("FRM-14",)
            raise failure from None
        problems = got.violations()
        if problems:
            failure = ConformanceFailure.evidence(
                f"FRM-14: {what}",
                "the client's EROR is a JSON object with code, name and message (ERR-1)",
                f"its EROR {text[:160]!r}: {'; '.join(problems)}",
                note=case.describe(),
            )
            failure.violates = tuple(
                sorted({"ERR-1" if p.startswith("ERR-1") else "FRM-14" for p in problems})
            )
            raise failure
    lies._judge_failed_get(
        case,
        what,
        owed="bad_frame",
        server=server,
        own=("FRM-9",),
    )
