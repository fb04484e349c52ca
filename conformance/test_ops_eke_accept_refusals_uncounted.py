"""Connections refused at accept are not failures: what the address is owed afterwards.

docs/SPEC.md EKE-THR-7: "Up to the caps, `EKE1`s of a user name or address with fewer than
N failures MUST be answered `EKE2`." A failure is a handshake that ended after its `EKE2`
other than by a valid `EKE3` (EKE-THR-5). A connection refused at accept — over LIM-8's
per-address cap, or LIM-4's connection limit — never sent an `EKE1`, spent no guess and
names no user: it is no failure of anything. A server that counts it anyway ("defence in
depth": every refused connection is a strike against its address) throttles an address
that met the per-address cap N times — a NAT at a busy moment, a client retrying — without
one failed handshake, and a flood of silent sockets from a shared address locks out the
honest users behind it even after the flood ends.

test_eke_second_use.py checks that `throttled` refusals hold no pending slot; the
per-address cases (test_lockout.py, test_ops_admission_*.py) check the refusal itself and
the slots after it, never the failure tables. Here, from one fresh loopback address: the
per-address cap held with silent connections, N + 1 connections more refused at accept,
the silent ones closed, then an `EKE1` of a fresh user name: it MUST be answered `EKE2`
(neither the name nor the address has a failure or a pending handshake). Needs a loopback
target with the `throttling` feature and its declared per-address cap.
"""

from __future__ import annotations

import secrets
import socket
import time

import pytest

from conformance.eke_channel import EkeChannel
from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame

# Slots and counts of one server: with the other throttling and slot cases.
pytestmark = [pytest.mark.xdist_group("eke-victim"), pytest.mark.profile("eke")]

_REFUSED_WITHIN = 3.0  # a refusal at accept is prompt (LIM-8); this is generous
_SETTLE = 2.0  # the server may see the silent connections' close a moment late


