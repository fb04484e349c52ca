"""What the CA issued and revoked before a restart, after it (SPEC §4.4, CA-ENR-8, CA-ENR-11).

Every other revocation case runs within one life of the CA. A CA that keeps part of its
record in memory, or that tidies its store when it starts (a clean-up of expired
certificates with the comparison the wrong way round deletes the unexpired ones), passes
them all, and after a restart either forgets a revocation the CRL must go on listing
(CA-ENR-8: it lists every revocation made before the request), or no longer knows the
certificates an alias holds, so that revoking the alias lists none of them (CA-ENR-11:
every certificate the CA has handed out for the alias).

With the declared restart and administration commands (`[pki] ca_restart_cmd`,
`ca_user_add_cmd`, `ca_revoke_cmd`): two fresh users enrol; one is revoked; the CA
restarts; the CRL must still list the revoked one's certificate, the revoked alias must
still not enrol, and once the other is revoked, its certificate issued before the restart
is listed too. Without those commands: SKIP.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]


def _fresh_user(target: Target, prefix: str) -> Account:
    account = Account(f"{prefix}-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    return account


def _enrol(target: Target, account: Account, root: ca.RootInfo) -> int:
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    cert, _problems = ca.enrol_and_read(target, account, key, csr, root)
    return cert.serial


@pytest.mark.req("CA-ENR-11", "CA-ENR-8")
def test_certificates_and_revocations_outlive_a_restart_of_the_ca(pki_target: Target) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip(
            "the target declares no restart command for its CA ([pki] ca_restart_cmd): "
            "its record across a restart cannot be observed"
        )
    if not (pki_target.ca_user_add_cmd and pki_target.ca_revoke_cmd):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    host, port = ca.ca_address(pki_target)
    root = ca.root_info(pki_target)
    kept = _fresh_user(pki_target, "rk")
    gone = _fresh_user(pki_target, "rg")
    kept_serial = _enrol(pki_target, kept, root)
    gone_serial = _enrol(pki_target, gone, root)
    ca.admin_command(pki_target, "revoke", gone.user)
    before = ca.fetch_crl(pki_target)
    if gone_serial not in before.serials:
        raise ConformanceFailure(
            f"CA-ENR-11: {gone.user!r} (certificate {gone_serial:#x}) was revoked; the CRL "
            f"fetched after ({len(before.serials)} entries) does not list it",
            violates=["CA-ENR-11"],
        )
    restart_and_wait(command, host, port)
    fetched = dt.datetime.now(dt.UTC)
    after = ca.fetch_crl(pki_target)
    if gone_serial not in after.serials:
        raise ConformanceFailure(
            f"CA-ENR-8: {gone.user!r} was revoked before a restart of the CA (`{command}`) "
            f"and its certificate {gone_serial:#x} listed then; the CRL served after the "
            f"restart (thisUpdate {after.this_update}, {len(after.serials)} entries) no "
            "longer lists it: the CRL lists every revocation made before the request",
            violates=["CA-ENR-8"],
        )
    problems = ca.crl_problems(after, root, fetched)
    if problems:
        raise ConformanceFailure(
            "CA-ENR-8: the CRL served after a restart: " + "; ".join(problems),
            violates=["CA-ENR-8"],
        )
    key = ca.CsrKey.ec("P-256")
    again = ca.enrol(
        pki_target, gone.user, gone.password, ca.csr_pem(key, ca.name((ca.OID_CN, gone.user)))
    )
    if again.status == 200:
        raise ConformanceFailure(
            f"CA-ENR-11: {gone.user!r} was revoked before a restart of the CA (`{command}`); "
            f"after it, its right password enrolled again ({again.describe()[:160]}): a "
            "revoked alias must not enrol until an administrator re-admits it",
            violates=["CA-ENR-11"],
        )
    ca.admin_command(pki_target, "revoke", kept.user)
    crl = ca.fetch_crl(pki_target)
    if kept_serial not in crl.serials:
        raise ConformanceFailure(
            f"CA-ENR-11: {kept.user!r} enrolled (certificate {kept_serial:#x}), the CA "
            f"restarted (`{command}`), then the alias was revoked; the CRL fetched after "
            f"({len(crl.serials)} entries) does not list the certificate: revoking an alias "
            "revokes every certificate the CA handed out for it, also before a restart",
            violates=["CA-ENR-11"],
        )
