"""An sft-eke/1 CLIENT never stores a get under the server's spelling of the name it asked
for (SPEC §3.3 APP-GET-7, §3.5 APP-NAME-3).

APP-GET-7: the `name` of the RSFL answering an RQFL is the request's name unchanged; an
initiator chooses where it stores a get from its request and its user only, never from
`RSFL.name`, and MUST NOT create, write or rename any file under that name. The lying-get
cases answer with names plainly different (`../x`, another file). A client may still
treat an answer that is "the same name" in another spelling — the request's characters
Unicode-normalised (NFC ↔ NFD, NFKC), or case-folded — as the server's canonical
spelling and save the file under it: two spellings of one name taken as one (APP-NAME-3:
names are used literally, never normalised or case-folded), and a file the user did not
name appears in the output directory.

The suite, as an otherwise honest server, answers the client's request with RSFL whose
`name` is another spelling of the requested name, the right size, content and DONE. Both
readings of APP-GET-7 are conforming (the get fails, or the file is kept under the output
name the user gave); FAIL when anything else is in the output directory afterwards.

Default run: an NFC request answered in NFD, a lower-case name answered in upper case.
Thorough: NFD answered in NFC, a compatibility form answered in NFKC.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import run_case, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NFC = unicodedata.normalize("NFC", "caf\u00e9-r\u00e9sum\u00e9.bin")
# name -> (the name the client asks for, the server's spelling of it in RSFL)
_SPELLINGS: dict[str, tuple[str, str]] = {
    "nfc-answered-nfd": (_NFC, unicodedata.normalize("NFD", _NFC)),
    "nfd-answered-nfc": (unicodedata.normalize("NFD", _NFC), _NFC),
    "ligature-answered-nfkc": (
        "\ufb01le-\u2460.bin",
        unicodedata.normalize("NFKC", "\ufb01le-\u2460.bin"),
    ),
    "lower-answered-upper": ("report-b22.bin", "REPORT-B22.BIN"),
}
_DEFAULT = ("nfc-answered-nfd", "lower-answered-upper")


def _answered_as(spelling: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame(
            "RSFL",
            control({"name": spelling, "size": lies.SIZE, "sha256": lies.DIGEST}),
        )
        s.data(lies.CONTENT)
        s.done()
        s.await_reaction()

    return lie


@pytest.mark.req("APP-GET-7", "APP-NAME-3")
@pytest.mark.parametrize(
    "spelling",
    [pytest.param(n, marks=[] if n in _DEFAULT else [pytest.mark.slow]) for n in _SPELLINGS],
)
def test_client_stores_nothing_under_the_servers_spelling_of_the_name(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    spelling: str,
    request: pytest.FixtureRequest,
) -> None:
    """RQFL of `asked`, answered RSFL {name: another spelling of it} and the right file."""
    skip_slow_variant(request)
    asked, answered = _SPELLINGS[spelling]
    assert asked != answered
    outdir = tmp_path / "out"
    outdir.mkdir()
    box: dict[str, lies.LyingServer] = {}
    behaviour = lies._serve(lies._user_pw(eke_target), outdir, _answered_as(answered), box)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=asked,
        password=lies._PASSWORD,
        outdir=outdir,
    )
    if "server" not in box:
        raise RuntimeError(
            "the client under test never sent its request after an honest handshake "
            f"(is --client-cmd right?)\n{case.describe()}"
        )
    result = case.result
    problems = []
    others = case.leftovers
    if others:
        problems.append(f"in the output directory besides the output: {others!r}")
    if result.kept_file and result.out.read_bytes() != lies.CONTENT:
        problems.append("the output holds bytes that are not the file")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-7: RQFL {{name: {asked!r}}} answered RSFL {{name: {answered!r}}} "
            f"({spelling}) with the right content",
            "the get fails or the file is kept under the output name the user gave; no file "
            "under the server's spelling",
            "; ".join(problems),
            note=case.describe(),
        )
