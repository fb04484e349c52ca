"""A right password's reset survives a restart of the CA (SPEC §4.4: CA-ENR-19, with
CA-ENR-20).

The hard cap counts *consecutive* failed logins of an alias: a right password resets
the count [CA-ENR-19]. The counts live on disk so that a restart keeps them
[CA-ENR-20] — and so must the reset: a CA that clears the count in memory only finds
the old count again after a restart, and locks the alias before L consecutive failures.

With the declared restart command (`[pki] ca_restart_cmd`), threshold and hard cap
(`[limits] ca_throttle_failures`, `ca_lock_after`, at most 20) and `ca_user_add_cmd`
(else SKIP): a fresh account fails L - 1 times, enrols with its right password, the CA
restarts, the account fails L - 1 times again, and its right password — each `429`
waited out — is answered `200`.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-restart-resets"),
]

_LONGEST_WAIT = 10.0


def _wait(answer: ca.CaAnswer) -> None:
    text = answer.headers.get("retry-after", "1").strip()
    wait = float(text) if text.isdigit() else 1.0
    if wait > _LONGEST_WAIT:
        pytest.skip(f"the CA asks to wait {wait:g} s (Retry-After): longer than this case waits")
    time.sleep(max(1.0, wait) + 0.3)


def _fail(
    target: Target, alias: str, csr: str, times: int, trail: list[str], *, required: bool
) -> None:
    """`times` wrong passwords answered 401 (each 429 waited out and tried again). When
    they cannot be made (a lock), SKIP if `required`, else return: the right password
    that follows is then judged."""
    failed = 0
    for _ in range(2 * times + 3):
        if failed == times:
            return
        answer = ca.enrol(target, alias, f"wrong-{secrets.token_hex(3)}", csr)
        trail.append(str(answer.status))
        if answer.status == 401:
            failed += 1
        elif answer.status in (429, 503):
            _wait(answer)
        else:
            pytest.skip(f"a wrong password of {alias!r} was answered {answer.describe()}")
    if required:
        pytest.skip(f"{alias!r}: {times} failures could not be made (answers {trail})")


def _right(target: Target, alias: str, password: str, csr: str, trail: list[str]) -> ca.CaAnswer:
    """The right password, each 429/503 waited out (at most 6 tries): the last answer."""
    for _ in range(6):
        answer = ca.enrol(target, alias, password, csr)
        trail.append(str(answer.status))
        if answer.status not in (429, 503):
            return answer
        _wait(answer)
    return answer


@pytest.mark.req("CA-ENR-19")
def test_a_right_password_resets_the_count_across_a_restart(pki_target: Target) -> None:
    """L - 1 failures, the right password (200), a restart, L - 1 failures: the right
    password is answered 200 (each 429 waited out), never locked."""
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip("the target declares no restart command for its CA ([pki] ca_restart_cmd)")
    lock = pki_target.limits.ca_lock_after
    if lock is None or not 2 <= lock <= 20:
        pytest.skip("needs the CA's declared hard cap ([limits] ca_lock_after), 2 to 20")
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias = f"reset-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    trail: list[str] = []
    _fail(pki_target, alias, csr, lock - 1, trail, required=True)
    first = _right(pki_target, alias, password, csr, trail)
    if first.status != 200:
        pytest.skip(
            f"{alias!r}: the right password after {lock - 1} failures was answered "
            f"{first.describe()} (see test_ca_throttle.py)"
        )
    trail.append("restart")
    host, port = ca.ca_address(pki_target)
    restart_and_wait(command, host, port)
    _fail(pki_target, alias, csr, lock - 1, trail, required=False)
    answer = _right(pki_target, alias, password, csr, trail)
    if answer.status != 200:
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: the account {alias!r}: {lock - 1} failed logins, its right password "
            f"(200), a restart of the CA, {lock - 1} failed logins, its right password, each "
            f"429 waited out (answers {', '.join(trail)})",
            f"200: only {lock - 1} consecutive failures since the right password reset the "
            f"count (hard cap {lock}); the reset survives the restart as the counts do",
            answer.describe(),
        )
