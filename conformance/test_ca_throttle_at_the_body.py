"""A login is judged by the throttle when its body has come, not when its head did
(docs/SPEC.md §4.4: CA-ENR-14, CA-ENR-7).

CA-ENR-14: the CA reserves a login attempt against its alias and its address *before
verifying the password*, and an attempt whose address is in backoff is answered `429`
(or `503`) without being verified; "whatever the interleaving, no more wrong passwords
per alias or per address are verified than the throttle allows one after the other".
A CA that looks at the address's throttle when the request head arrives — to refuse a
throttled address before reading (and paying for) its body, the alias being still unknown
— and reserves the attempt only once the body is in, has a window as long as the client
cares to hold its body: a guesser opens a connection, sends the head while its address is
clean, lets other sessions run the address into backoff, then sends the body, and that
guess is verified (`401`) though the address is throttled. The check and the action it
guards are separated by the body's arrival.

Two interleavings, from a fresh address each (wrong passwords for made-up aliases, one
each: only the address accumulates failures):
- backoff: one login held after its head (Content-Length announced, no body byte); then,
  on other connections, failures until a `429`; then the held login's body: `429` or
  `503` — never `401`, which says it was verified (judged when the answer came within
  the first backoff, `ca_throttle_base` or 1 s, of the sending of the failure that
  started it: later, the backoff may have ended);
- pending (with `[limits] ca_throttle_failures` N declared): two logins held after their
  heads, then N - 1 failures, then both bodies: the address allows one more
  verification (CA-ENR-14: p >= max(1, N - f) is answered `503`, and once it failed the
  backoff runs), so at most one of them is answered `401`.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_request_pieces import _csr, _head
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle-at-the-body"),
]

_WAIT = 10.0  # seconds for the held login's answer


def _read_answer(tls: ssl.SSLSocket, deadline: float) -> tuple[int, bytes] | str:
    received = b""
    while time.monotonic() < deadline:
        tls.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = tls.recv(65536)
        except TimeoutError:
            break
        except (ssl.SSLError, OSError) as exc:
            return f"the connection ended ({type(exc).__name__}) with {received[:120]!r}"
        if not chunk:
            return f"the connection ended with {received[:120]!r}"
        received += chunk
        answers, _rest = ca.split_answers(received)
        if answers:
            return answers[0]
    return f"no answer within {_WAIT:.0f} s ({received[:120]!r})"


def _held_login(target: Target, source: str) -> tuple[socket.socket, ssl.SSLSocket, bytes]:
    """A TLS connection from `source` that has sent a login's head; and that login's body
    (a made-up alias, a wrong password, a valid CSR)."""
    host, port = ca.ca_address(target)
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(6)}", _csr(alias))
    raw = socket.create_connection((host, port), timeout=_WAIT, source_address=(source, 0))
    try:
        tls = ca.tls_context(target).wrap_socket(raw)
        tls.sendall(_head(target, "/v1/enroll", body, content_type="application/json"))
    except BaseException:
        raw.close()
        raise
    return raw, tls, body


@pytest.mark.req("CA-ENR-14")
def test_two_logins_held_after_their_heads_get_one_verification_between_them(
    pki_target: Target,
) -> None:
    n = pki_target.limits.ca_throttle_failures
    if n is None:
        pytest.skip("needs the CA's declared threshold ([limits] ca_throttle_failures)")
    ca.ca_address(pki_target)
    source = ca.sources(pki_target).fresh()
    if source is None:
        pytest.skip("needs fresh loopback source addresses (a CA on 127.0.0.0/8)")
    held = [_held_login(pki_target, source) for _ in range(2)]
    try:
        for _ in range(n - 1):
            alias = ca.ghost_alias()
            answer = ca.enrol(
                pki_target, alias, f"wrong-{secrets.token_hex(6)}", _csr(alias), source=source
            )
            if answer.status != 401:
                pytest.skip(f"a failure below the declared threshold {n}: {answer.describe()}")
        for _raw, tls, body in held:
            tls.sendall(body)
        deadline = time.monotonic() + _WAIT
        answers = [_read_answer(tls, deadline) for _raw, tls, _body in held]
    finally:
        for raw, tls, _body in held:
            tls.close()
            raw.close()
    statuses = [a if isinstance(a, str) else f"{a[0]} {a[1][:120]!r}" for a in answers]
    verified = [a for a in answers if not isinstance(a, str) and a[0] == 401]
    if len(verified) <= 1:
        return
    raise ConformanceFailure.evidence(
        "CA-ENR-14: two logins' heads on two connections from a fresh address; then "
        f"{n - 1} failed logins from it (threshold N = {n}); then both held bodies "
        "(made-up aliases, wrong passwords, valid CSRs)",
        "at most one 401: the address allows one more verification, the other attempt is "
        "503 (one pending) or 429 (the backoff its failure started)",
        f"both verified: {statuses}",
        note="the address's throttle was consulted when each head arrived and the attempts "
        "reserved after their bodies: both passed a check made for one",
    )


def _run_into_backoff(target: Target, source: str) -> tuple[ca.CaAnswer, float]:
    """Wrong passwords for made-up aliases from `source` (one each) until a 429; the 429,
    and when the request of the last failure before it was sent (the backoff that failure
    started runs at least the first backoff from then). Skips when no 429 comes within
    the threshold the target declares (or 10) + 2."""
    limit = (target.limits.ca_throttle_failures or 10) + 2
    last_sent = time.monotonic()
    for _ in range(limit):
        alias = ca.ghost_alias()
        sent = time.monotonic()
        answer = ca.enrol(
            target, alias, f"wrong-{secrets.token_hex(6)}", _csr(alias), source=source
        )
        if answer.status == 429:
            return answer, last_sent
        if answer.status not in (400, 401, 503):
            pytest.skip(f"a wrong password for a made-up alias: {answer.describe()}")
        last_sent = sent
    pytest.skip(f"no 429 after {limit} failed logins from one address (judged elsewhere)")


@pytest.mark.req("CA-ENR-14")
def test_a_login_held_after_its_head_meets_the_backoff_its_address_got_meanwhile(
    pki_target: Target,
) -> None:
    host, port = ca.ca_address(pki_target)
    source = ca.sources(pki_target).fresh()
    if source is None:
        pytest.skip("needs fresh loopback source addresses (a CA on 127.0.0.0/8)")
    # The first backoff (CA-ENR-7: base, default 1 s) runs at least this long from the
    # sending of the failure that started it.
    base = pki_target.limits.ca_throttle_base or 1.0
    alias = ca.ghost_alias()
    body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(6)}", _csr(alias))
    head = _head(pki_target, "/v1/enroll", body, content_type="application/json")
    with (
        socket.create_connection((host, port), timeout=_WAIT, source_address=(source, 0)) as raw,
        ca.tls_context(pki_target).wrap_socket(raw) as held,
    ):
        held.sendall(head)  # the head only: the body waits
        throttled, started = _run_into_backoff(pki_target, source)
        held.sendall(body)
        sent = time.monotonic()
        answer = _read_answer(held, sent + _WAIT)
        answered = time.monotonic()
    context = (
        "CA-ENR-14: a login's head (Content-Length, no body) sent from a fresh address; "
        "then, from that address on other connections, wrong passwords for made-up "
        f"aliases until {throttled.status} (Retry-After "
        f"{throttled.headers.get('retry-after')}); then the held login's body (a made-up "
        f"alias, a wrong password, a valid CSR), answered {answered - started:.2f} s after "
        "the failure that started the backoff was sent"
    )
    expected = (
        "429 (the address is in backoff) or 503, without verifying the password: the "
        "throttle judges the attempt when its body has come"
    )
    if isinstance(answer, str):
        raise ConformanceFailure.evidence(context, expected, answer)
    status, answer_body = answer
    if status in (429, 503):
        return
    if answered - started >= base:
        pytest.skip(
            f"the held login was answered {status} {answered - started:.1f} s after the "
            f"failure that started a {base:g}-s backoff: it may have ended (a machine too "
            "busy to judge)"
        )
    raise ConformanceFailure.evidence(
        context,
        expected,
        f"{status} {answer_body[:200]!r}",
        note="the address's throttle was consulted when the head arrived and the attempt "
        "reserved after the body: a body held while the address went into backoff is "
        "verified",
    )
