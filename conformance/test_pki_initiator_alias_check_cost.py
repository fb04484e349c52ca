"""sft-pki/1 INITIATOR: a common name that is almost an alias is refused at once, not after
hours of pattern matching (docs/SPEC.md §4.2-§4.3, PKI-ID-1, PKI-CERT-2).

PKI-ID-1: the initiator "MUST verify that the responder's certificate CN equals that alias
before sending any application frame; on mismatch it MUST abort". An initiator usually
checks first that the CN is an alias at all (PKI-CERT-2: 1-64 characters from `a`-`z`,
`0`-`9`, `.`, `_`, `-`, starting with a letter or digit), and that check is often a
regular expression. Written with a nested quantifier — `[a-z0-9](?:[a-z0-9._-]+)*`,
`([a-z0-9]+[._-]?)+`, with the length checked apart — a backtracking engine (Python's `re`,
PCRE, Java's, JavaScript's) tries every way of splitting a long run of alias characters
before it gives up on the one character at the end that is not one: 2^n steps for a run of
n. A CN of 64 characters, the last one outside the set, then keeps the initiator busy for
longer than the age of the universe instead of refusing it. The other initiator cases
present short or clearly foreign CNs, and their judge accepts a client killed at the
suite's timeout as one that refused.

The class: a responder certificate, issued by the root and valid in every respect but its
CN, whose CN is a long run of alias characters (within the 64 of PKI-CERT-2, so a length
check made first does not save the pattern) ending in one character that is not. The
client must refuse it — non-zero exit, nothing kept, no application frame
(`judge_refusal`) — and must do so by itself, well within the suite's bound (15 s: a
conforming client takes about a second), never by being killed.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    run_initiator_watched,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a responder whose CN is almost an alias\n"
_BOUND = 15.0  # seconds the client is given; a conforming one refuses in about one

_CNS = [
    # 63 alias characters and one outside the set: 64 in all, PKI-CERT-2's longest alias.
    pytest.param("a" * 63 + "!", id="63-letters-then-bang"),
    pytest.param("a" * 63 + "A", id="63-letters-then-upper-case", marks=pytest.mark.slow),
    # Separators inside the run (a pattern of "words joined by . _ -") and a space at the end.
    pytest.param(("ab." * 21)[:63] + " ", id="dotted-words-then-space", marks=pytest.mark.slow),
]


@pytest.mark.req("PKI-ID-1", "PKI-CERT-2")
@pytest.mark.parametrize("cn", _CNS)
def test_initiator_refuses_an_almost_alias_promptly(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, cn: str
) -> None:
    cert = lab_pki(target).employee(cn)
    out = tmp_path / "out"
    out.mkdir()
    started = time.monotonic()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        out=out / "received.bin",
        timeout=_BOUND,
    )
    took = time.monotonic() - started
    require_reached(run, hostile, request=False)
    what = (
        f"PKI-ID-1: the responder's certificate CN is {cn!r} ({len(cn)} characters: "
        f"{len(cn) - 1} alias characters, then one that is not), issued by the root"
    )
    if run.timed_out:
        raise ConformanceFailure.evidence(
            what,
            f"the client refuses it by itself within {_BOUND:g} s (the CN is not the alias "
            "it asked for, nor an alias at all)",
            f"the client was still running after {took:.1f} s and was killed: its check of "
            "the CN does not end (a backtracking pattern?)",
            note=run.describe(),
        )
    judge_refusal(run, hostile, what)
