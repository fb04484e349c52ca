"""The CA's hard cap counts failures however slowly they come (SPEC §4.4, CA-ENR-19).

"After L consecutive failed logins of an alias (... a right password resets the
count), the CA MUST answer every further login of that alias 429": only a right
password (or an administrator) resets the count. A CA that forgives failures once
the alias has been quiet for a while — longer than its backoff cap, say — lets a
guesser who paces himself go on for ever, never reaching L.

The case needs the CA's declared hard cap and backoff cap (`[limits] ca_lock_after`,
`ca_throttle_cap`, both small enough to wait out) and its administration command (a
real alias, whose right password the lock must refuse too). Each guess goes from a
fresh loopback address (only the alias's count grows) and comes more than the backoff
cap after the previous one (its backoff, at most the cap, is then over).
"""

from __future__ import annotations

import math
import secrets
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-paced-failures"),
]

_BUDGET = 40.0  # seconds this case spends waiting, at most
_MAX_LOCK_AFTER = 12


@pytest.mark.req("CA-ENR-19")
def test_failures_spread_beyond_the_backoff_cap_still_lock_the_alias(
    pki_target: Target,
) -> None:
    """A fresh account fails `ca_lock_after` times, each failure more than the backoff
    cap after the previous one; its next login — with its right password — is `429
    throttled`."""
    lock_after = pki_target.limits.ca_lock_after
    cap = pki_target.limits.ca_throttle_cap
    if lock_after is None or cap is None:
        pytest.skip(
            "needs the CA's declared hard cap and backoff cap (ca_lock_after, ca_throttle_cap)"
        )
    if lock_after > _MAX_LOCK_AFTER:
        pytest.skip(f"ca_lock_after {lock_after} is more failures than this case sends")
    pause = math.ceil(cap) + 1.0
    if lock_after * (pause + math.ceil(cap)) > _BUDGET:
        pytest.skip(
            f"{lock_after} failures {pause:g} s apart after each backoff (cap {cap:g} s) "
            f"take longer than this case waits ({_BUDGET:g} s)"
        )
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias, password = f"paced-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    log: list[str] = []
    failures, spent = 0, 0.0
    for n in range(3 * lock_after):
        if failures == lock_after:
            break
        answer = ca.enrol(pki_target, alias, f"paced-guess-{n}", csr)
        retry = answer.headers.get("retry-after") or ""
        log.append(f"{answer.status}/{retry or '-'}")
        if answer.status == 401:
            failures += 1
            wait = pause
        elif answer.status in (429, 503) and retry.isdigit():
            wait = int(retry) + 0.2  # still backing off (or busy): wait it out, no guess
        else:
            pytest.skip(f"the CA answered {answer.describe()} before the lock (CA-ENR-7 judges)")
        if failures == lock_after:
            break
        if spent + wait > _BUDGET:
            pytest.skip(f"the waits went beyond {_BUDGET:g} s: {log}")
        spent += wait
        time.sleep(wait)  # the pacing under test, not a synchronisation
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached: {log}")
    answer = ca.enrol(pki_target, alias, password, csr)
    log.append(f"{answer.status}/{answer.headers.get('retry-after') or '-'} (right password)")
    if answer.status != 429:
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: the new account {alias!r} failed {lock_after} logins in a row "
            f"(the declared ca_lock_after), each {pause:g} s or more after the previous "
            f"one (backoff cap {cap:g} s); then a login with its right password",
            "429 throttled: the count of consecutive failures is reset by a right password "
            "or an administrator, not by time",
            f"{answer.describe()} — statuses/Retry-After: {log}",
        )
