"""sft-eke/1 server state that must be given back: what a first use takes, a later one
must find free again (docs/SPEC.md LIM-4, EKE-THR-1, EKE-THR-7).

Mistakes of this kind pass every case that uses a resource once: a connection slot an
ended session keeps, a pending-login slot a throttled EKE1 reserved and never released.
They show only on the N-th use, so each case here uses the resource more often than the
target's limit allows to keep it.

Fixtures (conformance/plugin.py): `eke_target`, `eke_sources` (fresh source addresses).
"""

from __future__ import annotations

import time

import pytest

from conformance import eke
from conformance.eke_channel import client_handshake, connect_raw, password_key_cached
from conformance.eke_support import (
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Account, Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _retry_after(event: object) -> float:
    if isinstance(event, ReceivedFrame):
        value = (event.json() or {}).get("retry_after")
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
    return 1.0


def _session(
    target: Target, account: Account, source: str | None, end: str = "bye"
) -> ReceivedFrame | str:
    """One session: an honest handshake, then `end`: BYE_ (the server echoes and closes),
    a forged record (the server closes), or the client's own close. The refusal (EROR)
    when the handshake was refused; else a short note of how it ended."""
    pw = password_key_cached(account.password, account.user)
    timeout = _timeout(target)
    client = eke.ClientHandshake(user=account.user, pw=pw)
    first = client.eke1()  # before connecting: the server's handshake clock starts at accept
    raw = connect_raw(target.host, target.port, timeout=timeout, name="session", source=source)
    try:
        result = client_handshake(raw, client, timeout, eke1=first)
        if not result.ok:
            if isinstance(result.event, ReceivedFrame) and result.event.type == b"EROR":
                return result.event
            raise ConformanceFailure(f"an honest session: {result.describe()}")
        sender, _receiver = client.record_layer()
        if end == "close":
            return "closed by the client without BYE_"
        if end == "forged":
            # A record that does not authenticate: the server must close (EKE-REC-4).
            record = bytearray(sender.seal(b"BYE_" + (2).to_bytes(4, "big") + b"{}"))
            record[-1] ^= 0x01
            raw.send_raw(bytes(record))
        else:
            raw.send_raw(sender.seal(b"BYE_" + (2).to_bytes(4, "big") + b"{}"))
        # Read until the server closes (its echo first): the session is over on both sides.
        deadline = deadline_after(timeout)
        while isinstance(raw.recv_frame(deadline), ReceivedFrame):
            pass
        return "ended"
    finally:
        raw.close()


@pytest.mark.req("LIM-4")
@pytest.mark.xdist_group("connection-limit")
def test_ended_sessions_give_their_connection_slot_back(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """3 x (max_connections + 1) honest sessions one after the other, ended in turn with
    BYE_, with a forged record and by the client's close: at most one is open at any time, so
    none may be refused `busy` (LIM-4 bounds the connections held at once, not the
    connections ever made). A server that frees the slot of a connection still in its
    handshake but not of an established one — or only on the BYE_ path — refuses every
    connection once max_connections sessions have come and gone."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    limit = eke_target.limits.max_connections
    if limit > 32:
        pytest.skip(f"max_connections = {limit}: too many sessions for one case")
    # Each way of ending comes max_connections + 1 times: a leak on any one path shows.
    sessions = 3 * (limit + 1)
    account = eke_target.accounts[0]
    ends = ("bye", "forged", "close")
    for n in range(1, sessions + 1):
        end = ends[n % len(ends)]
        # Another case's connections may fill the server for a moment: a `busy` is only a
        # leak when it lasts (a leaked slot never comes back).
        deadline = time.monotonic() + 6.0
        while True:
            outcome = _session(eke_target, account, eke_sources.fresh(), end)
            if not isinstance(outcome, ReceivedFrame):
                break
            if outcome.error_name != "busy" or time.monotonic() > deadline:
                raise ConformanceFailure.evidence(
                    f"LIM-4: honest session #{n} of {sessions}, one after the other (each "
                    f"ended — BYE_, forged record, client close — before the next; "
                    f"max_connections = {limit})",
                    "every session established: ended sessions hold no connection slot",
                    f"{outcome.describe()} (for 6 s)",
                )
            time.sleep(min(_retry_after(outcome), 1.0))  # the server's own retry_after


@pytest.mark.req("EKE-THR-7", "EKE-THR-1")
@pytest.mark.xdist_group("eke-victim")
def test_throttled_logins_hold_no_pending_slot(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """A name and an address are throttled (N failures); then more EKE1s than the pending
    caps P and Q are sent while the block lasts, each answered `throttled` and closed.
    None of them was a pending handshake (no EKE2 went out, EKE-THR-5), so once the block
    has run out the next EKE1 of that name from that address MUST get EKE2 (EKE-THR-7: up
    to the caps, an EKE1 that is not throttled is answered EKE2). A server that reserves
    the pending slot before the throttle check, and refuses without releasing it,
    answers `busy` from then on, for good."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    if limits.throttle_base > 4 or limits.throttle_failures > 20:
        pytest.skip("the throttle's base or threshold is too large for a bounded case")
    timeout = _timeout(eke_target)
    user = ghost_user()
    source = eke_sources.fresh()
    for i in range(limits.throttle_failures):
        refused = fail_handshake(eke_target, user, source, timeout=timeout)
        if refused is not None:
            inconclusive(f"failure #{i + 1} of {user!r} was refused: {refused.describe()}")
    caps = [limits.throttle_failures]
    for name in ("pending_logins_per_user", "pending_logins_per_address"):
        value = getattr(limits, name, None)
        if isinstance(value, int):
            caps.append(value)
    tries = max(max(caps) + 1, 9)
    throttled = 0
    for _ in range(tries):
        hs = start_handshake(eke_target, user, bytes(32), timeout=timeout, source=source)
        try:
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if hs.eke2 is not None:
            inconclusive("the block ended while the throttled EKE1s were sent")
        if isinstance(event, ReceivedFrame) and event.error_name == "busy":
            continue  # not this case's business (a cap of the server's own)
        if not (isinstance(event, ReceivedFrame) and event.error_name == "throttled"):
            raise ConformanceFailure.evidence(
                f"EKE-THR-1: EKE1 for {user!r} after {limits.throttle_failures} failures",
                "EROR throttled",
                event.describe(),
            )
        throttled += 1
    if throttled < min(caps[1:], default=4):
        inconclusive(f"only {throttled} of {tries} EKE1s were answered throttled")
    # Wait out the block, as the server asks (retry_after), then the next EKE1.
    budget = time.monotonic() + 4 * limits.throttle_base + 8.0
    busy: list[str] = []
    while time.monotonic() < budget:
        hs = start_handshake(eke_target, user, bytes(32), timeout=timeout, source=source)
        try:
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if hs.eke2 is not None:
            return
        if not isinstance(event, ReceivedFrame) or event.error_name not in ("throttled", "busy"):
            raise ConformanceFailure(f"EKE1 after the block: {event.describe()}")
        if event.error_name == "busy":
            busy.append(event.describe())
            if len(busy) >= 3:
                raise ConformanceFailure.evidence(
                    f"EKE-THR-7: EKE1 for {user!r} once its block ran out, after "
                    f"{throttled} EKE1s answered `throttled` (no EKE2: none was pending)",
                    "EKE2 (the name and the address hold no pending handshake)",
                    "\n".join(busy),
                )
        time.sleep(min(max(_retry_after(event), 0.05), 1.0))  # the server's retry_after
    inconclusive(f"{user!r} was still throttled after the budget")


# The SPEC's defaults (EKE-THR-7) when the target declares no caps.
_DEFAULT_P, _DEFAULT_Q = 4, 8


@pytest.mark.req("EKE-THR-7")
def test_ended_logins_give_back_their_pending_slots(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """2 x max(P, Q) + 1 honest logins of one account from ONE address, one after the
    other, each ended (BYE_, or the client's close) before the next: at most one is
    pending at any time, so every EKE1 MUST get EKE2 (EKE-THR-7: up to the caps, an EKE1
    of a name and an address with fewer than N failures is answered EKE2). A server that
    gives back only one of the two pending slots a handshake took — the user name's
    twice, say, and the address's never — answers that address `busy` for good once Q
    logins have come and gone, though none of them is pending any more."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    source = eke_sources.fresh()
    if source is None:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    p = limits.pending_logins_per_user or _DEFAULT_P
    q = limits.pending_logins_per_address or _DEFAULT_Q
    logins = 2 * max(p, q) + 1
    if logins > 41:
        pytest.skip(f"pending caps P = {p}, Q = {q}: too many logins for one case")
    account = eke_target.accounts[0]
    for n in range(1, logins + 1):
        end = "bye" if n % 2 else "close"
        # Other cases' logins of this account may hold its name's slots for a moment (P
        # is per name): a `busy` is only a leak when it lasts (a leaked slot never returns).
        deadline = time.monotonic() + 4.0
        while True:
            outcome = _session(eke_target, account, source, end)
            if not isinstance(outcome, ReceivedFrame):
                break
            if outcome.error_name != "busy" or time.monotonic() > deadline:
                raise ConformanceFailure.evidence(
                    f"EKE-THR-7: honest login #{n} of {logins} of {account.user!r} from "
                    f"{source}, one after the other, each ended before the next (P = {p}, "
                    f"Q = {q})",
                    "EKE2 and a completed handshake: no earlier login of this address is "
                    "pending, so no cap applies",
                    f"{outcome.describe()} (for 4 s)",
                )
            time.sleep(min(_retry_after(outcome), 1.0))  # the server's own retry_after


def _end_in_handshake(target: Target, source: str | None, way: str, timeout: float) -> None:
    """One connection from `source` that ends before any EKE2 (so no guess is pending and
    nothing is counted against the address, EKE-THR-5): `silent` (the client closes at
    once), `partial` (half an EKE1 header, then the close), `malformed` (an EKE1 that is
    not JSON: the server answers `bad_frame` and closes), `eror` (the client's EROR in
    clear before EKE1: the server closes). The server's close is awaited where it comes."""
    raw = connect_raw(target.host, target.port, timeout=timeout, name=f"end {way}", source=source)
    try:
        if way == "partial":
            raw.send_raw(b"EKE1\x00")
        elif way == "malformed":
            raw.send_raw(b"EKE1" + (9).to_bytes(4, "big") + b"{not json")
        elif way == "eror":
            payload = b'{"code":11,"name":"internal","message":"suite"}'
            raw.send_raw(b"EROR" + len(payload).to_bytes(4, "big") + payload)
        if way in ("malformed", "eror"):
            deadline = deadline_after(timeout)
            while isinstance(raw.recv_frame(deadline), ReceivedFrame):
                pass
    finally:
        raw.close()


@pytest.mark.req("LIM-4", "LIM-8")
def test_connections_ended_in_their_handshake_give_their_slot_back(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """From ONE address, (max_pending_per_address + 1) connections ended during their
    handshake, in each of four ways (closed at once, closed inside the EKE1 header, a
    malformed EKE1, the client's EROR), one after the other; then an honest session from
    that address MUST be admitted (LIM-8: the address holds no connection any more; LIM-4:
    the responder accepts again once connections end). A server that frees the slot of an
    established connection but not of one that ended in its handshake refuses that
    address `busy` for good once it has lost that many handshakes — the same address a
    NAT or a flaky client shares with honest users."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    source = eke_sources.fresh()
    if source is None:
        pytest.skip("needs a loopback target to vary the client address")
    cap = eke_target.limits.max_pending_per_address or 8
    if cap > 32:
        pytest.skip(f"max_pending_per_address = {cap}: too many connections for one case")
    timeout = _timeout(eke_target)
    ways = ("silent", "partial", "malformed", "eror")
    for way in ways:
        for _ in range(cap + 1):
            _end_in_handshake(eke_target, source, way, timeout)
    account = eke_target.accounts[0]
    # The server may still be ending the last of them: `busy` is a leak only when it lasts.
    deadline = time.monotonic() + 4.0
    while True:
        outcome = _session(eke_target, account, source, "bye")
        if not isinstance(outcome, ReceivedFrame):
            return
        if outcome.error_name == "throttled":
            # A server may count malformed handshakes against the address (EKE-THR-1):
            # not this case's business, and then the slots cannot be judged from here.
            inconclusive(f"the honest session from {source} was throttled: {outcome.describe()}")
        if outcome.error_name != "busy" or time.monotonic() > deadline:
            raise ConformanceFailure.evidence(
                f"LIM-4/LIM-8: an honest session from {source} after {len(ways) * (cap + 1)} "
                f"connections from it ended during their handshake ({', '.join(ways)}; "
                f"max_pending_per_address = {cap})",
                "the handshake completes: the address holds no connection any more",
                f"{outcome.describe()} (for 4 s)",
            )
        time.sleep(min(_retry_after(outcome), 1.0))
