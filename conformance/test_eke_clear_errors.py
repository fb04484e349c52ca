"""sft-eke/1: every EROR the server sends in clear, before the record phase, is a
well-formed one (SPEC §2, ERR-1, ERR-2, ERR-7; FRM-14 for the frame itself).

The errors a server sends before a channel exists are often written apart from its
record-phase errors: the admission's `busy` (LIM-4, LIM-8) is sent by the accept loop
before any handshake object exists, `throttled` and the pending cap's `busy` by the
throttle, `timeout` by a timer. A hand-built one easily lacks `name` or `message`, names
its code wrongly, or carries `retry_after` as a float. Each kind is provoked here and its
whole object checked, not only its code.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw, password_key_cached
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    deadline_after,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_CITED = ("ERR-1", "ERR-2", "ERR-6", "ERR-7", "FRM-14")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _judge(event: Event, expected: str, what: str, *, least: int = 0) -> None:
    """`event` must be an EROR `expected` whose every member is as §2 says; a
    `retry_after` of a `throttled` or `busy` is an integer of at least `least` (EKE-THR-7
    asks at least 1 of the pending cap's `busy`; LIM-4 and LIM-8 ask no `retry_after` of
    the admission's, FRM-11 any integer from 0)."""
    if not (isinstance(event, ReceivedFrame) and event.type == b"EROR"):
        raise ConformanceFailure(
            f"Expected: EROR {expected} ({what})\nActual:   {event.describe()}"
        )
    problems = event.violations()
    obj = event.json() or {}
    if expected in ("throttled", "busy") and "retry_after" in obj:
        value = obj["retry_after"]
        if type(value) is not int or value < least:
            problems.append(
                f"ERR-7/EKE-THR-7: retry_after {value!r} is not a whole number of seconds"
                + (f" of at least {least}" if least else "")
            )
    if problems:
        ids = {p.split(":", 1)[0].split("/")[0] for p in problems}
        violates = tuple(
            sorted({i if i.startswith("ERR-") else "FRM-14" for i in ids} & set(_CITED))
        )
        raise ConformanceFailure(
            f"{what}: the EROR sent in clear is malformed\n"
            f"Actual:   {event.describe(400)}\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nERR-1: an EROR carries code (from the table), the table's name for it and a "
            "message of at most 512 characters.",
            violates=violates or ("ERR-1",),
        )
    if event.error_name != expected:
        # Another refusal than the one provoked: not what this case judges.
        inconclusive(f"{what}: came EROR {event.error_name}, not {expected}: {event.describe()}")


def _first_frame(raw: RawConnection, target: Target) -> Event:
    return raw.recv_frame(deadline_after(_timeout(target)))


def _admission_busy(target: Target, sources: SourceAddresses) -> None:
    cap = target.limits.max_pending_per_address
    if cap is None:
        pytest.skip("the target declares no per-address cap (limits.max_pending_per_address)")
    if cap + 2 > target.limits.max_connections:
        pytest.skip("the per-address cap is too close to the connection cap")
    source = sources.fresh()
    held: list[RawConnection] = []
    try:
        for i in range(cap):
            held.append(
                connect_raw(
                    target.host,
                    target.port,
                    timeout=_timeout(target),
                    name=f"silent {i + 1} of {cap}",
                    source=source,
                )
            )
        extra = connect_raw(
            target.host,
            target.port,
            timeout=_timeout(target),
            name="one past the per-address cap",
            source=source,
        )
        try:
            event = extra.recv_frame(deadline_after(min(_timeout(target), 2.0)))
        finally:
            extra.close()
        if isinstance(event, ReceivedFrame):
            _judge(event, "busy", f"a connection past the per-address cap of {cap}")
        # A close without EROR is conforming (LIM-8: "close, or EROR busy"); silence is
        # judged by the lock-out cases, not here.
    finally:
        for raw in held:
            raw.close()


def _pending_busy(target: Target, sources: SourceAddresses) -> None:
    p = target.limits.pending_logins_per_user
    if p is None:
        pytest.skip("the target declares no pending-login cap per user (EKE-THR-7)")
    if p + 2 > target.limits.max_connections:
        pytest.skip("holding the pending logins needs more connections")
    account = target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    prepared = [eke.ClientHandshake(user=account.user, pw=pw) for _ in range(p + 1)]
    messages = [c.eke1() for c in prepared]  # before any accept: the handshake clock
    held: list[PartialHandshake] = []

    def start(i: int) -> PartialHandshake:
        raw = connect_raw(
            target.host,
            target.port,
            timeout=_timeout(target),
            name=f"login {i + 1}",
            source=sources.fresh(),
        )
        raw.send_frame(b"EKE1", messages[i])
        return PartialHandshake(raw, prepared[i], messages[i])

    try:
        for i in range(p):
            hs = start(i)
            held.append(hs)
            hs.receive_eke2(_timeout(target))
            if hs.eke2 is None:
                inconclusive(f"login {i + 1} of {p} held got no EKE2: {hs.eke2_event}")
        probe = start(p)
        try:
            event = probe.receive_eke2(_timeout(target))
        finally:
            probe.close()
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            _judge(event, "busy", f"an EKE1 of {account.user!r} while {p} are pending", least=1)
        else:
            inconclusive(f"no refusal at the pending cap to judge: {event.describe()}")
    finally:
        for hs in held:  # finished, not abandoned: no failure is left on the account
            with contextlib.suppress(Exception):
                if hs.eke2 is not None:
                    hs.send_eke3(hs.client.on_eke2(hs.eke2))
                    hs.raw.recv_frame(deadline_after(_timeout(target)))
            hs.close()


def _throttled(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    user = ghost_user()
    for _ in range(target.limits.throttle_failures):
        if fail_handshake(target, user, sources.fresh(), timeout=_timeout(target)) is not None:
            break
    hs = start_handshake(target, user, bytes(32), source=sources.fresh(), timeout=_timeout(target))
    try:
        event = hs.receive_eke2(_timeout(target))
    finally:
        hs.close()
    _judge(event, "throttled", f"an EKE1 of {user!r} after its failures")


def _auth_failed(target: Target, sources: SourceAddresses) -> None:
    hs = start_handshake(
        target, ghost_user(), bytes(32), source=sources.fresh(), timeout=_timeout(target)
    )
    try:
        hs.receive_eke2(_timeout(target))
        if hs.eke2 is None:
            inconclusive(f"no EKE2 to fail: {hs.eke2_event}")
        assert hs.eke2 is not None
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        _judge(_first_frame(hs.raw, target), "auth_failed", "a wrong EKE3")
    finally:
        hs.close()


def _unexpected_first(target: Target, sources: SourceAddresses) -> None:
    raw = connect_raw(
        target.host,
        target.port,
        timeout=_timeout(target),
        name="RQFL first",
        source=sources.fresh(),
    )
    try:
        raw.send_frame(b"RQFL", {"name": "hello.txt"})
        _judge(_first_frame(raw, target), "unexpected_frame", "RQFL as the first frame")
    finally:
        raw.close()


def _bad_first(target: Target, sources: SourceAddresses) -> None:
    raw = connect_raw(
        target.host,
        target.port,
        timeout=_timeout(target),
        name="EKE1 not JSON",
        source=sources.fresh(),
    )
    try:
        raw.send_frame(b"EKE1", b"{not json")
        _judge(_first_frame(raw, target), "bad_frame", "an EKE1 that is not JSON")
    finally:
        raw.close()


def _handshake_timeout(target: Target, sources: SourceAddresses) -> None:
    limit = target.limits.handshake_timeout
    if limit > 5:
        pytest.skip(f"a handshake timeout of {limit:g} s is too long for the default run")
    raw = connect_raw(
        target.host,
        target.port,
        timeout=limit + 5,
        name="silent until the handshake timeout",
        source=sources.fresh(),
    )
    try:
        event = raw.recv_frame(deadline_after(limit * 1.5 + 2))
        if isinstance(event, ReceivedFrame):
            _judge(event, "timeout", "a connection silent past the handshake timeout")
    finally:
        with contextlib.suppress(OSError):
            raw.sock.shutdown(socket.SHUT_RDWR)
        raw.close()


_KINDS: dict[str, Callable[[Target, SourceAddresses], None]] = {
    "admission-busy": _admission_busy,
    "pending-busy": _pending_busy,
    "throttled": _throttled,
    "auth-failed": _auth_failed,
    "unexpected-frame": _unexpected_first,
    "bad-frame": _bad_first,
    "handshake-timeout": _handshake_timeout,
}


@pytest.mark.req(*_CITED)
@pytest.mark.parametrize("kind", list(_KINDS))
def test_every_error_in_clear_is_well_formed(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    """The EROR that refuses a connection or handshake (`kind`) carries an integer code
    from §2's table, that code's name, a message of at most 512 characters and, for
    `throttled` and `busy`, an integer retry_after."""
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    if kind in ("pending-busy",) and not eke_target.accounts:
        pytest.skip("needs an eke account")
    _KINDS[kind](eke_target, eke_sources)
