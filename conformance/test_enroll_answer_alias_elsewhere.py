"""sft-pki/1: the ENROLMENT client under test reads the identity of the CA's answer from the
subject's one CN ONLY — never from a subjectAltName, another subject attribute, or a part of
the CN (docs/SPEC.md §4.4 CA-ENR-12: "whose subject's one CN is exactly the alias it asked
for", failing "as in PKI-ID-4", whose comparison is "not a prefix or substring match, not on
another attribute (O, OU) or a subjectAltName").

Same hostile CA on `https://localhost:PORT` and same `enroll_cmd` as
test_enroll_client.py (whose harness this file reuses); every answer is a `200
{"certificate": PEM}` holding a certificate the organisation root issued for the CSR's OWN
key, so a client that checks only the key and the issuer keeps it. Its single CN is ANOTHER
alias (`e9-other`, or the alias asked for with a suffix), and the alias asked for
(`e1-enrolee`) is placed where a client reading the identity the way a TLS library reads a
host name, or searching the subject's text, would find it:

- `san_dns`: CN `e9-other`, subjectAltName DNS:`e1-enrolee` — a client that takes the
  subjectAltName's DNS names when there are any and the CN otherwise (RFC 6125's rule for
  host names; PKI-ID-4 says it is not an alias's) keeps it;
- `cn_prefix`: CN `e1-enrolee.x` (a valid alias of its own) — a prefix comparison
  (`startswith`, `strncmp(cn, alias, strlen(alias))`) keeps it;
- (slow run) `organisation`: CN `e9-other`, O `e1-enrolee` — a search of the subject's
  text (`alias in subject.rfc4514_string()`) or of every attribute keeps it.

Each MUST fail the enrolment (non-zero exit) [CA-ENR-12]. Near misses of the CN itself
(case, NUL, two CNs, a trailing space) are test_enroll_answer_subject_exact.py's.

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

_OTHER = "e9-other"

# kind -> (the one CN, subjectAltName DNS names, organisation)
_PLACES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "san_dns": (_OTHER, (ALIAS,), None),
    "cn_prefix": (f"{ALIAS}.x", (), None),
    "organisation": (_OTHER, (), ALIAS),
}
_SLOW = frozenset({"organisation"})


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _PLACES]
)
def test_enrolment_client_reads_the_alias_from_the_one_cn_only(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    cn, dns_names, organisation = _PLACES[kind]
    answer = _issued_for_key(
        lambda _alias, key: lab.root.issue(
            CertProfile(common_name=cn, dns_names=dns_names, organisation=organisation), key=key
        )
    )
    run = _run(target, tmp_path, _ca_certificate(lab), answer, lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        where = (
            f"subjectAltName DNS:{dns_names[0]}"
            if dns_names
            else f"O={organisation}"
            if organisation
            else "a prefix of the CN"
        )
        _fail(
            f"CA-ENR-12: enrolment of {ALIAS!r}; the CA answers 200 with a root-issued "
            f"certificate for the CSR's own key whose one CN is {cn!r} and whose "
            f"{where} holds the alias asked for ({kind})",
            "the enrolment fails (non-zero exit): the alias is read from the subject's one "
            "CN only, byte for byte, never from a subjectAltName, another attribute or a "
            "prefix",
            run,
            "exit 0: the enrolment was reported done",
        )
