"""Logins the CA refuses on a side path leave no reservation behind (SPEC §4.4: CA-ENR-14).

CA-ENR-14 has the CA reserve an attempt against its alias and its address before it
verifies the password, and end the reservation when the verification ends. Written from
the SPEC alone, a CA grows side exits between the two: a revoked alias answered `401` at
once ("no need to hash for it"), an own host name refused `403`, a bad CSR refused
`400` once the password is checked. An exit that forgets to end the reservation leaves
the address (and the alias) with a phantom pending attempt: once that address has used
up its N failures, "one attempt at a time" becomes "no attempt ever", and every later
login from it (any alias, any password) is answered `503 busy`, for good.

Each case primes a fresh loopback address to N failures (a ghost alias, every answer
`401` until the first `429`, whose Retry-After it waits out), sends ONE login of a side
path from it, and then a wrong password of another ghost alias from the same address:
that login MUST be answered `401` once any backoff has run, never `503` while nothing of
ours is pending (every request was answered before the next was sent).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-refused-login-slots"),
]

_UNDECLARED_BOUND = 12  # failures tried before giving up on a 429 (target without N)
_MAX_WAIT = 5.0  # the longest single Retry-After waited out
_WAIT_BUDGET = 15.0  # the longest waited in all by one follow-up
_BUSY_ROUNDS = 3  # 503 answers, each waited out, before a busy address is judged stuck
_MARGIN = 0.3  # after a Retry-After, before the next login


def _csr(alias: str, *, tamper: str | None = None) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)), tamper=tamper)


def _wrong() -> str:
    return f"wrong-{secrets.token_hex(5)}"


def _retry_after(answer: ca.CaAnswer) -> float:
    value = answer.headers.get("retry-after", "")
    if not value.isdigit() or float(value) > _MAX_WAIT:
        pytest.skip(f"Retry-After {value!r} of {answer.describe()}: not a short wait")
    return float(value)


def _prime(target: Target, address: str | None) -> list[int]:
    """Wrong passwords of a ghost alias from `address` until the first 429, then its
    Retry-After waited out: the address has N failures and nothing pending."""
    declared = target.limits.ca_throttle_failures
    bound = _UNDECLARED_BOUND if declared is None else declared + 2
    ghost = ca.ghost_alias()
    csr = _csr(ghost)
    statuses: list[int] = []
    for _ in range(bound):
        answer = ca.enrol(target, ghost, _wrong(), csr, source=address)
        statuses.append(answer.status)
        if answer.status == 429:
            time.sleep(_retry_after(answer) + _MARGIN)  # the wait the CA asked for
            return statuses
        if answer.status != 401:
            pytest.skip(f"priming {address}: {statuses}, last {answer.describe()}")
    pytest.skip(f"priming {address}: never throttled ({statuses}): CA-ENR-7's cases judge it")


def _follow_up(target: Target, address: str | None) -> tuple[int, list[str]]:
    """A wrong password of a new ghost alias from `address`, 429/503 waited out within
    bounds: its final status and the trail of answers."""
    ghost = ca.ghost_alias()
    csr = _csr(ghost)
    trail: list[str] = []
    waited = 0.0
    busy = 0
    while True:
        answer = ca.enrol(target, ghost, _wrong(), csr, source=address)
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
            pytest.skip(f"a login from {address} is held off longer than this case waits: {trail}")
        time.sleep(wait + _MARGIN)  # the CA's Retry-After, which the SPEC says to honour
        waited += wait + _MARGIN


def _account(target: Target, prefix: str) -> tuple[str, str]:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias, secret = f"{prefix}-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(target, "add", alias, stdin=secret + "\n")
    return alias, secret


def _revoked(target: Target, *, right: bool) -> tuple[str, Callable[[str | None], ca.CaAnswer]]:
    if not target.ca_revoke_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_revoke_cmd)")
    alias, secret = _account(target, "rv")
    ca.admin_command(target, "revoke", alias)
    password = secret if right else _wrong()
    what = f"the revoked alias {alias!r} with its {'right' if right else 'a wrong'} password"
    return what, lambda source: ca.enrol(target, alias, password, _csr(alias), source=source)


def _bad_csr(target: Target) -> tuple[str, Callable[[str | None], ca.CaAnswer]]:
    alias, secret = _account(target, "bc")
    bad = _csr(alias, tamper="bit")
    what = f"the alias {alias!r} with its right password and a CSR whose signature fails"
    return what, lambda source: ca.enrol(target, alias, secret, bad, source=source)


def _own_name(target: Target) -> tuple[str, Callable[[str | None], ca.CaAnswer]]:
    host, _port = ca.ca_address(target)
    what = f"the CA's own host name {host!r} as the alias (a wrong password)"
    return what, lambda source: ca.enrol(target, host, _wrong(), _csr(host), source=source)


def _unknown(target: Target) -> tuple[str, Callable[[str | None], ca.CaAnswer]]:
    ghost = ca.ghost_alias()
    what = f"the unknown alias {ghost!r}"
    return what, lambda source: ca.enrol(target, ghost, _wrong(), _csr(ghost), source=source)


_SIDE_PATHS: dict[str, Callable[[Target], tuple[str, Callable[[str | None], ca.CaAnswer]]]] = {
    "revoked-right-password": lambda t: _revoked(t, right=True),
    "revoked-wrong-password": lambda t: _revoked(t, right=False),
    "right-password-bad-csr": _bad_csr,
    "own-host-name": _own_name,
    "unknown-alias": _unknown,
}


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize(
    "side_path",
    [
        # the revoked alias's exit with a wrong password is the same exit as with the right
        # one (each case waits out two Retry-Afters): in the thorough run only
        pytest.param(k, marks=pytest.mark.slow) if k == "revoked-wrong-password" else k
        for k in _SIDE_PATHS
    ],
)
def test_a_refused_login_leaves_its_address_free(pki_target: Target, side_path: str) -> None:
    ca.ca_address(pki_target)
    what, login = _SIDE_PATHS[side_path](pki_target)
    address = ca.sources(pki_target).fresh()
    if address is None:
        pytest.skip("the CA is not on loopback: no fresh source addresses to prime")
    primed = _prime(pki_target, address)
    refused = login(address)
    status, trail = _follow_up(pki_target, address)
    context = (
        f"CA-ENR-14: {address} primed with {len(primed)} wrong passwords of a ghost alias "
        f"({primed}; the 429's Retry-After waited out); then one login of {what} from it, "
        f"answered {refused.describe()}; then a wrong password of another ghost alias from "
        "the same address, every 429/503 waited out"
    )
    if status == 503:
        raise ConformanceFailure.evidence(
            context,
            "401 auth_failed once any backoff has run: nothing of ours is pending",
            f"{trail}: the refused login kept its reservation (its exit does not end it), "
            "so the address is busy for everyone, for ever",
            note="a reservation ends with every answer, whatever the answer (CA-ENR-14)",
        )
    if status != 401:
        raise ConformanceFailure.evidence(context, "401 auth_failed", f"{trail}")
