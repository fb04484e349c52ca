"""Before its hard cap, an alias's backoff ends when Retry-After says (SPEC §4.4,
CA-ENR-7, CA-ENR-19).

CA-ENR-7: "After a 429 that said Retry-After: n, a login made n seconds later is answered
again" — until the alias reaches the hard cap L of CA-ENR-19 (L consecutive failures,
declared `[limits] ca_lock_after`). A CA that locks the alias too early — its lock
compared with the throttle threshold N instead of L (two thresholds, one constant copied
for the other), a lock counted from failures that a right password or a served backoff
should have reset, a count that includes the 429s — answers 429 at that moment, and an
honest user who mistyped N times is locked out until an administrator comes. The
existing lock case walks to L and skips when the lock comes before it; this one holds
the CA to its promise at every backoff before L.

One alias (a fresh account through `ca_user_add_cmd`, else an unknown alias, counted
alike), each guess from a fresh loopback address (only the alias's count grows): after
every 429, the suite waits its Retry-After (plus 0.2 s) and the next login must be
answered (401), as long as the alias has fewer than L failures. Bounded: at most four
backoffs of at most `_MAX_WAIT` seconds.

Fixtures (conformance/plugin.py): `pki_target` (its `ca_url`, `root`, declared limits).
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
    pytest.mark.xdist_group("ca"),
]

_MAX_WAIT = 5  # seconds: a longer Retry-After is not waited for (skip)
_MAX_BACKOFFS = 4  # backoffs waited out before L (the case stays short)
_MAX_FAILURES = 12  # the suite's own bound on the logins it sends (CA-ENR-7's N <= 10)


@pytest.mark.req("CA-ENR-7", "CA-ENR-19")
def test_each_backoff_before_the_hard_cap_ends_when_retry_after_says(
    pki_target: Target,
) -> None:
    n = pki_target.limits.ca_throttle_failures
    cap_l = pki_target.limits.ca_lock_after
    if n is None or cap_l is None:
        pytest.skip("the target declares no ca_throttle_failures and ca_lock_after ([limits])")
    if cap_l <= n:
        pytest.skip(f"ca_lock_after {cap_l} <= ca_throttle_failures {n}: no backoff before L")
    alias = ca.ghost_alias()
    if pki_target.ca_user_add_cmd:
        real = f"lt-{secrets.token_hex(5)}"
        try:
            ca.admin_command(pki_target, "add", real, stdin=secrets.token_urlsafe(15) + "\n")
            alias = real
        except pytest.skip.Exception:
            pass  # an unknown alias then: its failures count alike (CA-ENR-7)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    statuses: list[str] = []
    failures = backoffs = 0
    waited_for: int | None = None  # the Retry-After just waited out, if any
    while failures < min(cap_l, _MAX_FAILURES) and len(statuses) < 3 * _MAX_FAILURES:
        answer = ca.enrol(pki_target, alias, f"guess-{len(statuses)}", csr)
        statuses.append(f"{answer.status}/{answer.headers.get('retry-after')}")
        if answer.status == 401:
            failures += 1
            waited_for = None
            continue
        if answer.status != 429:
            pytest.skip(f"the CA answered {answer.describe()} (its own cases judge): {statuses}")
        if waited_for is not None:
            raise ConformanceFailure.evidence(
                f"CA-ENR-7: alias {alias!r}, {failures} failed logins (each from its own "
                f"address); the CA's hard cap is {cap_l} (ca_lock_after), its threshold {n}",
                f"Retry-After said {waited_for} s: a login {waited_for + 0.2:.1f} s later is "
                f"answered (401), since the alias has fewer than {cap_l} failures",
                f"429 again: {answer.describe()} (Retry-After "
                f"{answer.headers.get('retry-after')!r})",
                note=f"statuses/Retry-After so far: {statuses}",
            )
        retry = answer.headers.get("retry-after") or ""
        if not retry.isdigit():
            pytest.skip(f"429 without a Retry-After in seconds (its own cases judge): {statuses}")
        if int(retry) > _MAX_WAIT or backoffs >= _MAX_BACKOFFS:
            return  # as far as this case waits: every backoff so far ended as promised
        backoffs += 1
        waited_for = int(retry)
        time.sleep(int(retry) + 0.2)
