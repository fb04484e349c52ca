"""sft-pki/1 ENROLMENT CLIENT: a `200` whose body is the certificate itself, not the JSON
of CA-ENR-2 — the legacy CA's answer form (docs/SPEC.md §4.4, CA-ENR-12, §7.2).

"Any other answer — an error status, a body that is not the JSON of CA-ENR-2 … — fails
the enrolment (non-zero exit)". The first seed's CA (sft-pki/0, LEG-CA-FMT-2) answered
with the PEM itself under `text/plain`; a client that still reads that form beside the
modern one — by the answer's Content-Type, by sniffing `-----BEGIN`, or by falling back
to a PEM parse when the JSON parse fails — takes a body an sft-pki/1 CA never sends
(LEG-CA-1: that CA's answers travel unauthenticated).

The suite's CA answers the enrolment `200` with the honest certificate (root-issued, for
the CSR's key and the alias) as a bare body:

- `text-plain`: the PEM under `Content-Type: text/plain` (the legacy answer);
- `pem-file`: the PEM under `Content-Type: application/x-pem-file`;
- `json-type`: the PEM under `Content-Type: application/json` (not JSON at all);
- `pkix-cert` (slow): the DER under `Content-Type: application/pkix-cert`.

The client MUST exit non-zero, and keep no identity that pairs its key with the answer.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    _ca_certificate,
    _fail,
    _honest,
    _run,
)
from conformance.x509 import LabPKI, pem_decode

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_FORMS = {
    "text-plain": "text/plain",
    "pem-file": "application/x-pem-file",
    "json-type": "application/json",
    "pkix-cert": "application/pkix-cert",
}


def _bare(lab: LabPKI, form: str) -> Answer:
    honest = _honest(lab)

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        pem = str(json.loads(payload)["certificate"])
        content = pem_decode(pem) if form == "pkix-cert" else pem.encode()
        return 200, {"Content-Type": _FORMS[form]}, content

    return answer


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize(
    "form",
    [pytest.param(f, marks=pytest.mark.slow) if f == "pkix-cert" else f for f in _FORMS],
)
def test_enrolment_client_refuses_a_bare_certificate_answer(
    target: Target, tmp_path: Path, form: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _bare(lab, form), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        _fail(
            f"CA-ENR-12: the CA answers 200 with the right certificate as a bare body "
            f"({'DER' if form == 'pkix-cert' else 'PEM'}, Content-Type {_FORMS[form]}), not "
            'the JSON {"certificate": PEM} of CA-ENR-2',
            "a failed enrolment (non-zero exit): a body that is not the JSON of CA-ENR-2 "
            "fails it",
            run,
            "exit 0",
        )
