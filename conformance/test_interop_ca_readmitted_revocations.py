"""Re-admitting a revoked alias revokes nothing back (SPEC §4.4: CA-ENR-8, CA-ENR-11).

CA-ENR-11: a revoked alias does not enrol again until an administrator re-admits it;
revoking it put every certificate it had on the CRL, and CA-ENR-8's CRL lists every
revocation made before the request. Re-admission is about the ACCOUNT: the certificates
revoked with it stay revoked (their keys may be the very reason for the revocation). A
CA whose re-admission "restores the alias as it was" — one UPDATE clearing the revoked
flag of the user and of its certificates, or a revoked flag kept per alias and read when
the CRL is built — takes the stolen laptop's certificate off the CRL the moment its
owner gets a new one.

The case enrols a fresh alias twice, revokes it, checks the CRL lists both serials (as
CA-ENR-11's own case does), runs the target's `ca_user_add_cmd` for the alias again (a
new password: how the target re-admits), enrols once more with the new password if the
CA lets it (not judged here), and fetches the CRL again: both old serials MUST still be
listed.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]


def _enrol(target: Target, alias: str, secret: str) -> ca.CaAnswer:
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    return ca.enrol(target, alias, secret, csr)


def _serial(answer: ca.CaAnswer, what: str) -> int:
    obj = ca.json_body(answer, what)
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        pytest.skip(f"{what}: {answer.describe()} (enrolment is judged by CA-ENR-2's cases)")
    return ca.read_issued(obj["certificate"]).serial


@pytest.mark.req("CA-ENR-8", "CA-ENR-11")
def test_readmitting_a_revoked_alias_keeps_its_certificates_revoked(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not (pki_target.ca_user_add_cmd and pki_target.ca_revoke_cmd):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    alias, first = f"ra-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=first + "\n")
    serials = {
        _serial(_enrol(pki_target, alias, first), f"enrolment {n} of {alias!r}") for n in (1, 2)
    }
    ca.admin_command(pki_target, "revoke", alias)
    before = ca.fetch_crl(pki_target)
    if not serials <= before.serials:
        pytest.skip(
            f"the CRL after the revocation lacks {sorted(serials - before.serials)}: "
            "CA-ENR-11's own case judges that"
        )
    second = secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=second + "\n")
    again = _enrol(pki_target, alias, second)
    after = ca.fetch_crl(pki_target)
    dropped = serials - after.serials
    if dropped:
        raise ConformanceFailure.evidence(
            f"CA-ENR-8/CA-ENR-11: {alias!r} enrolled twice (serials "
            f"{', '.join(hex(s) for s in sorted(serials))}), was revoked (both on the CRL), "
            f"then re-added with the target's ca_user_add_cmd and a new password (its next "
            f"enrolment: {again.status}); then GET /v1/crl",
            "both serials still listed: a revocation is for the certificate's lifetime, "
            "re-admission is about the account",
            f"the CRL ({len(after.serials)} entries) no longer lists "
            f"{', '.join(hex(s) for s in sorted(dropped))}",
            note="the CRL lists every revocation made before the request (CA-ENR-8)",
        )
