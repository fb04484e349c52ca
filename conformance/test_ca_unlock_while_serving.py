"""An administrator's unlock takes effect on the running CA (docs/SPEC.md §4.4: CA-ENR-19).

CA-ENR-19: after L consecutive failed logins of an alias the CA MUST answer every further
login of it `429` "until an administrator unlocks it (reference: `sft ca user unlock
ALIAS --dir D`)". The unlock is an administrator's action on a CA that serves: the
administration tool runs in its own process and writes the lock store; the running CA
must see it. Two habits break that: a CA that trusts its in-memory set of locked aliases
(loaded at start, the store written only for restarts) keeps the alias locked until it
is restarted; a CA that writes its whole in-memory lock set back to the store with every
failure it records ("keep the table in sync") undoes the unlock at the next failed login
of ANY alias, before it ever looked at the unlocked one.

With the target's `ca_unlock_cmd`, `ca_user_add_cmd` and `[limits] ca_lock_after` (and a
backoff cap of 10 s or less, `ca_throttle_cap`): a fresh account fails `ca_lock_after`
times (each from a fresh address, every Retry-After waited out) and its right password
is then answered `429`; the declared unlock command runs (exit 0); one wrong password of
another, unknown alias follows from a fresh address; then the account's right password
MUST enrol (`200`) at once: the unlock ends the alias's failure count and its running
backoff with the lock (a CA that keeps the last backoff running answers `429`: FAIL).
"""

from __future__ import annotations

import secrets
import shlex
import subprocess
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-unlock-while-serving"),
]

_MAX_LOCK_AFTER = 20
_MAX_CAP = 10.0
_BUDGET = 20.0  # seconds of Retry-After waits on the way to the lock


def _unlock(template: str, alias: str) -> str | None:
    argv = [part.format(alias=alias) for part in shlex.split(template)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{shlex.join(argv)}` did not complete: {exc}"
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace")[-300:]
        return f"`{shlex.join(argv)}` exited {done.returncode}: {err!r}"
    return None


@pytest.mark.req("CA-ENR-19")
def test_an_unlock_by_the_administrator_reaches_the_running_ca(pki_target: Target) -> None:
    template = pki_target.ca_unlock_cmd
    if not template:
        pytest.skip("the target declares no unlock command for its CA ([pki] ca_unlock_cmd)")
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    lock_after = pki_target.limits.ca_lock_after
    cap = pki_target.limits.ca_throttle_cap
    if lock_after is None or lock_after > _MAX_LOCK_AFTER:
        pytest.skip(f"needs [limits] ca_lock_after <= {_MAX_LOCK_AFTER} (it is {lock_after})")
    if cap is None or cap > _MAX_CAP:
        pytest.skip(f"needs [limits] ca_throttle_cap of at most {_MAX_CAP:g} s (it is {cap})")
    alias, password = f"ul-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    pool = ca.sources(pki_target)
    seen: list[str] = []

    def login(secret: str, who: str = alias) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, who, secret, csr, source=pool.fresh())
        seen.append(f"{answer.status}/{answer.headers.get('retry-after')}")
        return answer

    failures, budget = 0, _BUDGET
    for _ in range(2 * lock_after + 2):
        if failures == lock_after:
            break
        answer = login(f"wrong-{secrets.token_hex(4)}")
        if answer.status == 401:
            failures += 1
            continue
        retry = answer.headers.get("retry-after") or ""
        if answer.status != 429 or not retry.isdigit() or int(retry) + 0.2 > budget:
            pytest.skip(f"no lock within this case's waits ({seen}): test_ca_throttle.py judges")
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)  # the CA's own Retry-After, waited out
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached ({seen})")
    locked = login(password)
    if locked.status != 429:
        pytest.skip(
            f"after {lock_after} failures the right password got {locked.describe()}, not "
            "429: test_ca_throttle.py judges the lock"
        )
    problem = _unlock(template, alias)
    if problem is not None:
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: {alias!r} is locked ({lock_after} failed logins, then 429 for its "
            "right password); the declared unlock command runs while the CA serves",
            "exit 0: an administrator unlocks while the CA serves",
            problem,
        )
    # Another alias's failed login, recorded by the CA after the unlock.
    login(f"wrong-{secrets.token_hex(4)}", ca.ghost_alias())
    after = login(password)
    if after.status == 200:
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-19: {alias!r} locked after {lock_after} failed logins (its right password "
        f"answered 429), then unlocked with the declared command (exit 0) while the CA "
        f"served, then one failed login of another alias; statuses/Retry-After: {seen}",
        "its right password enrols (200) at once: the lock holds only until an administrator "
        "unlocks it, and the unlock ends the alias's failure count and backoff with it",
        after.describe(),
        note="the running CA trusts its own lock set (the unlock seen at the next restart), "
        "writes it back over the administrator's unlock, or keeps the alias's backoff running",
    )
