"""sft-pki/1 INITIATOR: a CN whose characters only NARROW to the alias is another name
(docs/SPEC.md §4.3, PKI-ID-1, PKI-ID-4).

PKI-ID-4: the alias comparison is "byte-exact on the subject's single CN". The other cases
try CNs that case folding, trimming, a prefix, a NUL, Unicode normalisation or dropped
characters turn into the alias. These try a transformation that keeps every character
but narrows each to 8 bits, as a port does when it stores a CN's UTF-16 code units (a
Java `char`, a Windows `WCHAR`, an ASN.1 BMPString) in bytes with a cast — `(byte) c`,
`c & 0xFF`: `š` (U+0161) becomes `a`, `Ŭ` (U+016C) `l`. The CNs here are the alias with
each character (or only its first) moved up by U+0100 into Latin Extended-A, whose low
byte is the alias's own character: narrowed, they compare equal to the alias; as text,
as UTF-8 bytes, they are another name. The alias pattern of PKI-CERT-2 refuses them too.

Each certificate is issued by the organisation root and valid in every other respect;
the initiator must refuse it as every refused certificate (`judge_refusal`: non-zero
exit, no file, no application frame but an optional `EROR auth_failed`, PKI-TLS-7).

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
    responder_alias,
    run_initiator,
)
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a common name that narrows to the alias\n"


def _widened(alias: str, kind: str) -> str:
    """The alias with its first (or every) character moved up by U+0100: the same low byte."""
    if kind == "first-character":
        return chr(0x100 + ord(alias[0])) + alias[1:]
    return "".join(chr(0x100 + ord(c)) for c in alias)


@pytest.mark.req("PKI-ID-4")
@pytest.mark.parametrize("kind", ["first-character", "every-character"])
def test_initiator_refuses_a_common_name_that_narrows_to_the_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    alias = responder_alias(target)
    cn = _widened(alias, kind)
    assert "".join(chr(ord(c) & 0xFF) for c in cn) == alias != cn  # the look-alike, narrowed
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(cn),
        script=honest_get_script(CONTENT),
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {alias!r}, the responder's certificate CN is {cn!r} "
        f"({cn.encode()!r}): each character's low byte is the alias's, the name is another",
    )
