"""sft-pki/1 ENROLMENT CLIENT: every alias PKI-CERT-2 allows can be enrolled
(docs/SPEC.md §4.2, PKI-CERT-2, CA-ENR-12).

"An alias is 1–64 characters from `a`–`z`, `0`–`9`, `.`, `_`, `-`, starting with a letter or
digit. Every such alias is valid whatever its length: an endpoint MUST NOT refuse a peer
for its alias's length or characters within this set (the CA's own refusals are
CA-ENR-2's)." The other enrolment cases enrol one alias of the examples' form (letters,
digits, inner hyphens). A client that checks the alias itself before asking — as a DNS
label (no `_` or `.`, no `-` at the end, 63 characters at most), as the examples' pattern,
or with an off-by-one bound — refuses employees the CA enrols.

The suite's CA answers honestly (a root-issued certificate for the CSR's key and the alias
asked for). For each alias the client MUST send the enrolment with that alias exactly,
exit 0 and store its own key with a certificate for it (`_judge_own_key`).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`, `monkeypatch` (the
alias of conformance/test_enroll_client.py's runner).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import conformance.test_enroll_client as enrol
from conformance._wire_fixtures import lab_pki
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_ALIASES = {
    "underscore": "e1_enrolee",
    "dot": "e1.enrolee",
    "trailing-hyphen": "e1-enrolee-",
    "length-64": "e1" + "x" * 62,
    "one-character": "e",
    "digit-first": "1e-enrolee",
    "trailing-dot": "e1.enrolee.",
}
_SLOW = {"one-character", "trailing-dot"}  # digit-first is default: PKI-CERT-2's thin side


@pytest.mark.req("PKI-CERT-2", "CA-ENR-12")
@pytest.mark.parametrize(
    "form", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _ALIASES]
)
def test_enrolment_client_enrols_every_alias_form(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    alias = _ALIASES[form]
    assert len(alias) <= 64
    monkeypatch.setattr(enrol, "ALIAS", alias)
    lab = lab_pki(target)
    run = enrol._run(target, tmp_path, enrol._ca_certificate(lab), enrol._honest(lab), lab=lab)
    context = (
        f"PKI-CERT-2: enrolment of the alias {alias!r} ({form}, {len(alias)} characters) at "
        "an honest CA"
    )
    asked = [(r.json() or {}).get("alias") for r in run.ca.enrolments()]
    if alias not in asked:
        enrol._fail(
            context,
            f"a POST /v1/enroll for the alias {alias!r} (a valid alias, PKI-CERT-2)",
            run,
            f"aliases sent: {asked or 'none'}",
            req="PKI-CERT-2",
        )
    enrol._judge_own_key(run, context, must_succeed=True)
