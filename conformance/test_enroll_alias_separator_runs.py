"""sft-pki/1 ENROLMENT CLIENT: an alias with separators in a row is an alias like any other
(docs/SPEC.md §4.2, PKI-CERT-2, CA-ENR-12).

"An alias is 1–64 characters from `a`–`z`, `0`–`9`, `.`, `_`, `-`, starting with a letter or
digit. Every such alias is valid whatever its length: an endpoint MUST NOT refuse a peer
for its alias's length or characters within this set." test_enroll_alias_forms.py enrols
aliases with ONE separator at a time (`e1_enrolee`, `e1.enrolee`, a trailing `-` or `.`).
A client that adds a rule of its own about separator RUNS passes there and refuses
employees the CA enrols: a slug or hostname-label pattern (`[a-z0-9]+([._-][a-z0-9]+)*`,
one separator between two alphanumerics), a path-traversal guard that refuses `..` in
anything later used in a file name (the alias names the identity's files), or a check
that a `-` never follows a `.` (DNS labels).

The suite's CA answers honestly (a root-issued certificate for the CSR's key and the alias
asked for). The alias `e1..e__e--e._-e` holds each doubled separator and a run of all
three; the client MUST send the enrolment with that alias exactly, exit 0 and store its own
key with a certificate for it (`_judge_own_key`). The slow run adds `e._-._-`, a run
right after the first character up to the end.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`, `monkeypatch` (the
alias of conformance/test_enroll_client.py's runner).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import conformance.test_enroll_client as enrol
from conformance._wire_fixtures import lab_pki
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_ALIASES = {
    "doubled-and-mixed": "e1..e__e--e._-e",
    "run-to-the-end": "e._-._-",
}
_SLOW = {"run-to-the-end"}
_PKI_CERT_2 = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@pytest.mark.req("PKI-CERT-2", "CA-ENR-12")
@pytest.mark.parametrize(
    "form", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _ALIASES]
)
def test_enrolment_client_enrols_aliases_with_separator_runs(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    alias = _ALIASES[form]
    assert _PKI_CERT_2.fullmatch(alias), alias  # a valid alias by PKI-CERT-2's own words
    monkeypatch.setattr(enrol, "ALIAS", alias)
    lab = lab_pki(target)
    run = enrol._run(target, tmp_path, enrol._ca_certificate(lab), enrol._honest(lab), lab=lab)
    context = (
        f"PKI-CERT-2: enrolment of the alias {alias!r} ({form}: separators in a row) at an "
        "honest CA"
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
