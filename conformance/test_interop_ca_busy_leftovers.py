"""A login answered `503 busy` leaves nothing reserved (SPEC §4.4: CA-ENR-14).

CA-ENR-14 has the CA reserve an attempt against its alias AND its address, and answer
`503 busy`, without counting it, when either has no room. A CA that reserves key by key
("check the alias, reserve it; check the address, reserve it") and returns `503` at the
second key keeps the first key's reservation: every login refused because its ADDRESS
was busy leaves its ALIAS one pending attempt more (and, checked the other way round,
every login refused because its alias was busy leaves its address one more). Pending
attempts that never end shrink "max(1, N - f)" to nothing: that alias (or address) is
`503 busy` for everyone, for good.

Each case makes one key of the pair hold a single attempt at a time (N failures, the
backoff waited out: "once N failures are reached, one attempt at a time"), sends a burst
of wrong passwords that share that key with a fresh other key (connections opened first,
the requests released together), waits for every answer, and then sends a wrong password
that shares only the OTHER key, from elsewhere: it MUST be answered `401` (after any
backoff), never `503` while nothing of ours is pending.
"""

from __future__ import annotations

import http.client
import secrets
import threading
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-busy-leftovers"),
]

_BURST = 5  # logins released together
_ROUNDS = 3  # bursts tried until one overlaps (some 503 answered)
_UNDECLARED_BOUND = 12
_MAX_WAIT = 5.0
_WAIT_BUDGET = 15.0
_BUSY_ROUNDS = 3
_MARGIN = 0.3


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _wrong() -> str:
    return f"wrong-{secrets.token_hex(5)}"


def _retry_after(answer: ca.CaAnswer) -> float:
    value = answer.headers.get("retry-after", "")
    if not value.isdigit() or float(value) > _MAX_WAIT:
        pytest.skip(f"Retry-After {value!r} of {answer.describe()}: not a short wait")
    return float(value)


def _one_at_a_time(target: Target, alias: str, source: str | None) -> list[int]:
    """Wrong passwords of `alias` until the first 429 — each from a new address when
    `source` is None, else all from `source` (with new ghost aliases) — and its
    Retry-After waited out: that key now admits one attempt at a time."""
    declared = target.limits.ca_throttle_failures
    bound = _UNDECLARED_BOUND if declared is None else declared + 2
    statuses: list[int] = []
    for _ in range(bound):
        who = alias if source is None else ca.ghost_alias()
        answer = ca.enrol(target, who, _wrong(), _csr(who), source=source)
        statuses.append(answer.status)
        if answer.status == 429:
            time.sleep(_retry_after(answer) + _MARGIN)  # the wait the CA asked for
            return statuses
        if answer.status != 401:
            pytest.skip(f"priming: {statuses}, last {answer.describe()}")
    pytest.skip(f"priming: never throttled ({statuses}): CA-ENR-7's cases judge it")


def _burst(target: Target, alias: str, source: str | None) -> list[str]:
    """`_BURST` wrong passwords of `alias` from `source`, the connections opened first and
    the requests released together; their answers' statuses (or the error)."""
    host, port = ca.ca_address(target)
    barrier = threading.Barrier(_BURST)
    results = ["no answer"] * _BURST
    csr = _csr(alias)

    def one(i: int) -> None:
        conn = http.client.HTTPSConnection(
            host,
            port,
            timeout=ca.TIMEOUT,
            context=ca.tls_context(target),
            source_address=(source, 0) if source else None,
        )
        try:
            conn.connect()
            barrier.wait(timeout=ca.TIMEOUT)
            body = ca.enrol_body(alias, _wrong(), csr)
            conn.request("POST", "/v1/enroll", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            results[i] = str(response.status)
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            results[i] = f"error {type(exc).__name__}"
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(_BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * ca.TIMEOUT)
    return results


def _follow_up(target: Target, alias: str, source: str | None) -> tuple[int, list[str]]:
    """A wrong password of `alias` from `source`, 429/503 waited out within bounds."""
    trail: list[str] = []
    waited = 0.0
    busy = 0
    csr = _csr(alias)
    while True:
        answer = ca.enrol(target, alias, _wrong(), csr, source=source)
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
            pytest.skip(f"a login of {alias!r} is held off longer than this case waits: {trail}")
        time.sleep(wait + _MARGIN)  # the CA's Retry-After, which the SPEC says to honour
        waited += wait + _MARGIN


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize("full", ["address", "alias"])
def test_logins_refused_busy_leave_the_other_key_free(pki_target: Target, full: str) -> None:
    """`full` is the key held to one attempt at a time: the ADDRESS (a burst of one fresh
    ghost alias from it; then that alias from a new address), or the ALIAS (a burst of it
    from one fresh address; then another ghost alias from that address)."""
    ca.ca_address(pki_target)
    fresh = ca.sources(pki_target).fresh
    if fresh() is None:
        pytest.skip("the CA is not on loopback: no fresh source addresses")
    rounds: list[list[str]] = []
    for _ in range(_ROUNDS):
        alias, address = ca.ghost_alias(), fresh()
        if full == "address":
            primed = _one_at_a_time(pki_target, alias, address)
            burst = _burst(pki_target, alias, address)
            other_alias, other_source = alias, fresh()
            what = (
                f"address {address} held to one attempt at a time ({primed}, with other ghost "
                f"aliases, the 429 waited out); {_BURST} wrong passwords of the fresh ghost "
                f"alias {alias!r} from it, released together"
            )
            then = f"a wrong password of {alias!r} from a new address"
        else:
            primed = _one_at_a_time(pki_target, alias, None)
            burst = _burst(pki_target, alias, address)
            other_alias, other_source = ca.ghost_alias(), address
            what = (
                f"ghost alias {alias!r} held to one attempt at a time ({primed}, each from a "
                f"new address, the 429 waited out); {_BURST} wrong passwords of it from the "
                f"fresh address {address}, released together"
            )
            then = f"a wrong password of another ghost alias from {address}"
        rounds.append(burst)
        if "503" not in burst:
            continue  # no overlap: nothing was refused busy, nothing to leave behind
        status, trail = _follow_up(pki_target, other_alias, other_source)
        context = f"CA-ENR-14: {what}, answered {burst}; then {then}, every 429/503 waited out"
        if status == 503:
            raise ConformanceFailure.evidence(
                context,
                "401 auth_failed once any backoff has run: nothing of ours is pending",
                f"{trail}: the logins refused busy kept a reservation on the key that had "
                "room (reserved before the other key was checked, never released)",
                note="a 503 reserves nothing: the check of both keys comes before any "
                "reservation, or a refusal undoes it (CA-ENR-14)",
            )
        if status != 401:
            raise ConformanceFailure.evidence(context, "401 auth_failed", f"{trail}")
        return
    pytest.skip(f"no burst overlapped (no 503 answered): {rounds}")
