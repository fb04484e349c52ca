"""sft-pki/1 INITIATOR: an `EROR` is acted on by its `code` alone; its `name` is for
people, whatever it says (docs/SPEC.md ERR-1, ERR-3).

ERR-1: a receiver MUST act on `code` only; `name` and `message` are for people. A sender
that writes another name than the table's breaks ERR-1 as a sender, but its code still
decides: a non-fatal refusal stays non-fatal (the connection is idle again, ERR-3), a
fatal code ends the connection at once. The class of bug is two spellings of one value:
the code and its name are both taken as "the error" — validated against each other (a
mismatch is a malformed frame, answered `bad_frame`, fatal), or the name preferred when
the receiver knows it — so a refusal is acted on as something else than its code says.
The suite's other cases send the table's name with every code, so both spellings agree.

The suite plays the responder (test_pki_initiator_transfer.py's machinery) and answers the
get with:

- `not-found-renamed`: `{"code": 6, "name": "no_such_file", ...}` (non-fatal): the get
  fails, and the initiator MUST NOT answer the refusal with an `EROR` (it may say `BYE_`,
  which the suite echoes, or close);
- `not-found-upper` (slow): `{"code": 6, "name": "NOT_FOUND", ...}`, judged the same.

(The other direction, a fatal code under a non-fatal code's name, is
test_client_fatal_errors.py's.)

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_WATCH = 3.0
_MAX_FRAMES = 16

# variant: (code, name, fatal)
_VARIANTS: dict[str, tuple[int, str, bool]] = {
    "not-found-renamed": (6, "no_such_file", False),
    "not-found-upper": (6, "NOT_FOUND", False),
}


def _refuse(variant: str, seen: list[str]) -> pki_lies.Lie:
    code, name, _fatal = _VARIANTS[variant]

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", control({"code": code, "name": name, "message": "suite: refused"}))
        end = deadline_after(_WATCH)
        for _ in range(_MAX_FRAMES):
            event = r.channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame):
                break
            seen.append(event.describe(80))
            if event.type == b"BYE_":
                with contextlib.suppress(OSError):
                    r.channel.send_frame("BYE_", control({}))
        r.ended = True

    return lie


@pytest.mark.req("ERR-1")
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(v, marks=[] if v == "not-found-renamed" else [pytest.mark.slow], id=v)
        for v in _VARIANTS
    ],
)
def test_initiator_acts_on_the_eror_code_not_its_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    code, name, fatal = _VARIANTS[variant]
    seen: list[str] = []
    got = pki_lies._run_lie(target, tmp_path, transcripts, _refuse(variant, seen))
    problems = []
    if got.run.succeeded:
        problems.append("the get was reported a success")
    if not fatal and any(s.startswith("EROR") for s in seen):
        problems.append(f"it answered the non-fatal refusal with {seen}")
    if problems:
        raise ConformanceFailure.evidence(
            f"ERR-1: a get answered EROR {{code {code}, name {name!r}}}: the code is "
            f"{'fatal' if fatal else 'non-fatal'}, the name is not the table's ({variant})",
            "acted on the code only: "
            + (
                "the connection closed at once, no frame after the EROR"
                if fatal
                else "the get fails, no EROR in answer to the refusal (BYE_ or a close)"
            ),
            "; ".join(problems),
            note=got.describe(),
        )
