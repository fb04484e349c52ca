"""sft-pki/1: a second enrolment into an identity directory, answered with a certificate
for the FIRST enrolment's key (docs/SPEC.md CA-ENR-12).

CA-ENR-12: "the enrolment client keeps a certificate only from a `200` answer whose
certificate holds that key" — the key it generated for this enrolment, the one its CSR
holds — and "no identity is left that pairs the key with a certificate not its own". On
a second run the directory already holds a key, and a certificate for it is a genuine,
root-issued certificate the CA (or anyone who saw the first enrolment) can hand back. A
client that compares the answer with the key it finds on disk ("a renewal: our key is the
stored one"), or with any key it holds, takes that certificate, then writes the key it
has just made beside it: the identity's key and certificate no longer match.

The suite's hostile CA (test_enroll_client.py's, at test_enroll_second_run.py's fixed
URL) enrols the client once, honestly, and records the first CSR's key; the second run
into the same {out} is answered `200` with a root-issued certificate for the alias and
that FIRST key. The client MUST fail the enrolment (non-zero exit) or, if it reports
success, have stored its new (second CSR's) key with a certificate for that key. A client
may refuse to enrol into a directory that is not empty: conforming.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance import test_enroll_client as enrol
from conformance import test_enroll_second_run as second
from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.x509 import CertProfile, LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _first_key_answer(lab: LabPKI, first_spki: bytes) -> enrol.Answer:
    """A root-issued certificate for the alias asked for and the FIRST run's key."""
    key = enrol._public_key(first_spki)
    assert key is not None

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        alias = str((body or {}).get("alias") or enrol.ALIAS)
        cert = lab.root.issue(CertProfile(common_name=alias), key=key)
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"certificate": cert.pem}).encode(),
        )

    return answer


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_refuses_a_renewal_answered_for_its_old_key(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    first, port = second._first_enrolment(target, tmp_path, lab)
    spkis = [enrol._csr_spki((r.json() or {}).get("csr")) for r in first.ca.enrolments()]
    first_spki = next((s for s in spkis if s), None)
    if first_spki is None:
        raise RuntimeError(f"the first enrolment sent no readable CSR: {first.describe()}")
    ca = second._ca(target, tmp_path, lab, "honest", port)
    ca.answer = _first_key_answer(lab, first_spki)
    run = enrol.run_against(target, tmp_path, ca)
    context = (
        "CA-ENR-12: a second enrolment into the first's identity directory, answered 200 "
        "with a root-issued certificate for the FIRST enrolment's key (not the second "
        f"CSR's); first run: {first.describe()}"
    )
    again = [
        s for s in (enrol._csr_spki((r.json() or {}).get("csr")) for r in ca.enrolments()) if s
    ]
    if run.returncode == 0 and again and all(s == first_spki for s in again):
        # The second run reused the first key (its CSR holds it): the answer is its own.
        return
    enrol._judge_own_key(run, context, must_succeed=False)
