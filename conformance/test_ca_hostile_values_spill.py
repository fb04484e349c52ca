"""CA-ENR-6 with CA-ENR-9: one client's hostile values never become another client's error.

Logins carrying values a careless handler chokes on — a lone surrogate (a JSON `\\ud800`
escape: valid JSON, no UTF-8 encoding) in the alias, the password or the CSR, a NUL in
the alias — may be refused as the CA likes (400, 401, even 500: test_ca.py judges the
answer's form). What the CA keeps from them must not hurt anyone else. A CA that records
the failed login before it notices the value cannot be stored keeps a poisoned entry in
its failure table (in memory, or half-written to its store); when that entry's turn to be
evicted comes, the eviction raises — inside another client's login, which is then answered
`500`. A wrong password of an ordinary alias MUST be answered `401 auth_failed` (CA-ENR-6),
whatever came before it from others.

The case: hostile logins, each from a fresh loopback address (so their entries are the
least recently failed), then enough wrong-password logins of new ordinary aliases, each
from a fresh address, to turn the CA's alias table over past them (the declared
`[limits] ca_throttle_table_entries` E: E + the hostile ones + 2; undeclared, 40 — a
larger table is never turned over here and the case then shows nothing). Every one of
those ordinary logins must be answered 401 (a 429 or 503 with its Retry-After waited out
is a throttle's business, judged elsewhere, and retried within bounds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_UNDECLARED_TABLE = 40  # entries turned over when the target declares no table bound
_MAX_TABLE = 64  # above it the case would take too many hashed logins
_THREADS = 4
_MAX_WAIT = 3.0  # the longest Retry-After the case waits out for one login
_TRIES = 3  # 429/503 answers, each waited out, before a login is left unjudged
_JSON = {"Content-Type": "application/json"}

# A hostile login's body for a fresh ghost alias and a valid CSR for it.
_HOSTILE: dict[str, Callable[[str, str], bytes]] = {
    "surrogate-alias": lambda alias, csr: (
        b'{"alias": "%s\\ud800", "password": "wrong", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
    "surrogate-alias-low": lambda alias, csr: (
        b'{"alias": "\\udfff%s", "password": "wrong", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
    "surrogate-password": lambda alias, csr: (
        b'{"alias": "%s", "password": "wrong\\ud800", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
    "surrogate-csr": lambda alias, _csr: (
        b'{"alias": "%s", "password": "wrong", "csr": "\\ud800"}' % alias.encode()
    ),
    "nul-alias": lambda alias, csr: (
        b'{"alias": "%s\\u0000x", "password": "wrong", "csr": %s}'
        % (alias.encode(), json.dumps(csr).encode())
    ),
}
_ROUNDS = 2  # each hostile body this many times (fresh alias and address each)


def _table(target: Target) -> int:
    declared = target.limits.ca_throttle_table_entries
    if declared is not None and declared > _MAX_TABLE:
        pytest.skip(f"a failure table of {declared} entries takes too many logins to turn over")
    return _UNDECLARED_TABLE if declared is None else declared


def _hostile(target: Target, kind: str, csr: str) -> str:
    alias = ca.ghost_alias()
    try:
        answer = ca.request(
            target,
            "POST",
            "/v1/enroll",
            _HOSTILE[kind](alias, csr),
            source=ca.sources(target).fresh(),
            headers=_JSON,
        )
    except OSError as exc:  # the form of the answer is test_ca.py's business
        return f"{kind}: {type(exc).__name__}"
    return f"{kind}: {answer.status}"


def _ordinary(target: Target, csr: str) -> tuple[int, list[str]]:
    """A wrong password of a new ordinary alias, from a fresh address: its final status
    (429/503 waited out within bounds) and its trail."""
    alias = ca.ghost_alias()
    trail: list[str] = []
    for _ in range(_TRIES):
        answer = ca.enrol(target, alias, "wrong-password", csr)
        retry = answer.headers.get("retry-after", "")
        trail.append(f"{answer.status}" + (f" (Retry-After {retry})" if retry else ""))
        if answer.status not in (429, 503):
            return answer.status, trail
        time.sleep(min(_MAX_WAIT, int(retry) if retry.isdigit() else 1))
    return 0, trail


@pytest.mark.req("CA-ENR-6", "CA-ENR-9")
def test_hostile_values_leave_nothing_that_breaks_other_logins(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    table = _table(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    hostile = [kind for _ in range(_ROUNDS) for kind in _HOSTILE]
    answered = [_hostile(pki_target, kind, csr) for kind in hostile]
    count = table + len(hostile) + 2
    with ThreadPoolExecutor(_THREADS) as pool:
        results = list(pool.map(lambda _i: _ordinary(pki_target, csr), range(count)))
    broken = [(i, trail) for i, (status, trail) in enumerate(results) if status >= 500]
    if broken:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: {len(hostile)} logins with hostile values (each from its own address: "
            f"{', '.join(answered)}), then {count} wrong passwords of new ordinary aliases, "
            f"each from its own address (the alias table's bound: {table})",
            "401 auth_failed for every wrong password, whatever others sent before",
            f"{len(broken)} answered 5xx: "
            + "; ".join(f"login {i + 1}: {' -> '.join(t)}" for i, t in broken[:6]),
        )
    unjudged = [trail for status, trail in results if status == 0]
    if len(unjudged) == len(results):
        inconclusive(f"every ordinary login stayed throttled or busy: {unjudged[0]}")
    wrong = [(i, trail) for i, (status, trail) in enumerate(results) if status not in (0, 401)]
    if wrong:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: wrong passwords of new ordinary aliases after {len(hostile)} hostile "
            "logins",
            "401 auth_failed",
            "; ".join(f"login {i + 1}: {' -> '.join(t)}" for i, t in wrong[:6]),
        )
