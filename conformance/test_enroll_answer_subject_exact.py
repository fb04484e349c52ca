"""sft-pki/1: the ENROLMENT client under test keeps a certificate only when its subject
names the alias it asked for EXACTLY — one CN, byte for byte (docs/SPEC.md §4.4,
CA-ENR-12, PKI-CERT-2, PKI-ID-4's single-CN rule). Same hostile CA on
`https://localhost:PORT` and same `enroll_cmd` as test_enroll_client.py (whose harness
this file reuses); every answer is a `200 {"certificate": PEM}` holding a certificate the
organisation root issued for the CSR's OWN key, so a client that checks only the key and
the issuer keeps it. The subject is a near miss of the alias asked for (`e1-enrolee`):

- `E1-ENROLEE` (the alias in upper case): a comparison that ignores case
  (`equalsIgnoreCase`, `strcasecmp`, `EqualFold`) takes it;
- `e1-enrolee` NUL `x`: a CN read as a C string (`strcmp`, a `char *` from the ASN.1
  string) ends at the NUL and takes it;
- two CNs, the alias and another alias, in either order: `alias in names`, the first CN
  or the last CN (a dict of the subject) takes one of them;
- (slow run) `e1-enrolee` followed by a space: a CN trimmed before the comparison
  takes it.

Each MUST fail the enrolment (non-zero exit) [CA-ENR-12]. The honest certificate (CN the
alias, one CN) is test_enroll_client.py's `honest` case; other aliases and other issuers
are its `refuses_its_key_certified_by_another`.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    ALIAS,
    _ca_certificate,
    _fail,
    _issued_for_key,
    _run,
)
from conformance.x509 import CertProfile

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# subject CNs (in order) of a root-issued certificate for the CSR's own key
_NEAR_MISSES: dict[str, tuple[str, ...]] = {
    "upper_case": (ALIAS.upper(),),
    "nul_then_more": (f"{ALIAS}\x00x",),
    "alias_then_other": (ALIAS, f"x{ALIAS}"),
    "other_then_alias": (f"x{ALIAS}", ALIAS),
    "trailing_space": (f"{ALIAS} ",),
}
_SLOW = frozenset({"trailing_space"})


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _NEAR_MISSES]
)
def test_enrolment_client_keeps_only_a_certificate_naming_exactly_its_alias(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    cns = _NEAR_MISSES[kind]
    answer = _issued_for_key(
        lambda _alias, key: lab.root.issue(
            CertProfile(common_name=cns[0], subject_cns=cns if len(cns) > 1 else None), key=key
        )
    )
    run = _run(target, tmp_path, _ca_certificate(lab), answer, lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        _fail(
            f"CA-ENR-12: enrolment of {ALIAS!r}; the CA answers 200 with a root-issued "
            f"certificate for the CSR's own key whose subject CNs are {list(cns)!r} ({kind})",
            "the enrolment fails (non-zero exit): a certificate is kept only if its subject "
            "holds one CN, exactly the alias asked for",
            run,
            "exit 0: the enrolment was reported done",
        )
