"""An sft-eke/1 CLIENT that refuses an RSFL naming another file refuses it with
`bad_frame`, or ignores the name (SPEC APP-GET-7, ERR-2, ERR-3).

APP-GET-7: "when RSFL.name differs from its request it MAY fail the transfer (`EROR
bad_frame`, fatal) or ignore the name — both are conforming". A third answer is tempting
and wrong: `forbidden` ("the name is not acceptable", ERR-2). It is a responder's
non-fatal refusal of a request; from the initiator in the middle of a get it tells the
server the connection goes on (ERR-3: after a non-fatal EROR the connection returns to
IDLE) while the get's DATA is still on its way, and it is not the answer the SPEC names.

The suite answers the client's RQFL with `RSFL {name: <another name>, size, sha256}`, the
file's bytes and an honest DONE, and judges:

* the client sent an EROR: it is `bad_frame`, its get failed, nothing is kept;
* it sent none: the get completed under the output name the client was given (the other
  name ignored), or failed with nothing kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# kind: the RSFL name (the request is lies.NAME, "offered.bin")
_NAMES: dict[str, str] = {
    "another-name": "another.bin",
    "upper-case": lies.NAME.upper(),
    "dot-dot-prefixed": "../" + lies.NAME,
}
_SLOW = frozenset({"upper-case", "dot-dot-prefixed"})


def _renamed(name: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame("RSFL", control({"name": name, "size": lies.SIZE, "sha256": lies.DIGEST}))
        s.data(lies.CONTENT)
        s.done()
        s.await_reaction()

    return lie


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=[
                pytest.mark.req("APP-GET-7", "APP-STORE-3"),
                *([pytest.mark.slow] if kind in _SLOW else []),
            ],
            id=kind,
        )
        for kind in _NAMES
    ],
)
def test_client_refuses_another_rsfl_name_with_bad_frame_or_ignores_it(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """RSFL names another file, the bytes and DONE are honest: the client's EROR, if it
    sends one, is bad_frame (then nothing kept); without an EROR the file is either kept
    under the client's own output name or not at all."""
    skip_slow_variant(request)
    other = _NAMES[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _renamed(other))
    got = server.reaction
    what = f"{kind}: the RSFL answering RQFL {lies.NAME!r} names {other!r}"
    if isinstance(got, ReceivedFrame) and got.type == b"EROR":
        if got.error_name != "bad_frame":
            failure = ConformanceFailure.evidence(
                f"APP-GET-7: {what}",
                "EROR bad_frame (fatal) and the get failed, or the name ignored and the get "
                "kept under the client's output name",
                f"the client answered {got.describe(120)}",
                note=case.describe(),
            )
            failure.violates = ("APP-GET-7",)
            raise failure
        lies._judge_failed_get(case, what, owed="bad_frame", server=server, own=("APP-GET-7",))
        return
    result = case.result
    others = case.leftovers + sorted(
        f"../{p.name}" for p in case.outdir.parent.iterdir() if p.name == Path(other).name
    )
    if result.kept_file and result.out.read_bytes() != lies.CONTENT:
        others.append(f"{result.out.name} holds other bytes")
    if others:
        failure = ConformanceFailure.evidence(
            f"APP-GET-7: {what}",
            "without an EROR: the file under the client's output name only, or nothing",
            f"found {others}; {result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("APP-GET-7",)
        raise failure
