"""sft-pki/1 ENROLMENT CLIENT: an answer that names `certificate` twice (docs/SPEC.md
§4.4, CA-ENR-12).

"The enrolment client keeps a certificate only from a `200` answer whose certificate holds
that key, whose subject's one CN is exactly the alias it asked for … and whose signature
verifies with the organisation root; … no identity is left that pairs the key with a
certificate not its own." RFC 8259 leaves a repeated member's meaning open, so a client
that reads the answer twice — a validating parse (the last member wins in most JSON
libraries) and an event reader or a regular expression that takes the first one to store
— checks one certificate and keeps another.

The suite's CA answers `200 {"certificate": A, "certificate": B}` where one of A and B is
the honest certificate (root-issued, for the CSR's key and the alias) and the other a
root-issued certificate for the alias but another key (or for the key but another
alias), in both orders. The client may refuse the answer (a duplicate member is
malformed) or enrol; either way, when it exits 0 it stored its own key with a certificate
for that key (`_judge_own_key`), and whatever its exit status no stored certificate but
the root is one the checks would have refused (`_mismatched_identity`).

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
    ALIAS,
    Answer,
    _ca_certificate,
    _csr_spki,
    _fail,
    _honest,
    _judge_own_key,
    _mismatched_identity,
    _public_key,
    _run,
    _stored,
)
from conformance.x509 import (
    CertProfile,
    LabPKI,
    _children,
    _common_name,
    _split,
    pem_decode,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_JSON = {"Content-Type": "application/json"}
# (which wrong certificate, is it first)
_CASES = {
    "other-key-first": ("other-key", True),
    "other-key-last": ("other-key", False),
    "other-alias-first": ("other-alias", True),
}


def _subject_cn(der: bytes) -> str | None:
    """The CN of a v3 certificate's subject (None: none, or not parseable here)."""
    try:
        tbs = _children(_split(_children(_split(der)[1])[0])[1])
        return _common_name(tbs[5])
    except (ValueError, IndexError):
        return None


def _other_alias_kept(run_out: Path, root_der: bytes) -> str:
    """Empty unless a stored certificate (the root aside) names another alias than ours."""
    names = {
        path.name: _subject_cn(der)
        for path, der in _stored(run_out).certs
        if der != root_der
    }
    wrong = {name: cn for name, cn in names.items() if cn != ALIAS}
    return f"stored certificate(s) naming another alias: {wrong}" if wrong else ""


def _twice(lab: LabPKI, wrong: str, wrong_first: bool) -> Answer:
    honest = _honest(lab)

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        good = json.loads(payload)["certificate"]
        alias = str((body or {}).get("alias") or ALIAS)
        if wrong == "other-key":
            bad = lab.root.issue(CertProfile(common_name=alias)).pem
        else:
            spki = _csr_spki((body or {}).get("csr"))
            key = _public_key(spki) if spki is not None else None
            if key is None:
                return status, headers, payload
            bad = lab.root.issue(CertProfile(common_name=f"{alias}-other"), key=key).pem
        first, last = (bad, good) if wrong_first else (good, bad)
        text = f'{{"certificate": {json.dumps(first)}, "certificate": {json.dumps(last)}}}'
        return 200, dict(_JSON), text.encode()

    return answer


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("case", list(_CASES))
def test_enrolment_client_keeps_no_unchecked_certificate_from_a_repeated_member(
    target: Target, tmp_path: Path, case: str
) -> None:
    lab = lab_pki(target)
    wrong, wrong_first = _CASES[case]
    run = _run(target, tmp_path, _ca_certificate(lab), _twice(lab, wrong, wrong_first), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    order = "first" if wrong_first else "last"
    other = "another key" if wrong == "other-key" else "the key but another alias"
    context = (
        "CA-ENR-12: the CA answers 200 with `certificate` twice: the honest certificate and, "
        f"{order}, a root-issued one for {other}"
    )
    _judge_own_key(run, context, must_succeed=False)
    assert target.root is not None
    root_der = pem_decode(target.root.read_bytes())
    mismatch = _mismatched_identity(run, root_der) or _other_alias_kept(run.out, root_der)
    if mismatch:
        _fail(
            context,
            "no identity left that pairs the locally made key with a certificate the "
            "checks refuse (the answer refused, or the certificate checked is the one kept)",
            run,
            mismatch,
        )
