"""CA-ENR-14: a login the CA fails to verify (its handler raises) must still end its
reservation.

A CA that reserves a login against its alias and address before the slow hash
(CA-ENR-14) must release that reservation on every path out of the verification, not
only on "right" and "wrong". The path forgotten in practice is the exception: a password
the hash cannot take — a lone surrogate (`"\\ud800"`: valid JSON, no UTF-8 encoding, so
`password.encode()` raises in Python) or a NUL (which some password-hash bindings refuse)
— makes the hash raise, the handler answers 500 (or 400), and the reservation stays.
After N such requests (N: the CA's threshold; never a failure, since nothing was
verified) the address and the alias hold N "pending" attempts forever: every later login
from that address, or for that alias, is answered `503 busy`, however long one waits.
A denial of service any client can cause with N requests.

The case: N such requests (sequential, one ghost alias, one fresh address), then wrong
passwords for another ghost alias from that address, and for the first alias from
another fresh address. Whatever the CA answered the hostile requests (400, 401, 500: an
error answer, CA-ENR-9 judges its form elsewhere) and whether it counted them as
failures or not, the next logins must be verified (401) once any backoff they earned has
run (429 with its `Retry-After`, waited out within bounds); `503 busy` to a sequential
login, still after its `Retry-After` has been waited out several times, means
reservations nobody holds any more. Nothing is pending on our side: every earlier request
was answered before the next was sent.
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
    pytest.mark.xdist_group("ca-pending-more"),
]

_UNDECLARED_THRESHOLD = 10  # CA-ENR-7: a target without a declared N is judged as N <= 10
_MAX_WAIT = 5.0  # the longest single Retry-After the case waits out
_WAIT_BUDGET = 15.0  # the longest it waits in all, per follow-up login
_BUSY_ROUNDS = 3  # 503 answers, each waited out, before a busy state is judged stuck

# Passwords a hash may raise on. JSON-escaped by json.dumps (ensure_ascii): the bodies
# are valid JSON and valid UTF-8.
_HOSTILE_PASSWORDS = {
    "lone-surrogate": "\ud800guess",
    "nul": "gue\u0000ss",
}


def _threshold(target: Target) -> int:
    declared = target.limits.ca_throttle_failures
    return _UNDECLARED_THRESHOLD if declared is None else max(1, declared)


def _follow_up(target: Target, alias: str, source: str | None, csr: str) -> tuple[int, list[str]]:
    """A wrong-password login, 429/503 waited out within bounds: its final status and the
    trail of answers."""
    trail: list[str] = []
    waited = 0.0
    busy = 0
    while True:
        answer = ca.enrol(target, alias, f"wrong-{secrets.token_hex(4)}", csr, source=source)
        retry = answer.headers.get("retry-after", "")
        trail.append(f"{answer.status} (Retry-After {retry or '-'})")
        if answer.status not in (429, 503):
            return answer.status, trail
        if answer.status == 503:
            busy += 1
            if busy >= _BUSY_ROUNDS:
                return 503, trail
        wait = float(retry) if retry.isdigit() else 1.0
        if wait > _MAX_WAIT or waited + wait > _WAIT_BUDGET:
            pytest.skip(
                f"a login for {alias!r} is held off longer than this case waits "
                f"({_WAIT_BUDGET:g} s): {trail}"
            )
        time.sleep(wait + 0.2)  # the CA's Retry-After, which the SPEC says to honour
        waited += wait + 0.2


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize("password", list(_HOSTILE_PASSWORDS))
def test_a_login_whose_hash_fails_leaves_nothing_pending(pki_target: Target, password: str) -> None:
    ca.ca_address(pki_target)
    hostile = _HOSTILE_PASSWORDS[password]
    first, second = ca.ghost_alias(), ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    address = ca.sources(pki_target).fresh()
    statuses: list[int] = []
    for _ in range(_threshold(pki_target)):
        answer = ca.enrol(pki_target, first, hostile, csr, source=address)
        statuses.append(answer.status)
        if answer.status in (429, 503):
            break  # throttled (counted) or busy: the follow-ups judge which it is
    what = (
        f"{len(statuses)} sequential logins of the unknown alias {first!r} from {address} "
        f"with a password holding a {password} (answered {statuses})"
    )
    for alias, source, which in (
        (second, address, f"another unknown alias {second!r} from the same address"),
        (first, ca.sources(pki_target).fresh(), f"{first!r} from a fresh address"),
    ):
        status, trail = _follow_up(pki_target, alias, source, csr)
        if status == 503:
            raise ConformanceFailure(
                f"CA-ENR-14: after {what}, a wrong password for {which} got 503 busy "
                f"{_BUSY_ROUNDS} times, each Retry-After waited out: {trail}. Nothing of "
                "ours is pending (every request was answered before the next): the "
                "requests whose password the hash could not take kept their reservation "
                "(the error path does not release it), so the address and the alias stay "
                "busy for everyone, for ever"
            )
        if status != 401:
            raise ConformanceFailure(
                f"CA-ENR-14: after {what}, a wrong password for {which} got {trail}, "
                "want 401 auth_failed once any backoff has run"
            )
