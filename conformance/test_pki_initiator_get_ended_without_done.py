"""An sft-pki/1 INITIATOR's get that a frame other than `DONE` ends after every announced
byte (docs/SPEC.md §3.2, APP-GET-3, APP-GET-6, APP-STORE-3).

The suite plays the responder (test_pki_initiator_transfer.py's LyingResponder): `RSFL`
with the right size and SHA-256, then EVERY announced byte in `DATA` frames, then — in
place of the `DONE` — another frame. The bytes on disk are then exactly the file the
`RSFL` vouched for, and an initiator that reasons "every byte is here, whatever came
next" keeps them. But APP-GET-3 checks "at `DONE`", and APP-GET-6 renames "only after
APP-GET-3 succeeded": without a `DONE` there is no verified file. The frames:

- an `EROR`, non-fatal (`not_found`, which an initiator might take for "the responder
  changed its mind, the data is fine") or fatal (`internal`): §3.2's table also says what
  any `EROR` means during a transfer, "discard any partial file";
- a frame a responder may send elsewhere: `BYE_` (its echo of an initiator's `BYE_`,
  APP-BYE-1: "the responder is leaving"), or a second `RSFL` (the answer to a next
  request).

Boundary first: a 0-byte file (`RSFL` size 0, no `DATA`, then the frame) and a full one.
(A close in the same place is test_pki_initiator_transfer.py's.)

Judged: nothing under the final name [APP-GET-6], no temporary file left
[APP-STORE-3]. Not judged: the exit status and the initiator's answer (shown in the
evidence; `unexpected_frame` is what FRM-6 asks, a close right after it is conforming).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, control, error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_EMPTY_DIGEST = pki_lies._EMPTY_DIGEST


def _frame_after_all_bytes(kind: str, *, empty: bool) -> pki_lies.Lie:
    """RSFL (right size, right SHA-256), every announced byte, then `kind` (BYE_, RSFL or
    "EROR <code>") for DONE."""

    def lie(r: pki_lies.LyingResponder) -> None:
        if empty:
            r.rsfl(0, _EMPTY_DIGEST)
        else:
            r.rsfl(sha256=pki_lies.DIGEST)
            r.data(pki_lies.CONTENT)
        if kind == "BYE_":
            r.frame("BYE_", control({}))
        elif kind == "RSFL":  # a second RSFL: the answer to a request nobody made
            r.frame("RSFL", control({"name": pki_lies.NAME, "size": 0}))
        else:  # "EROR <code>"
            r.frame("EROR", error_payload(kind.split()[1], "suite: in place of DONE"))
        r.await_reaction()

    return lie


_CASES = [
    pytest.param("EROR not_found", True, id="empty-file-then-eror-not-found"),
    pytest.param("EROR not_found", False, id="all-bytes-then-eror-not-found"),
    pytest.param("EROR internal", False, id="all-bytes-then-eror-internal"),
    pytest.param("BYE_", True, id="empty-file-then-bye"),
    pytest.param("BYE_", False, id="all-bytes-then-bye"),
    pytest.param("RSFL", False, id="all-bytes-then-rsfl"),
]


@pytest.mark.req("APP-GET-6", "APP-STORE-3")
@pytest.mark.parametrize(("kind", "empty"), _CASES)
def test_initiator_keeps_nothing_of_a_get_that_another_frame_ends_in_place_of_done(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str, empty: bool
) -> None:
    got = pki_lies._run_lie(
        target, tmp_path, transcripts, _frame_after_all_bytes(kind, empty=empty)
    )
    run = got.run
    size = 0 if empty else pki_lies.SIZE
    what = (
        f"RSFL {{size {size}, sha256 right}}, all {size} bytes in DATA, then {kind} "
        "in place of DONE"
    )
    problems: list[tuple[str, str]] = []
    if run.kept_file:
        problems.append(
            (
                "APP-GET-6",
                f"kept {run.out.name} ({run.out.stat().st_size} bytes) under the final name",
            )
        )
    left = leftovers(run)
    if left:
        problems.append(("APP-STORE-3", f"left files {left} in the output directory"))
    if problems:
        reaction = got.responder.reaction
        failure = ConformanceFailure.evidence(
            what,
            "no DONE, so no verified file: nothing under the final name (APP-GET-6: the "
            "rename only after APP-GET-3's check at DONE; §3.2: an EROR discards any "
            "partial file) and no temporary file left (APP-STORE-3)",
            "; ".join(f"{req}: {text}" for req, text in problems),
            note=(
                f"{got.describe()}; the initiator's answer: "
                f"{getattr(reaction, 'describe', lambda: repr(reaction))()}"
            ),
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure
