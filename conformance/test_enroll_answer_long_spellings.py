"""sft-pki/1 ENROLMENT CLIENT: an honest answer spelled at length is still the answer
(docs/SPEC.md §4.4, CA-ENR-12).

"What the CA may spell its way does not fail the enrolment: any JSON text of
`{"certificate": PEM}` (member order, white space, escapes such as `\\/` or `\\u000a`)".
A certificate's PEM is under a kilobyte, so a client that reads the answer into a buffer
fitted to it (4 KiB, 8 KiB), or with one read, cuts a body that spends white space or
escapes and fails an honest enrolment. The suite's CA answers `200` with the honest
certificate (root-issued, for the CSR's key and the alias) in JSON texts longer than that:

- `escaped`: every character of the PEM written as a `\\uXXXX` escape (about 5 KiB);
- `spaced`: 20 KiB of white space (spaces, tabs, line ends) around the member;
- `both` (slow): the escaped PEM with 40 KiB of white space.

The client MUST exit 0 and store its own key with a certificate for it (`_judge_own_key`).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    _ca_certificate,
    _honest,
    _judge_own_key,
    _run,
)
from conformance.x509 import LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_WHITE = " \t\r\n"


def _space(size: int) -> str:
    return "".join(_WHITE[i % len(_WHITE)] for i in range(size))


def _spelled(lab: LabPKI, form: str) -> Answer:
    honest = _honest(lab)

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        pem = str(json.loads(payload)["certificate"])
        value = json.dumps(pem)
        if form in ("escaped", "both"):
            value = '"' + "".join(f"\\u{ord(c):04x}" for c in pem) + '"'
        pad = {"escaped": 0, "spaced": 20 * 1024, "both": 40 * 1024}[form]
        half = _space(pad // 2)
        text = "{" + half + '"certificate"' + half + ":" + value + half + "}" + half
        return 200, headers, text.encode()

    return answer


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize(
    "form", ["escaped", "spaced", pytest.param("both", marks=pytest.mark.slow)]
)
def test_enrolment_client_reads_a_long_spelling_of_the_answer(
    target: Target, tmp_path: Path, form: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _spelled(lab, form), lab=lab)
    _judge_own_key(
        run,
        f"CA-ENR-12: the CA answers 200 with the honest certificate in a long JSON text "
        f"({form}): a spelling CA-ENR-12 allows",
        must_succeed=True,
    )
