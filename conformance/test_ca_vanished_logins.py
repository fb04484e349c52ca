"""A login whose client vanishes before its answer leaves nothing pending (SPEC §4.4:
CA-ENR-14, CA-ENR-2).

CA-ENR-14: a login is reserved against its alias and its address before its password is
verified, and the reservation ends when the verification ends: a wrong password counts
as a failure then, a right one "ends its reservation without a trace". A CA that writes
its answer FIRST and records the outcome after it ("answer fast, then write the slow
SQLite row") never records it when that write fails — and it fails when the client has
reset the connection while the password was being hashed. The attempt then stays pending
for ever: a few such logins make the alias (or the address) busy for everyone, and a
guesser who resets after each guess is not even counted. The throttle cases read every
answer, so such a CA passes them.

Each case sends complete logins, each on its own TLS connection, and resets the
connection (TCP RST, no close_notify) without reading the answer, half the time a
refused login takes to be answered after the request is written (measured first, on
one wrong password for an unknown alias): the reset lands while the password is being
verified. That timing decides only whether a faulty CA shows its fault; a conforming
CA passes whenever the reset lands. Then the honest logins that must be answered
normally:

- `wrong-passwords-one-address`: N wrong passwords (N: the declared throttle threshold,
  else 5), each for a different unknown alias, from one fresh address X; then a fresh
  account's right password from X;
- `wrong-passwords-one-alias`: N wrong passwords for a fresh account V, each from a fresh
  address; then V's right password from another fresh address;
- `right-passwords`: N right passwords (valid CSRs) for a fresh account V from one fresh
  address X; then V's right password from a fresh address, and another fresh account's
  from X.

The honest login MUST end in 200 within 20 s: a `429` or `503` it meets is waited out
(its `Retry-After`, at most 5 s at a time) — N failures start a backoff of the SPEC's
base (1 s) at most, and nothing is pending any more once the vanished logins were
verified. A `503` that lasts is an attempt pending for ever.
"""

from __future__ import annotations

import secrets
import socket
import struct
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-vanished-logins"),
]

_PATIENCE = 20.0  # seconds an honest login may take to get through backoffs
_LONGEST_WAIT = 5.0  # at most this long per Retry-After


def _account(target: Target, stem: str) -> tuple[str, str]:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias = f"{stem}-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    ca.admin_command(target, "add", alias, stdin=password + "\n")
    return alias, password


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _threshold(target: Target) -> int:
    n = target.limits.ca_throttle_failures or 5
    lock = target.limits.ca_lock_after
    if lock is not None and lock <= n:
        pytest.skip(f"the CA locks an alias after {lock} failures, at its threshold {n}")
    return n


def _verification_time(target: Target) -> float:
    """Half the time a refused login takes from its request to its answer, on a TLS
    connection already up (one wrong password for an unknown alias, from a fresh
    address): a reset that long after a request lands while its password is verified,
    when the CA has read the request and not yet answered it. (A reset at once may reach
    the CA before it reads the request, which then never happened.)"""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(4)}", _csr(alias))
    data = (
        "POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with (
        socket.create_connection(
            (host, port), timeout=10.0, source_address=(source, 0) if source else None
        ) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        started = time.monotonic()
        tls.sendall(data)
        tls.recv(1)
        elapsed = time.monotonic() - started
    return min(max(elapsed / 2, 0.005), 1.0)


def _vanish(target: Target, alias: str, password: str, source: str | None, delay: float) -> None:
    """One complete login, then, `delay` seconds later, a reset before the answer is read."""
    host, port = ca.ca_address(target)
    body = ca.enrol_body(alias, password, _csr(alias))
    data = (
        "POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    raw = socket.create_connection(
        (host, port), timeout=10.0, source_address=(source, 0) if source else None
    )
    try:
        tls = ca.tls_context(target).wrap_socket(raw)
    except BaseException:
        raw.close()
        raise
    try:
        tls.sendall(data)
        time.sleep(delay)  # within the verification: see _verification_time
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        tls.close()  # no close_notify: with SO_LINGER 0 the close is a reset


def _honest(target: Target, alias: str, password: str, source: str | None) -> list[str]:
    """The right password until 200 or `_PATIENCE`; the answers met on the way."""
    seen: list[str] = []
    deadline = time.monotonic() + _PATIENCE
    while True:
        answer = ca.enrol(target, alias, password, _csr(alias), source=source)
        seen.append(f"{answer.status}")
        if answer.status == 200:
            return seen
        if answer.status not in (429, 503):
            raise ConformanceFailure.evidence(
                f"CA-ENR-2: {alias!r}'s right password and a valid CSR",
                "200 (after any 429/503 waited out)",
                answer.describe(),
            )
        try:
            wait = float(answer.headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
        wait = min(max(wait, 0.2), _LONGEST_WAIT)
        if time.monotonic() + wait > deadline:
            seen.append(f"(still {answer.status} {answer.body[:80]!r} after {_PATIENCE:.0f} s)")
            return seen
        time.sleep(wait)


def _judge(context: str, who: str, seen: list[str]) -> None:
    if seen and seen[-1] == "200":
        return
    raise ConformanceFailure.evidence(
        context,
        f"{who} answered 200 within {_PATIENCE:.0f} s (any backoff of the vanished logins "
        "waited out): their reservations ended when their verification did",
        f"answers {', '.join(seen)}",
        note="an outcome recorded only after the answer was written is never recorded when "
        "the client has gone: the attempt stays pending (busy) for ever",
    )


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize(
    "kind", ["wrong-passwords-one-address", "wrong-passwords-one-alias", "right-passwords"]
)
def test_a_vanished_login_leaves_nothing_pending(pki_target: Target, kind: str) -> None:
    n = _threshold(pki_target)
    delay = _verification_time(pki_target)
    pool = ca.sources(pki_target)
    address = pool.fresh()
    victim, victim_password = _account(pki_target, "vanish")
    if kind == "wrong-passwords-one-address":
        for _ in range(n):
            _vanish(pki_target, ca.ghost_alias(), f"wrong-{secrets.token_hex(4)}", address, delay)
        other, other_password = _account(pki_target, "vanish-other")
        seen = _honest(pki_target, other, other_password, address)
        _judge(
            f"CA-ENR-14: {n} logins from {address} (wrong passwords, unknown aliases), each "
            "reset by its client right after the request was sent; then another account's "
            f"right password from {address}",
            f"the login from {address}",
            seen,
        )
        return
    if kind == "wrong-passwords-one-alias":
        for _ in range(n):
            _vanish(pki_target, victim, f"wrong-{secrets.token_hex(4)}", pool.fresh(), delay)
        seen = _honest(pki_target, victim, victim_password, pool.fresh())
        _judge(
            f"CA-ENR-14: {n} logins for {victim!r} (wrong passwords, each from a fresh "
            "address), each reset by its client right after the request was sent; then its "
            "right password from a fresh address",
            f"{victim!r}'s login",
            seen,
        )
        return
    for _ in range(n):
        _vanish(pki_target, victim, victim_password, address, delay)
    seen = _honest(pki_target, victim, victim_password, pool.fresh())
    context = (
        f"CA-ENR-14: {n} logins for {victim!r} with its right password from {address}, each "
        "reset by its client right after the request was sent; then"
    )
    _judge(f"{context} its right password from a fresh address", f"{victim!r}'s login", seen)
    other, other_password = _account(pki_target, "vanish-other")
    seen = _honest(pki_target, other, other_password, address)
    _judge(f"{context} another account's right password from {address}", "that login", seen)
