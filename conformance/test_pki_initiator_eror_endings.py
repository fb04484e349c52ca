"""An sft-pki/1 INITIATOR's get that an `EROR` ends in place of `DONE` (docs/SPEC.md
§3.2, APP-GET-3, APP-GET-6, APP-STORE-3).

The suite plays the responder (test_pki_initiator_transfer.py's LyingResponder): `RSFL`
with the right size and SHA-256, then EVERY announced byte in `DATA` frames, then an
`EROR` instead of the `DONE`. The bytes on disk are then exactly the file the `RSFL`
vouched for, and an initiator that reasons "every byte is here, whatever the EROR
says" commits them. But the get has no `DONE`: APP-GET-3's check "at `DONE`" never
succeeded, so APP-GET-6 ("rename it to its final name only after APP-GET-3 succeeded")
forbids the final name, and §3.2's table says what any `EROR` means during a transfer:
"discard any partial file". The class: an `EROR`, fatal or not, after all of the
announced bytes — boundary values first: a 0-byte file (`RSFL` size 0, no `DATA` at
all, then the `EROR`) and a full one; a non-fatal code (`not_found`, that an initiator
might take for "the responder changed its mind, the data is fine") and a fatal one
(`internal`).

Judged: nothing under the final name [APP-GET-6], no temporary file left
[APP-STORE-3]. Not judged: the exit status (the SPEC names a non-zero exit for an
integrity failure and a failed put, not for an `EROR` ending a get; it is shown in the
evidence) and what the initiator answers (it MAY close, or answer a frame its state does
not expect: FRM-6).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_EMPTY_DIGEST = pki_lies._EMPTY_DIGEST


def _eror_after_all_bytes(code: str, *, empty: bool) -> pki_lies.Lie:
    """RSFL (right size, right SHA-256), every announced byte, then EROR `code`."""

    def lie(r: pki_lies.LyingResponder) -> None:
        if empty:
            r.rsfl(0, _EMPTY_DIGEST)
        else:
            r.rsfl(sha256=pki_lies.DIGEST)
            r.data(pki_lies.CONTENT)
        r.frame("EROR", error_payload(code, "suite: in place of DONE"))
        r.await_reaction()

    return lie


_CASES = [
    pytest.param("not_found", True, id="empty-file-then-eror-not-found"),
    pytest.param("not_found", False, id="all-bytes-then-eror-not-found"),
    pytest.param("internal", False, id="all-bytes-then-eror-internal"),
]


@pytest.mark.req("APP-GET-6", "APP-STORE-3")
@pytest.mark.parametrize(("code", "empty"), _CASES)
def test_initiator_keeps_nothing_of_a_get_an_eror_ends_in_place_of_done(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    code: str,
    empty: bool,
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _eror_after_all_bytes(code, empty=empty))
    run = got.run
    size = 0 if empty else pki_lies.SIZE
    what = (
        f"RSFL {{size {size}, sha256 right}}, all {size} bytes in DATA, then EROR {code} "
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
