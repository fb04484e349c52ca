"""A restarted CA is the same CA: every rule it kept before a restart holds after it, and
the restart itself waits for no client (docs/SPEC.md §4.4, §6: CA-ENR-1, CA-ENR-14,
CA-ENR-19, LIM-5).

test_ca_restart.py checks the failure counts, running backoffs and a known alias's hard
lock across a restart (CA-ENR-20, CA-ENR-19). A restart has other ways to come back
different, each with its own requirement:

- CA-ENR-1 (TLS 1.3 only): the restart path builds its HTTPS context anew — from a
  library recipe (`ssl.create_default_context()`: TLS 1.2 allowed) when it is not the
  start path's code — and the restarted CA negotiates TLS 1.2;
- CA-ENR-19 with CA-ENR-7 (unknown aliases count like known ones, and a lock survives
  a restart): start-up housekeeping that trusts the account table drops the locks of
  aliases without an account;
- CA-ENR-14 with CA-ENR-20 (the counts survive, so once N failures are reached, one
  attempt at a time): the pending rule reads counts of its own that the restart does not
  rebuild, and concurrent guesses at an alias with N failures are all verified;
- LIM-5 (a connection held mid-request MUST NOT keep the CA from answering others): a
  restart that first waits for every open connection's handler (socketserver's default,
  block_on_close) is held up by one client trickling its body, and nobody is answered.

One restart (`[pki] ca_restart_cmd`) serves all four. Before it: a made-up alias failed
from fresh addresses up to its hard lock (the declared `ca_lock_after`, waiting out the
backoffs of at most 5 s on the way), another made-up alias failed N times (the declared
`ca_throttle_failures`), and a connection that sent a login's head and part of its body
and goes on sending a byte every 0.3 s. After it: a fresh `GET /v1/root` must be answered
within 20 s (a bound on a restart, not a timing: the trickle never ends by itself); a
TLS 1.2-only handshake must fail; once the second alias's backoff has run out, 4
concurrent wrong passwords for it (fresh addresses) get at most one `401`; and once the
locked alias's last backoff (at most the cap) has run out, its next login is still
`429`. A part whose declaration is missing is not judged.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_throttle import _burst
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-restart-keeps-every-rule"),
]

_MAX_BACKOFF_WAIT = 5.0  # the longest backoff waited out on the way to a hard lock
_SERVED_WITHIN = 20.0  # a restarted CA answers a fresh request within this many seconds
_TRICKLE_EVERY = 0.3  # one body byte per this many seconds: never idle for a second
_BURST = 4


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _wrong(target: Target, alias: str, csr: str) -> ca.CaAnswer:
    return ca.enrol(target, alias, f"wrong-{secrets.token_hex(6)}", csr)


def _retry_after(answer: ca.CaAnswer) -> float | None:
    value = answer.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _lock_ghost(target: Target, lock_after: int) -> tuple[str, float] | None:
    """A made-up alias failed (fresh addresses) `lock_after` times, waiting out the
    backoffs on the way: (alias, when its last failure was answered), or None when a
    backoff is longer than _MAX_BACKOFF_WAIT or an answer is neither 401 nor 429."""
    alias = ca.ghost_alias()
    csr = _csr(alias)
    failures, last = 0, 0.0
    for _ in range(4 * lock_after + 4):
        answer = _wrong(target, alias, csr)
        if answer.status == 401:
            failures, last = failures + 1, time.monotonic()
            if failures == lock_after:
                return alias, last
            continue
        wait = _retry_after(answer)
        if answer.status != 429 or wait is None or wait > _MAX_BACKOFF_WAIT:
            return None
        time.sleep(wait)  # the CA's own backoff, waited out as it said
    return None


@contextmanager
def _trickling_login(target: Target) -> Iterator[threading.Event]:
    """A connection that sent a login's head and part of its body and sends one more
    byte every _TRICKLE_EVERY seconds until the event is set (or the CA closes it)."""
    host, port = ca.ca_address(target)
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(6)}", _csr(alias))
    source = ca.sources(target).fresh()
    raw = socket.create_connection(
        (host, port), timeout=ca.TIMEOUT, source_address=(source, 0) if source else None
    )
    tls = ca.tls_context(target).wrap_socket(raw)
    head = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    tls.sendall(head + body[:16])
    stop = threading.Event()

    def trickle() -> None:
        for byte in body[16:-1]:  # never the last byte: the request stays incomplete
            if stop.wait(_TRICKLE_EVERY):
                return
            try:
                tls.sendall(bytes([byte]))
            except (OSError, ssl.SSLError):
                return  # the CA (or its restart) closed the connection

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=5)
        tls.close()


def _served(target: Target) -> tuple[bool, str]:
    started = time.monotonic()
    try:
        answer = ca.request(
            target, "GET", "/v1/root", source=ca.sources(target).fresh(), timeout=_SERVED_WITHIN
        )
    except (OSError, ssl.SSLError) as exc:
        return False, f"{type(exc).__name__} after {time.monotonic() - started:.1f} s"
    return answer.status == 200, f"{answer.describe()} after {time.monotonic() - started:.1f} s"


def _tls12_refused(target: Target) -> tuple[bool, str]:
    host, port = ca.ca_address(target)
    ctx = ca.tls_context(target, max_version=ssl.TLSVersion.TLSv1_2)
    try:
        with (
            socket.create_connection((host, port), timeout=ca.TIMEOUT) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            return False, f"a TLS handshake completed with {tls.version()}"
    except (OSError, ssl.SSLError) as exc:
        return True, f"refused ({type(exc).__name__})"


@pytest.mark.req("CA-ENR-1", "CA-ENR-14", "CA-ENR-19", "LIM-5")
def test_a_restarted_ca_keeps_every_rule(pki_target: Target) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip("the target declares no restart command for its CA ([pki] ca_restart_cmd)")
    host, port = ca.ca_address(pki_target)
    pool = ca.sources(pki_target)
    if not pool.loopback:
        pytest.skip("needs a loopback CA to vary the client address")
    limits = pki_target.limits
    problems: list[tuple[str, str]] = []
    # before the restart: the lock and the N failures at once (two made-up aliases, fresh
    # addresses each), to keep the case short
    n = limits.ca_throttle_failures
    counted: list[tuple[str, float]] = []

    def count() -> None:
        alias = ca.ghost_alias()
        csr = _csr(alias)
        if [_wrong(pki_target, alias, csr).status for _ in range(n or 0)] == [401] * (n or 0):
            counted.append((alias, time.monotonic()))  # else judged by test_ca_throttle.py

    counter = threading.Thread(target=count, daemon=True)
    if n is not None and 1 <= n <= 10:
        counter.start()
    locked = None
    if limits.ca_lock_after is not None and limits.ca_lock_after <= 10:
        locked = _lock_ghost(pki_target, limits.ca_lock_after)
    if counter.is_alive():
        counter.join(timeout=60)
    with _trickling_login(pki_target) as stop:
        restart_and_wait(command, host, port)
        ok, seen = _served(pki_target)
        stop.set()
    if not ok:
        problems.append(
            (
                "LIM-5",
                "a fresh GET /v1/root after the restart command returned, while another "
                f"client kept a login's body coming (a byte every {_TRICKLE_EVERY} s): {seen}; "
                f"want 200 within {_SERVED_WITHIN:g} s — the restart waited for that client",
            )
        )
    refused, seen = _tls12_refused(pki_target)
    if not refused:
        problems.append(("CA-ENR-1", f"after the restart, a TLS 1.2-only client: {seen}"))
    for alias, last in counted:
        csr = _csr(alias)
        # past the first backoff of its N-th failure (the declared base, default 1 s): no
        # login to probe it, which would be one more failure
        base = limits.ca_throttle_base or 1.0
        wait = last + base + 0.3 - time.monotonic()
        if wait <= _MAX_BACKOFF_WAIT:
            time.sleep(max(0.0, wait))
            body = ca.enrol_body(alias, f"burst-{secrets.token_hex(4)}", csr)
            statuses = _burst(pki_target, [body] * _BURST, [pool.fresh() for _ in range(_BURST)])
            if statuses.count(401) > 1:
                problems.append(
                    (
                        "CA-ENR-14",
                        f"the made-up alias {alias!r}, {n} failures (the declared threshold) "
                        "before the restart; after it, once its backoff had run out, "
                        f"{_BURST} concurrent wrong passwords (fresh addresses) got {statuses}: "
                        f"{statuses.count(401)} verified, want at most 1 (one attempt at a "
                        "time once N failures are reached; the count survived the restart)",
                    )
                )
    if locked is not None:
        alias, last = locked
        cap = limits.ca_throttle_cap or 0.0
        time.sleep(max(0.0, last + cap + 0.3 - time.monotonic()))  # past its last backoff
        after = _wrong(pki_target, alias, _csr(alias))
        if after.status != 429:
            problems.append(
                (
                    "CA-ENR-19",
                    f"the made-up alias {alias!r} failed {limits.ca_lock_after} times (the "
                    "declared ca_lock_after: hard-locked) before the restart; after it, past "
                    f"its last backoff (the cap, {cap:g} s), a login got {after.describe()}, "
                    "want 429: unknown aliases are counted and locked like known ones, and "
                    "the lock survives a restart",
                )
            )
    if problems:
        raise ConformanceFailure(
            "after a restart of the CA ([pki] ca_restart_cmd):\n"
            + "\n".join(f"- {rid}: {text}" for rid, text in problems),
            violates=tuple(dict.fromkeys(rid for rid, _ in problems)),
        )