def _needs(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")


def _timeout(target: Target) -> float:
    return max(3.0, 2 * target.limits.handshake_timeout)


def _eke1(target: Target, source: str | None) -> ReceivedFrame | None:
    """An EKE1 of a fresh user name from `source`: the frame that answers it (EKE2, EROR)
    or None (a close, a reset, silence). An EKE2 is not followed up: the guess it
    stands for is the case's last action."""
    timeout = _timeout(target)
    hs = start_handshake(target, ghost_user(), bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        return event if isinstance(event, ReceivedFrame) else None
    finally:
        hs.close()


def _owed_eke2(target: Target, source: str | None, what: str) -> None:
    """The final EKE1 from `source`: EKE2, or a FAIL of EKE-THR-7. A `busy` or a close
    within _SETTLE (or the handshake timeout and a second, if longer: a server may free
    a silent connection's slot only at its deadline) of the preceding closes is tried
    again; `throttled` is judged at once."""
    until = time.monotonic() + max(_SETTLE, target.limits.handshake_timeout + 1.0)
    while True:
        frame = _eke1(target, source)
        if frame is not None and frame.type == b"EKE2":
            return
        throttled = frame is not None and frame.error_name == "throttled"
        if throttled or time.monotonic() >= until:
            raise ConformanceFailure(
                f"Context:  {what}\n"
                "Expected: EKE2 (EKE-THR-7: up to the caps, an EKE1 of a user name and an "
                "address with fewer than N failures is answered EKE2; neither has a failure "
                "nor a pending handshake)\n"
                f"Actual:   {frame.describe() if frame is not None else 'no frame (closed)'}",
                violates=("EKE-THR-7",),
            )
        time.sleep(0.2)


def _refused_at_accept(conn: socket.socket) -> bool:
    """True once the server ended `conn` (EOF, a reset, or bytes followed by EOF: an
    `EROR busy` in clear) within _REFUSED_WITHIN; False if it stays open and silent."""
    deadline = time.monotonic() + _REFUSED_WITHIN
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            conn.settimeout(remaining)
            if not conn.recv(4096):
                return True
    except TimeoutError:
        return False
    except OSError:
        return True  # a reset ends it too


@pytest.mark.req("EKE-THR-7", "LIM-8")
def test_connections_refused_at_accept_are_not_failures_of_the_address(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs(eke_target, eke_sources)
    cap = eke_target.limits.max_pending_per_address
    if cap is None:
        pytest.skip("needs the declared per-address cap ([limits] max_pending_per_address)")
    if cap + 2 > eke_target.limits.max_connections:
        pytest.skip(f"the per-address cap {cap} + 2 exceeds max_connections")
    n = eke_target.limits.throttle_failures
    address = eke_sources.fresh()
    assert address is not None
    held: list[socket.socket] = []
    refused = 0
    try:
        for _ in range(cap):
            held.append(
                socket.create_connection(
                    eke_target.address, timeout=3.0, source_address=(address, 0)
                )
            )
        for _ in range(n + 1):
            extra = socket.create_connection(
                eke_target.address, timeout=3.0, source_address=(address, 0)
            )
            try:
                refused += _refused_at_accept(extra)
            finally:
                extra.close()
    finally:
        for conn in held:
            conn.close()
    if refused < n + 1:
        pytest.skip(
            f"only {refused} of {n + 1} connections over the per-address cap were refused: "
            "LIM-8 is judged by test_lockout.py"
        )
    _owed_eke2(
        eke_target,
        address,
        f"from {address}: {cap} silent connections (the per-address cap), {n + 1} connections "
        f"more refused at accept (N = {n}), the silent ones closed, then an EKE1 of a fresh "
        "user name: no handshake of this address ever got an EKE2",
    )


def _keep(channel: EkeChannel) -> None:
    """One request on a held login (a get of an absent name: any answer but the end)."""
    channel.send_frame("RQFL", {"name": f"absent-{secrets.token_hex(4)}.txt"})
    channel.expect([ExpectError(), ExpectFrame("RSFL")], skip=["DATA", "DONE"])


@pytest.mark.req("EKE-THR-7", "LIM-4")
def test_connections_refused_by_a_full_server_are_not_failures_of_their_address(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """Every slot held by an established (logged-in) connection, each from its own address:
    N + 1 connections from one more address are refused at accept (LIM-4: established
    connections are never closed to make room, LIM-9), then the held ones end and that
    address's EKE1 of a fresh user name must be answered EKE2."""
    _needs(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    total = eke_target.limits.max_connections
    if total > 32:
        pytest.skip(f"max_connections {total} is too many logins to hold here")
    n = eke_target.limits.throttle_failures
    account = eke_target.accounts[0]
    address = eke_sources.fresh()
    held: list[EkeChannel] = []
    last: list[float] = []  # when each held login last sent a request
    refused = 0
    try:
        for _ in range(total):
            # A request on a held login is what LIM-2 allows to keep it: on a slow run
            # opening `total` logins outlasts a short idle timeout.
            for index, channel in enumerate(held):
                if time.monotonic() - last[index] > eke_target.limits.idle_timeout / 3:
                    _keep(channel)
                    last[index] = time.monotonic()
            last.append(time.monotonic())
            held.append(
                EkeChannel.connect(
                    eke_target.host,
                    eke_target.port,
                    account.user,
                    account.password,
                    timeout=_timeout(eke_target),
                    source=eke_sources.fresh(),
                )
            )
        for channel in held:
            _keep(channel)  # every held login fresh: none idles out during the refusals
        started = time.monotonic()
        for _ in range(n + 1):
            extra = socket.create_connection(
                eke_target.address, timeout=3.0, source_address=(address or "127.0.0.1", 0)
            )
            try:
                refused += _refused_at_accept(extra)
            finally:
                extra.close()
        late = time.monotonic() - started > eke_target.limits.idle_timeout
    finally:
        for channel in held:
            channel.close()
    if refused < n + 1:
        if late:
            inconclusive(
                "holding every slot outlasted the idle timeout (a slow run): "
                f"{refused} of {n + 1} connections refused"
            )
        pytest.skip(
            f"only {refused} of {n + 1} connections to the full server were refused: LIM-4 "
            "is judged by test_lockout.py"
        )
    _owed_eke2(
        eke_target,
        address,
        f"from {address}: {n + 1} connections refused at accept while all {total} slots "
        "held established connections of other addresses (LIM-4), those then closed, then "
        "an EKE1 of a fresh user name: no handshake of this address ever got an EKE2",
    )
