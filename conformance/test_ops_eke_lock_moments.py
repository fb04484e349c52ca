"""sft-eke/1: throttle decisions use the state at the moment they are taken (EKE-THR-1/5).

A server that runs for days serves connections that overlap with other connections'
failures. Two shortcuts pass every sequential throttling case and fail there:

* The address judged when the connection is accepted (a cheap check before a thread does
  anything), the user name at EKE1. A connection opened before its address reached N
  failures then sends its EKE1 after: EKE-THR-1 says "answer further EKE1 from that
  ... address with EROR throttled" — the EKE1 is what is judged, so it must be refused.
* A failed pending login that gives its pending slot back (EKE-THR-7) and closes before
  its failure is counted (EKE-THR-5: "the moment it ends") — e.g. the slot released in
  the error branch, the failure written after the close and the store's bookkeeping. In
  between, an EKE1 of that user name finds neither the pending login nor its failure and
  gets EKE2: a guess beyond the N − 1 + P that EKE-THR-5 grants "whatever the
  interleaving".
  The case gives a name N − 1 failures, fails its N-th login (a bad EKE3) and, as soon
  as the server has closed that connection, sends an EKE1 of the name on a connection
  opened beforehand: it must be `throttled` (`busy` is accepted too), never EKE2. A race
  by nature (how far the server's bookkeeping lags behind its close): run 30 times,
  any EKE2 is the failure; the window is tens of microseconds, so a server with the bug
  is caught in some runs only.

Unknown user names (EKE-HS-3 makes them fail like known ones), each connection from a
fresh loopback address unless the case is about one address.
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import (
    SourceAddresses,
    fail_handshake,
    ghost_user,
    sources_for,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.test_eke_throttling import _hold, _timeout
from conformance.wire import (
    ConformanceFailure,
    Event,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

_ROUNDS = 30


def _sources(target: Target) -> SourceAddresses:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    sources = sources_for(target)
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    return sources


def _fresh(sources: SourceAddresses) -> str:
    source = sources.fresh()
    assert source is not None  # loopback checked by _sources
    return source


def _answer(event: Event) -> str:
    if isinstance(event, ReceivedFrame):
        return event.error_name or event.type.decode("latin-1")
    return type(event).__name__


@pytest.mark.req("EKE-THR-1")
def test_address_locked_while_a_connection_waited_is_throttled_at_its_eke1(
    eke_target: Target,
) -> None:
    """Connection W from address A, silent; N failed logins from A (each as another
    unknown name: only the address is counted N times); then W's EKE1 (yet another name)
    must be answered throttled."""
    target = eke_target
    sources = _sources(target)
    n = target.limits.throttle_failures
    timeout = _timeout(target)
    address = _fresh(sources)
    user = ghost_user()
    client = eke.ClientHandshake(user=user, pw=bytes(32))
    eke1 = client.eke1()
    waiting = connect_raw(
        target.host, target.port, timeout=timeout, name="waiting connection", source=address
    )
    try:
        opened = time.monotonic()
        for index in range(n):
            refused = fail_handshake(target, ghost_user(), address, timeout=timeout)
            if refused is not None:
                inconclusive(
                    f"failed login {index + 1} of {n} from {address} was refused "
                    f"({refused.describe()}): the address was not fresh"
                )
        age = time.monotonic() - opened
        if age >= 0.8 * target.limits.handshake_timeout:
            inconclusive(
                f"the {n} failed logins took {age:.2f} s: the waiting connection is near its "
                f"handshake timeout ({target.limits.handshake_timeout:g} s)"
            )
        waiting.send_frame(b"EKE1", eke1)
        event = waiting.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return
        raise ConformanceFailure(
            f"EKE-THR-1: a connection from {address} was opened, then {n} logins from "
            f"{address} failed (throttle_failures = {n}: the address is locked), then the "
            f"waiting connection sent its EKE1 (user {user!r}, no failures of its own)\n"
            "Expected: EROR throttled with retry_after: the address has N failures when "
            "its EKE1 arrives\n"
            f"Actual:   {event.describe()}\n"
            "A server that judges the address when it accepts the connection (and only the "
            "user name at EKE1) lets connections opened before the lock guess on",
            violates=("EKE-THR-1",),
        )
    finally:
        waiting.close()


def _race_round(target: Target, sources: SourceAddresses) -> str | None:
    """One round; what went wrong (EKE2 for the racing EKE1), or None."""
    n = target.limits.throttle_failures
    timeout = _timeout(target)
    user = ghost_user()
    pw = bytes(32)
    for index in range(n - 1):
        refused = fail_handshake(target, user, _fresh(sources), timeout=timeout)
        if refused is not None:
            inconclusive(f"failure {index + 1} of {user!r} was refused: {refused.describe()}")
    racer = None
    last = _hold(target, user, pw, _fresh(sources), f"login {n} of {user!r}")
    try:
        client = eke.ClientHandshake(user=user, pw=pw)
        eke1 = control(client.eke1())
        racer = connect_raw(
            target.host, target.port, timeout=timeout, name="racing EKE1", source=_fresh(sources)
        )
        assert last.eke2 is not None
        bad_eke3 = last.client.on_eke2(last.eke2, verify=False)
        # The condition under test: the N-th login fails (a bad EKE3); the moment the
        # server has ended it (its EROR, then its close), another EKE1 of that name.
        last.send_eke3(bad_eke3)
        _read_to_end(last.raw.sock, timeout)
        racer.send_raw(frame_bytes(b"EKE1", eke1))
        event = racer.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.error_name in ("busy", "throttled"):
            return None
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            return (
                f"user {user!r}: {n - 1} failed logins, then login {n} failed too (a bad "
                "EKE3, answered and closed by the server); right after that close an EKE1 "
                "of the same name was answered EKE2"
            )
        inconclusive(f"the racing EKE1 got {event.describe()}")
        return None
    finally:
        if racer is not None:
            racer.close()
        with contextlib.suppress(OSError):
            last.close()


def _read_to_end(sock: socket.socket, timeout: float) -> None:
    """Reads (and drops) until the server's close; bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return
        except OSError:
            return


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
def test_a_failing_login_is_pending_or_counted_never_neither(eke_target: Target) -> None:
    target = eke_target
    sources = _sources(target)
    for _ in range(_ROUNDS):
        wrong = _race_round(target, sources)
        if wrong is not None:
            raise ConformanceFailure(
                f"EKE-THR-5: {wrong}\n"
                "Expected: EROR throttled: a pending login that ends counts as a failure "
                "the moment it ends, and with it the name has N failures (EROR busy is "
                "accepted too: a login still being closed may hold its slot)\n"
                "Actual:   EKE2: the server ended the login (and gave its pending slot "
                "back) before it counted the failure",
                violates=("EKE-THR-5",),
            )
