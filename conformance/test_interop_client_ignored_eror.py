"""A client that reads past a fatal or unknown `EROR` is caught by what follows it [ERR-3, ERR-4].

test_client_fatal_errors.py judges a client by how soon it closes after the suite's
`EROR`; a client whose own idle timeout is shorter than that allowance (PROMPT_CLOSE)
closes "in time" even when it ignored the `EROR` and only timed out waiting — the bug
hides behind its timeout. Here the suite, as the server (sft-eke/1) or the responder
(sft-pki/1), sends the `EROR` and then, at once, the rest of a perfectly good answer:
`RSFL`, every `DATA` byte and a correct `DONE` (mid-transfer: the remaining `DATA` and
`DONE`). A client that acts on the `EROR` — fatal by its code (ERR-2), or unknown and so
`internal` (ERR-4) — fails the get and processes none of those frames (ERR-3); one that
skipped it ("a code from a newer version", `if (!code)` on code 0, an `EROR` branch that
is `continue`) completes the get: exit 0 and the file kept under its final name. No
timing is judged, so a slow machine cannot make this case FAIL a correct client.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import error_payload

# label -> code: a fatal code of ERR-2's table, and codes it does not list (ERR-4: treated
# as `internal`): 0 (falsy in many languages), 15 (the next one), 99, 65 536 (above u16).
_CODES = {
    "internal": 11,
    "unknown-0": 0,
    "unknown-15": 15,
    "unknown-99": 99,
    "unknown-65536": 65536,
}
# Where the EROR comes: as the answer to the RQFL, or after RSFL and half of the DATA.
_WHERE = ("answering-rqfl", "mid-transfer")


def _requirements(label: str) -> tuple[str, ...]:
    return ("ERR-3", "ERR-4") if label.startswith("unknown") else ("ERR-3",)


def _what(label: str, code: int, where: str) -> str:
    place = "answering the RQFL" if where == "answering-rqfl" else "after half of the DATA"
    return (
        f"{'/'.join(_requirements(label))}: EROR code {code} ({label}) {place}, followed at "
        "once by the rest of a correct answer (RSFL, DATA, DONE); the client must act on the "
        "EROR as fatal and process none of the frames after it"
    )


@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("ERR-3", "ERR-4")
@pytest.mark.parametrize("where", _WHERE)
@pytest.mark.parametrize("label", sorted(_CODES))
def test_eke_client_does_not_read_past_a_fatal_error(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str, where: str
) -> None:
    code = _CODES[label]
    half = eke_lies.SIZE // 2

    def lie(s: eke_lies.LyingServer) -> None:
        if where == "answering-rqfl":
            s.frame("EROR", error_payload(code, "suite: error"))
            s.rsfl(sha256=eke_lies.DIGEST)
            s.data(eke_lies.CONTENT)
        else:
            s.rsfl(sha256=eke_lies.DIGEST)
            s.data(eke_lies.CONTENT[:half])
            s.frame("EROR", error_payload(code, "suite: error"))
            s.data(eke_lies.CONTENT[half:])
        s.done()

    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        case, _what(label, code, where), server=server, own=_requirements(label)
    )


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("ERR-3", "ERR-4")
@pytest.mark.parametrize("where", _WHERE)
@pytest.mark.parametrize("label", sorted(_CODES))
def test_pki_initiator_does_not_read_past_a_fatal_error(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str, where: str
) -> None:
    code = _CODES[label]
    half = pki_lies.SIZE // 2

    def lie(r: pki_lies.LyingResponder) -> None:
        if where == "answering-rqfl":
            r.frame("EROR", error_payload(code, "suite: error"))
            r.rsfl()
            r.data(pki_lies.CONTENT)
        else:
            r.rsfl()
            r.data(pki_lies.CONTENT[:half])
            r.frame("EROR", error_payload(code, "suite: error"))
            r.data(pki_lies.CONTENT[half:])
        r.done()

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, _what(label, code, where), None, _requirements(label))
