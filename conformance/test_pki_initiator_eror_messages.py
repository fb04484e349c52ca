"""What an sft-pki/1 INITIATOR's own `EROR` tells the responder (docs/SPEC.md §2 ERR-1,
ERR-5).

An `EROR` message is "human-readable, at most 512 characters" (ERR-1) and "MUST NOT
contain secrets (passwords, keys, file content)" (ERR-5). test_client_error_content.py
lies about the file itself (a wrong `DONE`, one byte more than announced) and looks for
the file in the message. Two ways to break the same rules are left:

- the file quoted from a frame the initiator refuses for its STATE, not its content: a
  `DATA` frame in place of the `RSFL` (the responder skipped its answer), or after the
  `DONE` of a complete get (a stray frame where only `BYE_` or the close may come). The
  tempting message is the generic "unexpected frame" that shows the frame's first bytes
  for debugging — within ERR-5's 64-character bound on echoed bytes, and still the
  file's content. The `DATA` here is printable random text (test_client_error_content.py's
  file); a message holding 16 characters of it, as text or hex, quotes the file.
- the message built from the request: "get NAME: integrity check failed". A name may
  hold 4096 bytes (APP-NAME-1); quoted in full, the message outgrows 512 characters.
  The suite asks for a 602-character name (three components of 200) and lies about the
  `DONE`'s digest: the initiator owes `EROR integrity_failed` (APP-GET-3), judged as a
  sender's frame (name matching the code, a message of at most 512 characters).

An initiator that only closes is not judged here (what it owes for the lie is
test_pki_initiator_transfer.py's business).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_client_error_content as content_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import lab_pki, responder_alias, run_initiator_watched
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = content_lies.CONTENT
DIGEST = hashlib.sha256(CONTENT).hexdigest()
_CHUNK = 1000


def _data_in_place_of_rsfl(r: pki_lies.LyingResponder) -> None:
    r.frame("DATA", CONTENT[:_CHUNK])
    r.await_reaction()


def _data_after_done(r: pki_lies.LyingResponder) -> None:
    r.rsfl(len(CONTENT), DIGEST)
    r.data(CONTENT[:-_CHUNK])
    r.data(CONTENT[-_CHUNK:])
    r.done(len(CONTENT), DIGEST)
    r.frame("DATA", CONTENT[:_CHUNK])  # after a complete get: not allowed in any state
    r.await_reaction()


_STRAYS = {
    "data-in-place-of-rsfl": _data_in_place_of_rsfl,
    "data-after-done": _data_after_done,
}


@pytest.mark.req("ERR-5")
@pytest.mark.parametrize("stray", sorted(_STRAYS))
def test_initiator_eror_does_not_quote_a_stray_data_frame(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, stray: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _STRAYS[stray])
    content_lies._judge(got.responder.reaction, f"a stray DATA frame ({stray})", got.describe())


# Three components of 200 characters: within APP-NAME-1 (255 bytes each, 4096 in all).
LONG_NAME = "/".join(c * 200 for c in "abc")
_OUT = "long-name.bin"


@pytest.mark.req("ERR-1", "FRM-14")
def test_initiator_eror_stays_within_512_characters_for_a_long_request_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    box: dict[str, pki_lies.LyingResponder] = {}

    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        r = box["responder"] = pki_lies.LyingResponder(channel, tmp_path)
        r.rsfl(len(CONTENT))
        r.data(CONTENT)
        r.done(len(CONTENT), content_lies.WRONG)  # a wrong digest: EROR integrity_failed
        r.await_reaction()

    outdir = tmp_path / "out"
    outdir.mkdir()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / _OUT,
        name=LONG_NAME,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if "responder" not in box:
        # Not a harness fault by itself: no MUST makes an initiator ask for every name a
        # receiver must take (APP-NAME-7 is the receiver's); nothing to judge then.
        pytest.skip(
            "the initiator did not request the long name (refused it itself?): "
            + run.describe()[:300]
        )
    reaction = box["responder"].reaction
    if not (isinstance(reaction, ReceivedFrame) and reaction.type == b"EROR"):
        return  # no EROR: nothing to judge here (the lie's own case judges the get)
    problems = reaction.violations()
    if problems:
        raise ConformanceFailure.evidence(
            f"a get of a {len(LONG_NAME)}-character name answered with a wrong DONE digest",
            "an EROR of the table's form: name matching the code, a message of at most 512 "
            "characters (ERR-1), whatever the request it names",
            f"its EROR {reaction.describe()} breaks {problems} "
            f"(message of {len((reaction.json() or {}).get('message') or '')} characters)",
            note=f"{run.describe()}; hostile responder: {hostile.script_errors or 'ok'}",
        )
