"""The same wrong password, repeated, is a failed login each time (SPEC §4.4: CA-ENR-7).

CA-ENR-7: the CA MUST throttle failed logins per alias and per client address; the
threshold N is the number of failures answered `401` before the first `429`. Every login
whose password the CA verifies and finds wrong is one of them — the SPEC has no exception
for a password already tried. A CA that counts a wrong password once per alias ("repeating
a guess teaches nothing", a reading of rate-limiting advice) or answers a byte-identical
request from a cache never meets its throttle for a client that replays one request: the
request is the same, but each one is a verification the throttle exists to bound, and an
account locked by N failures must be locked by N failures of any kind.

The throttle cases send a new wrong password each time; here one guess is repeated:
- per alias: a fresh unknown alias, the same wrong password, each login from a fresh
  address (so only the alias's count can throttle);
- per address: the very same request (alias, password, CSR) from one fresh address.
With the declared threshold N (`[limits] ca_throttle_failures`), the first N MUST be `401`
and a `429` MUST come; a `401` after the N-th is a backoff that ran out before the login
came (a slow machine), so up to four more are sent, each after a doubling: a CA that never
answers `429` to the repeated guess fails. Undeclared, up to 12 logins (as the SPEC's
"judged as if N ≤ 10").
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_LATE = 4  # logins after the N-th: backoffs 1, 2, 4, 8 s outrun a slow login
_UNDECLARED = 12


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("per", ["alias", "address"])
def test_a_repeated_wrong_password_counts_each_time(pki_target: Target, per: str) -> None:
    ca.ca_address(pki_target)
    n = pki_target.limits.ca_throttle_failures
    if n is not None and not 1 <= n <= 20:
        pytest.skip(f"a declared threshold of {n} takes too many logins")
    sources = ca.sources(pki_target)
    if per == "address" and not sources.loopback:
        pytest.skip("needs a loopback CA to give the victim an address of its own")
    alias = ca.ghost_alias()
    guess = "the-same-wrong-guess"
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    address = sources.fresh()
    most = n + 1 + _LATE if n is not None else _UNDECLARED
    statuses: list[int] = []
    for _ in range(most):
        answer = ca.enrol(
            pki_target, alias, guess, csr, source=address if per == "address" else sources.fresh()
        )
        statuses.append(answer.status)
        if answer.status != 401:
            break
    context = (
        f"CA-ENR-7: the same wrong password for the unknown alias {alias!r}, "
        + (
            "each login from a fresh address"
            if per == "alias"
            else "one request repeated from one address"
        )
        + f" (declared threshold {n})"
    )
    if n is not None and statuses[:n] != [401] * n:
        pytest.skip(
            f"the CA did not answer the first {n} failures 401: {statuses} (judged elsewhere)"
        )
    if statuses[-1] not in (401, 429):
        pytest.skip(f"the CA answered {statuses[-1]} (not a throttle's answer): {statuses}")
    if statuses[-1] != 429:
        raise ConformanceFailure.evidence(
            context,
            (f"{n} times 401, then 429" if n is not None else "429 within 12 logins")
            + " with Retry-After: each verified wrong password is a failure, the same one too",
            f"answers {statuses}",
            note="a guess counted once (or answered from a cache) never meets the throttle",
        )
