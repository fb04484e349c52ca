"""CA-ENR-20: the CA's failure counts survive a restart of the CA.

Once "not observable: the suite cannot restart a CA" — but a target may declare how
(`[pki] ca_restart_cmd`, run without a shell; the CA comes back on the same URL). With
the CA's declared threshold k (`[limits] ca_throttle_failures`: wrong passwords answered
401 before the first 429):

- one alias with k - 1 failures (each from a new address), one address with k - 1
  failures (each for a new alias): counts below the throttle, which a CA that writes
  only its locks (or only aliases) to disk loses;

then the restart, then for each: the k-th failure must still be the last one answered
401 — the next guess is 429. (A count at the threshold is not probed apart: its backoff
of about a second may run out during the restart, after which one more guess is
verified either way; the counts below it tell a lost count apart.) Without a restart
command or a declared threshold the case SKIPs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

_CSR_CN = "ghost"


def _guess(target: Target, alias: str, source: str | None, csr: str, n: int) -> int:
    return ca.enrol(target, alias, f"wrong-{n}", csr, source=source).status


@pytest.mark.req("CA-ENR-20")
def test_failure_counts_survive_a_restart_of_the_ca(pki_target: Target) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip(
            "the target declares no restart command for its CA ([pki] ca_restart_cmd): "
            "survival across a restart cannot be observed"
        )
    k = pki_target.limits.ca_throttle_failures
    if k is None or k < 2 or k > 20:
        pytest.skip(
            "needs the CA's declared throttle threshold ([limits] ca_throttle_failures), "
            "between 2 and 20"
        )
    host, port = ca.ca_address(pki_target)
    sources = ca.sources(pki_target)
    if not sources.loopback:
        pytest.skip("needs a loopback CA to vary the client address")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, _CSR_CN)))
    short_alias, address = ca.ghost_alias(), sources.fresh()
    # (what, one guess counted against it) per victim.
    victims: list[tuple[str, Callable[[int], int]]] = [
        (
            f"alias {short_alias!r} ({k - 1} failures before the restart)",
            lambda n: _guess(pki_target, short_alias, sources.fresh(), csr, n),
        ),
        (
            f"address {address} ({k - 1} failures before the restart, each another alias)",
            lambda n: _guess(pki_target, ca.ghost_alias(), address, csr, n),
        ),
    ]
    for what, guess in victims:
        statuses = [guess(n) for n in range(k - 1)]
        if statuses != [401] * (k - 1):
            raise ConformanceFailure(
                f"{what}: {k - 1} wrong passwords answered {statuses}, want 401 each "
                f"(the declared threshold is {k})",
                violates=("CA-ENR-7",),
            )
    restart_and_wait(command, host, port)
    problems = []
    for what, guess in victims:
        after = [guess(k - 1 + n) for n in range(2)]
        if after != [401, 429]:
            problems.append(f"{what}: after the restart {after}, want [401, 429]")
    if problems:
        # Control: without a restart, do k failures of a new alias throttle the next one?
        # If not, the throttle itself (CA-ENR-7) is broken, and this case cannot judge.
        control_alias = ca.ghost_alias()
        control = [_guess(pki_target, control_alias, sources.fresh(), csr, n) for n in range(k + 1)]
        raise ConformanceFailure(
            f"Expected: the CA's failure counts survive its restart (`{command}`), declared "
            f"threshold k = {k}\nActual:   " + "\n          ".join(problems),
            violates=("CA-ENR-20",) if control[-1] == 429 else ("CA-ENR-7",),
        )
