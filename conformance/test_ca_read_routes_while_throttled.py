"""The login throttle is for logins: an address it holds back still gets the root and the
CRL (docs/SPEC.md §4.4: CA-ENR-8, CA-ENR-7).

CA-ENR-8: `GET /v1/root` MUST return the root and `GET /v1/crl` the current CRL; nothing
there depends on who asks. CA-ENR-7 throttles FAILED LOGINS per alias and per address.
A throttle written as a rate-limit middleware whose scope is the whole API (many
middlewares' default) answers an address in backoff `429` on every route: peers behind
the address of a guesser (a NAT, a proxy) can no longer fetch the CRL they must refresh
(PKI-CERT-7, PKI-CERT-12: they then fail closed) nor the root a new employee needs.

One fresh address fails logins (wrong passwords for made-up aliases, one each, so only
the address accumulates failures) until the CA answers `429`; then, from that same
address, on fresh connections, `GET /v1/root` and `GET /v1/crl`: `200`, the root (PEM)
and a CRL (DER).
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
    pytest.mark.xdist_group("ca-read-routes-while-throttled"),
]


def _throttle_address(target: Target, source: str) -> ca.CaAnswer:
    """Wrong passwords for made-up aliases from `source` until a 429 (the address's
    backoff); skips when none comes within the threshold the target declares (or 10) + 2."""
    limit = (target.limits.ca_throttle_failures or 10) + 2
    for _ in range(limit):
        alias = ca.ghost_alias()
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        answer = ca.enrol(target, alias, f"wrong-{secrets.token_hex(6)}", csr, source=source)
        if answer.status == 429:
            return answer
        if answer.status not in (400, 401, 503):
            pytest.skip(f"a wrong password for a made-up alias: {answer.describe()}")
    pytest.skip(f"no 429 after {limit} failed logins from one address (judged elsewhere)")


@pytest.mark.req("CA-ENR-8")
def test_a_throttled_address_still_reads_the_root_and_the_crl(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    source = ca.sources(pki_target).fresh()
    if source is None:
        pytest.skip("needs fresh loopback source addresses (a CA on 127.0.0.0/8)")
    throttled = _throttle_address(pki_target, source)
    problems = []
    for route in ("/v1/crl", "/v1/root"):
        answer = ca.request(pki_target, "GET", route, source=source)
        if route == "/v1/crl":
            ok = answer.status == 200 and answer.body[:1] == b"\x30"
            if ok:
                ca.read_crl(answer.body)  # a CRL, not another DER object
        else:
            ok = answer.status == 200 and b"-----BEGIN CERTIFICATE-----" in answer.body
        if not ok:
            problems.append(f"GET {route}: {answer.describe()}")
    if not problems:
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-8: failed logins (wrong passwords, made-up aliases) from the address "
        f"{source} until the CA answered {throttled.describe()} (its backoff running); then "
        "GET /v1/crl and GET /v1/root from that same address, each on a fresh connection",
        "200 with the current CRL (DER) and 200 with the root (PEM): the throttle holds back "
        "logins, not the CA's public routes",
        "; ".join(problems),
        note="the login throttle gates every route per address (a middleware's scope): "
        "peers behind a guesser's address cannot refresh the CRL",
    )
