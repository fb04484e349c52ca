"""An alias that holds a certificate is throttled like any other (docs/SPEC.md §4.4,
CA-ENR-7).

CA-ENR-7: the CA MUST throttle failed logins per alias and per client address. A CA may
spare employees it has already certified ("never lock an employee out of renewing", "the
account is known good") and count their failures per address only, or not at all: guesses
at exactly the accounts worth attacking — those in use — are then throttled only as long as
the attacker keeps to one address. test_ca_throttle.py measures the per-alias threshold
with ghost aliases, which never enrolled; this case measures it on a real alias after its
enrolment.

A fresh account (through `ca_user_add_cmd`) enrols with its right password (`200`: it now
holds an unexpired, unrevoked certificate), then wrong passwords are sent for it, each
from a fresh loopback address (so no address reaches the threshold), until the first
`429` or `503`: MUST come within the threshold the target declares (`[limits]
ca_throttle_failures`) plus one, or within 12 failures when it declares none (as
test_ca_throttle.py).
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-enrolled-alias-throttled"),
]

_MAX_SEQUENTIAL = 12  # as test_ca_throttle.py: no 429 within this many failures: no throttle
_MAX_DECLARED = 60


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


@pytest.mark.req("CA-ENR-7")
def test_an_enrolled_alias_is_throttled_per_alias(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    pool = ca.sources(pki_target)
    if pool.fresh() is None:
        pytest.skip("needs fresh loopback source addresses (the CA is not on 127.x)")
    declared = pki_target.limits.ca_throttle_failures
    if declared is not None and declared + 1 > _MAX_DECLARED:
        pytest.skip(f"the declared threshold {declared} is more failures than the case sends")
    bound = _MAX_SEQUENTIAL if declared is None else declared + 1
    alias, secret = f"held-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    first = ca.enrol(pki_target, alias, secret, _csr(alias), source=pool.fresh())
    if first.status != 200:
        pytest.skip(f"the fresh account's right password was answered {first.describe()}")
    statuses: list[int] = []
    for n in range(bound):
        answer = ca.enrol(
            pki_target, alias, f"wrong-{n}-{secrets.token_hex(4)}", _csr(alias),
            source=pool.fresh(),
        )
        statuses.append(answer.status)
        if answer.status in (429, 503):
            break
        if answer.status != 401:
            raise ConformanceFailure.evidence(
                f"CA-ENR-7: wrong password #{n + 1} for the enrolled alias {alias!r}",
                "401 auth_failed, or 429/503 once the alias is throttled",
                answer.describe(),
            )
    if statuses[-1] not in (429, 503):
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: {len(statuses)} wrong passwords for {alias!r}, which holds a "
            "certificate it enrolled moments before, each from a fresh loopback address",
            "a 429 (or 503) within "
            + (f"the declared threshold {declared} + 1" if declared else "12 failures")
            + ": failed logins are throttled per alias, whatever the alias holds",
            f"statuses {statuses}",
            note="an enrolled alias spared the per-alias count (throttled per address only)",
        )
    if declared is not None and statuses.count(401) > declared:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: wrong passwords for the enrolled alias {alias!r} from fresh addresses",
            f"at most the declared threshold {declared} answered 401",
            f"statuses {statuses}",
        )
