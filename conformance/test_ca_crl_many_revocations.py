"""The CRL lists every revocation, however many there are (docs/SPEC.md §4.4 CA-ENR-8,
CA-ENR-11; PKI-CERT-11: "a CRL is read whole, whatever its number of entries").

CA-ENR-8: `GET /v1/crl` "lists every revocation made before the request"; CA-ENR-11:
revoking an alias adds ALL its unexpired certificates. The suite's other CRL cases revoke
an alias holding one or two certificates: a CA that reads its revoked rows a page at a
time and never asks for the second page (`fetchmany(50)`, `LIMIT 100`, a first page of an
ORM query, a fixed-size array of entries), or revokes a batch of an alias's certificates
per statement, passes them all, and drops from its CRL every revocation past the first
page — certificates every endpoint then accepts again.

`test_crl_lists_every_certificate_of_a_much_enrolled_alias` (slow: one login per
certificate) adds a fresh alias with the target's `ca_user_add_cmd`, enrols it 130 times
(past pages of 50, 64, 100 and 128), revokes it with `ca_revoke_cmd`, and requires the
CRL to list all 130 serials.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-crl-many-revocations"),
]

_CERTIFICATES = 130
_BUDGET = 240.0  # seconds for all the enrolments (a slow CA's scrypt on a busy machine)


@pytest.mark.slow
@pytest.mark.req("CA-ENR-8", "CA-ENR-11")
def test_crl_lists_every_certificate_of_a_much_enrolled_alias(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not (pki_target.ca_user_add_cmd and pki_target.ca_revoke_cmd):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    alias = f"many-{secrets.token_hex(5)}"
    password = secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    subject = ca.name((ca.OID_CN, alias))
    key = ca.CsrKey.ec("P-256")  # one key: the serials still differ (CA-ENR-10)
    csr = ca.csr_pem(key, subject)
    source = ca.sources(pki_target).fresh()
    serials: set[int] = set()
    deadline = time.monotonic() + _BUDGET
    for n in range(_CERTIFICATES):
        if time.monotonic() > deadline:
            pytest.skip(f"{n} enrolments took over {_BUDGET:g} s")
        answer = ca.enrol(pki_target, alias, password, csr, source=source)
        obj = ca.json_body(answer, f"enrolment {n + 1}")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            pytest.skip(f"enrolment {n + 1}: {answer.describe()} (CA-ENR-2's cases)")
        serials.add(ca.read_issued(obj["certificate"]).serial)
    ca.admin_command(pki_target, "revoke", alias)
    listed = ca.fetch_crl(pki_target).serials
    missing = serials - listed
    if missing:
        raise ConformanceFailure.evidence(
            f"CA-ENR-8/CA-ENR-11: the fresh alias {alias!r} enrolled {_CERTIFICATES} times "
            f"({len(serials)} distinct serials), revoked with the target's ca_revoke_cmd, "
            "then GET /v1/crl",
            f"all {len(serials)} serials listed (a CRL lists every revocation, whatever "
            "their number)",
            f"{len(missing)} missing; the CRL lists {len(listed)} entries, "
            f"{len(serials & listed)} of this alias's",
        )
