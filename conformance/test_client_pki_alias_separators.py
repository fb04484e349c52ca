"""sft-pki/1 INITIATOR: aliases that differ only in their separators are other aliases
(docs/SPEC.md §4.3, PKI-ID-4, PKI-ID-1, PKI-CERT-2).

An alias may hold `.`, `_` and `-` (PKI-CERT-2), so `sft-peer`, `sft_peer`, `sft.peer`,
`sft--peer` and `sftpeer` are five employees. A client that forgives typos in the name it
is given — PEP 503's normalisation (runs of `-`, `_`, `.` folded into one `-`), a slug
function that drops punctuation, a comparison "ignoring separators" — applied to both the
alias and the CN, lets one of them pose as another: "the alias comparison … MUST be
byte-exact on the subject's single CN" (PKI-ID-4).

Asked for the alias on the left, the responder presents a valid root-issued certificate
whose CN is the one on the right; the client MUST abort before any application frame
(`judge_refusal`, no `EROR auth_failed` either: PKI-ID-1's mismatch sends no frame,
PKI-TLS-7).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    run_initiator,
)
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator alias separators\n"

# (alias asked for, CN presented)
_PAIRS = {
    "underscore-for-hyphen": ("sft-peer", "sft_peer"),
    "dot-for-hyphen": ("sft-peer", "sft.peer"),
    "doubled-hyphen": ("sft-peer", "sft--peer"),
    "separator-dropped": ("sft-peer", "sftpeer"),
    "hyphen-for-underscore": ("sft_peer", "sft-peer"),
    "separator-run": ("sft.peer", "sft-_peer"),
}
_SLOW = {"dot-for-hyphen", "hyphen-for-underscore"}


@pytest.mark.req("PKI-ID-4", "PKI-ID-1")
@pytest.mark.parametrize(
    "pair",
    [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _PAIRS],
)
def test_initiator_refuses_an_alias_that_differs_only_in_separators(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, pair: str
) -> None:
    asked, cn = _PAIRS[pair]
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(cn),
        script=honest_get_script(CONTENT),
        alias=asked,
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {asked!r}, the responder's certificate CN is {cn!r}: the "
        "same letters with other separators, another employee's alias",
        auth_eror_allowed=False,
    )
