"""Every failure of a concurrent burst is counted, and the backoff it starts runs at once
(SPEC §4.4, CA-ENR-14 with CA-ENR-7).

CA-ENR-14: "whatever the interleaving, no more wrong passwords per alias or per address
are verified than the throttle allows one after the other". One after the other, the
N-th failure starts a backoff of `base` seconds (CA-ENR-7): a login checked within it is
refused. A CA that reads its failure count before it takes its lock (or before the slow
hash) and writes "that + 1" afterwards loses the failures that ended together: after N
concurrent failures it holds fewer than N, starts no backoff, and verifies the next guess
at once. A CA that checks its pending count in one lock section and takes its reservation
in a later one admits more concurrent guesses than it allows. test_ca_throttle.py's burst
case allows one extra `401` after the burst (its follow-up guesses open new connections,
and the burst's backoff may have ended): a CA that loses exactly one failure passes it.

Here the first follow-up login waits on a connection opened (TLS done, all but the last
byte of its request sent) before the burst is released, and goes as soon as the burst's
answers are read. Judged:
- the burst (2N + 4 wrong passwords released together: one alias from fresh addresses,
  or fresh aliases from one address) gets at most N answers `401`;
- once N failures were answered `401` (in the burst, or by follow-ups one at a time), a
  login whose answer arrived less than `base` seconds after the moment that N-th failure
  could at the earliest have been counted (the burst's release, or the follow-up's send)
  MUST NOT be answered `401`: the backoff of the N-th failure runs then.
A login answered after that moment cannot be judged (the backoff may have ended); the
case retries once, then is INCONCLUSIVE (a CA whose hash is slower than its backoff).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-concurrent-failures"),
]

_MAX_SEQUENTIAL = 12  # as test_ca_throttle.py
_MAX_DECLARED = 30  # the highest threshold the case goes up to
_READ_BUDGET = 25.0  # seconds for the burst's answers


@dataclass
class _Pending:
    """A connection holding a complete request but its last byte."""

    tls: ssl.SSLSocket
    last: bytes


def _prepare(target: Target, body: bytes, source: str | None) -> _Pending:
    host, port = ca.ca_address(target)
    raw = socket.create_connection(
        (host, port), timeout=ca.TIMEOUT, source_address=(source, 0) if source else None
    )
    tls = ca.tls_context(target).wrap_socket(raw)
    head = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    tls.sendall(head + body[:-1])
    return _Pending(tls, body[-1:])


def _status(pending: _Pending, deadline: float) -> int:
    data = b""
    while b"\r\n" not in data and time.monotonic() < deadline:
        pending.tls.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = pending.tls.recv(4096)
        except (OSError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _threshold(target: Target, per: str) -> int:
    """N: declared, or measured one guess after another (401s before the first 429)."""
    declared = target.limits.ca_throttle_failures
    if declared is not None:
        if declared > _MAX_DECLARED:
            pytest.skip(f"a declared threshold of {declared} (the case goes up to {_MAX_DECLARED})")
        return declared
    pool = ca.sources(target)
    alias, source = ca.ghost_alias(), pool.fresh()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    statuses: list[int] = []
    for n in range(_MAX_SEQUENTIAL):
        who = alias if per == "alias" else ca.ghost_alias()
        frm = pool.fresh() if per == "alias" else source
        statuses.append(ca.enrol(target, who, f"measure-{n}", csr, source=frm).status)
        if statuses[-1] != 401:
            break
    if statuses[-1] != 429:
        pytest.skip(f"one after the other, no 429 per {per}: {statuses} (test_ca_throttle.py)")
    return statuses.index(429)


def _attempt(target: Target, per: str, k: int, base: float) -> str | None:
    """One burst and its follow-ups. Returns None when judged (PASS), or why it could not
    judge; raises ConformanceFailure on a violation."""
    pool = ca.sources(target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    alias, one_source = ca.ghost_alias(), pool.fresh()

    def body(tag: str) -> tuple[bytes, str | None]:
        who = alias if per == "alias" else ca.ghost_alias()
        frm = pool.fresh() if per == "alias" else one_source
        return json.dumps({"alias": who, "password": f"wrong-{tag}", "csr": csr}).encode(), frm

    count = 2 * k + 4
    burst: list[_Pending] = []
    follow: _Pending | None = None
    try:
        for n in range(count):
            burst.append(_prepare(target, *body(f"burst-{n}")))
        follow = _prepare(target, *body("follow-0"))
        released = time.monotonic()
        for p in burst:
            p.tls.sendall(p.last)
        deadline = released + _READ_BUDGET
        statuses = [_status(p, deadline) for p in burst]
        answered = statuses.count(401)
        if answered > k:
            raise ConformanceFailure.evidence(
                f"CA-ENR-14: {count} wrong passwords per {per}, released together",
                f"at most {k} answered 401 (one after the other, {k} are verified before 429)",
                f"{answered} answered 401: {sorted(statuses)}",
            )
        total, reached_at = answered, (released if answered >= k else None)
        history = [f"burst {sorted(statuses)}"]
        for n in range(k + 2):
            if n == 0:
                sent = time.monotonic()
                follow.tls.sendall(follow.last)
                status = _status(follow, sent + ca.TIMEOUT)
            else:
                who_body, frm = body(f"follow-{n}")
                obj = json.loads(who_body)
                sent = time.monotonic()
                status = ca.enrol(target, obj["alias"], obj["password"], csr, source=frm).status
            done = time.monotonic()
            history.append(f"{status} after {done - (reached_at or sent):.2f} s")
            if status != 401:
                if reached_at is not None:
                    return None  # refused within the backoff: judged, PASS
                continue
            if reached_at is not None:
                if done < reached_at + base:
                    raise ConformanceFailure.evidence(
                        f"CA-ENR-14: {count} wrong passwords per {per} released together, "
                        f"then guesses one at a time; {total} failures answered 401 before "
                        "this one",
                        f"429 (the backoff of the {k}-th failure runs {base:g} s from it, and "
                        f"this answer came {done - reached_at:.2f} s after the earliest "
                        "moment that failure could have been counted)",
                        f"401: the guess was verified — {'; '.join(history)}",
                        note="concurrent failures were not all counted (a count read before "
                        "the lock or the hash, and written back +1)",
                    )
                return f"a 401 {done - reached_at:.2f} s after the {k}-th failure: too late"
            total += 1
            if total >= k:
                reached_at = sent
        return f"no refusal after {k + 2} follow-ups: {'; '.join(history)}"
    finally:
        for p in [*burst, *([follow] if follow else [])]:
            p.tls.close()


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize("per", ["alias", "address"])
def test_every_concurrent_failure_is_counted_at_once(pki_target: Target, per: str) -> None:
    ca.ca_address(pki_target)
    if ca.sources(pki_target).fresh() is None:
        pytest.skip("needs fresh loopback source addresses (the CA on 127.0.0.1)")
    base = pki_target.limits.ca_throttle_base or 1.0
    k = _threshold(pki_target, per)
    reasons = []
    for _ in range(2):
        reason = _attempt(pki_target, per, k, base)
        if reason is None:
            return
        reasons.append(reason)
    inconclusive(f"per {per}: could not judge: {' | '.join(reasons)}")
