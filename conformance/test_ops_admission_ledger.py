"""LIM-8: an address's count of connections in their handshake comes down however they end.

LIM-8: a responder "MUST accept that many [connections that have not completed their
handshake] from one address". Its per-address count goes up at accept and must come
down when such a connection stops being one — completed, timed out, closed, and also on
the rarer endings a long-running server meets daily:

* closed by the server itself to make room for a newer connection when every slot is
  taken (LIM-9's eviction): a count decremented only on the connection's own exit path,
  not by the code that evicts it, stays raised for good;
* refused at EKE1 with `throttled` or `busy` (sft-eke/1, EKE-THR-1/7), or `bad_frame` (a
  user name no account can have): an early return that skips the release keeps the
  count of a refused handshake.

Each leaked unit lowers what the address may hold; after `max_pending_per_address` of
them the address is refused at accept for good — everyone behind that NAT, by the next
morning. Each case provokes that many endings of one kind from one fresh loopback address
(plus one), lets them end, then opens `max_pending_per_address` silent connections from
that address: none may be refused (a close, a reset or an `EROR busy` within 0.3 s), and one
more beside them must be (a count given back twice admits it).
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.eke_channel import connect_raw
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    fail_handshake,
    ghost_user,
    sources_for,
    start_handshake,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.test_lockout import _ended, _limits, _silent, _wait_refused
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

# A refusal at accept comes at once (LIM-8: "promptly"); a silent connection that is
# admitted hears nothing until the handshake timeout.
_PROMPT = 0.3
# How long the responder may take to book connections that ended before the probe.
_SETTLE = 2.0
# A connection beyond the cap is refused at once (LIM-8: "promptly").
_REFUSE_WITHIN = 1.0


def _per_address(target: Target) -> tuple[int, int]:
    per_address, total = _limits(target)
    if per_address is None:
        pytest.skip("the target declares no max_pending_per_address (LIM-8)")
    if total <= per_address:
        pytest.skip("max_connections is not above max_pending_per_address")
    if target.limits.handshake_timeout < 1.0:
        pytest.skip("the handshake timeout is too short to tell a refusal from a timeout")
    return per_address, total


def _admits(
    target: Target, source: str, count: int, transcripts: TranscriptBook, what: str
) -> None:
    """`count` silent connections from `source` are all admitted (retried for _SETTLE s),
    and one more beside them is refused promptly: a count given back twice lets it in."""
    deadline = time.monotonic() + _SETTLE
    while True:
        with _silent(target, [source] * count, transcripts) as held:
            time.sleep(_PROMPT)
            refused = {i: r for i, conn in enumerate(held) if (r := _ended(conn)) is not None}
            if not refused:
                with _silent(target, [source], transcripts) as extra:
                    ended = _wait_refused(extra, time.monotonic() + _REFUSE_WITHIN)
                if ended:
                    return
                failure = ConformanceFailure.evidence(
                    f"LIM-8: connection {count + 1} from {source} while its {count} others "
                    f"are silent in their handshake (declared max_pending_per_address "
                    f"{count}), after {what}",
                    "refused promptly (a close, or EROR busy): the address is at its cap",
                    f"nothing within {_REFUSE_WITHIN:g} s: {count + 1} pending connections "
                    "of one address admitted",
                    note="the address's count was lowered twice for a connection that ended: "
                    "one more than the cap is admitted per such ending",
                )
                failure.violates = ("LIM-8",)
                raise failure
        if time.monotonic() >= deadline:
            failure = ConformanceFailure.evidence(
                f"LIM-8: {count} silent connections from {source} "
                f"(declared max_pending_per_address {count}), after {what}; none of "
                "that address's earlier connections is open any more",
                f"all {count} admitted: an address may hold that many connections in "
                "their handshake",
                "; ".join(f"#{i + 1} {r}" for i, r in sorted(refused.items()))
                + f" (still after {_SETTLE:g} s of retries)",
                note="the address's count of pending connections kept units of connections "
                "that had ended: the address is refused for good",
            )
            failure.violates = ("LIM-8",)
            raise failure
        time.sleep(0.2)


@pytest.mark.req("LIM-8", "LIM-9")
@pytest.mark.xdist_group("connection-limit")  # it fills every slot of the target
def test_evicted_connections_give_their_addresses_count_back(
    target: Target, transcripts: TranscriptBook
) -> None:
    """An address holds its cap of silent connections; silent connections from other
    addresses fill the rest of `max_connections` and then push on, so that the server
    closes the oldest pending connections — that address's — to admit them (LIM-9).
    Once everything is closed, that address must be admitted its cap again."""
    cap, total = _per_address(target)
    sources = sources_for(target)
    address = sources.fresh()
    assert address is not None
    others = [s for s in (sources.fresh() for _ in range(total)) if s is not None]
    with _silent(target, [address] * cap, transcripts) as mine:
        with _silent(target, others[: total - cap], transcripts):
            time.sleep(0.05)
            with _silent(target, others[total - cap :], transcripts):
                ended = _wait_refused(mine, time.monotonic() + 1.0)
    if len(ended) < cap:
        inconclusive(
            f"only {len(ended)} of the {cap} oldest pending connections (from {address}) "
            f"were closed when {total - cap + cap} more arrived at a full server: the "
            "target keeps room for handshakes otherwise; nothing evicted to judge"
        )
    _admits(
        target,
        address,
        cap,
        transcripts,
        f"{cap} of its pending connections were closed by the server to admit newer ones "
        f"(LIM-9: {ended})",
    )


def _throttled_address(target: Target, sources: SourceAddresses) -> str:
    address = sources.fresh()
    assert address is not None
    timeout = max(3.0, min(10.0, target.limits.idle_timeout * 2))
    for i in range(target.limits.throttle_failures):
        early = fail_handshake(target, ghost_user(), address, timeout=timeout)
        if early is not None:
            inconclusive(f"failure {i + 1} from {address} was refused early: {early.describe()}")
    return address


def _refusals(
    target: Target, address: str, user: str, code: str, count: int
) -> tuple[list[str], list[int]]:
    """`count` EKE1s of `user` from `address` answered EROR `code` (each on its own
    connection, closed by the server); what came, for the evidence, and the retry_after
    values of `throttled` answers (the case waits them out before it probes, so that no
    lock of the address is running when its connections are judged)."""
    timeout = max(3.0, min(10.0, target.limits.idle_timeout * 2))
    seen: list[str] = []
    waits: list[int] = []
    deadline = time.monotonic() + 5.0
    while sum(1 for s in seen if s == code) < count:
        if time.monotonic() > deadline:
            inconclusive(f"only {seen.count(code)} of {count} EKE1s were refused {code}: {seen}")
        if code == "bad_frame":
            # A user name no account can have (EKE-PW-1: 1 to 64 bytes): refused at EKE1.
            raw = connect_raw(target.host, target.port, timeout=timeout, source=address,
                              name=f"malformed EKE1 from {address}")
            try:
                raw.send_frame(b"EKE1", {"user": "", "a": "00" * 384})
                event = raw.recv_frame(deadline_after(timeout))
            finally:
                raw.close()
        else:
            hs = start_handshake(target, user, bytes(32), source=address, timeout=timeout)
            try:
                event = hs.receive_eke2(timeout)
            finally:
                hs.close()
        seen.append(event.error_name if isinstance(event, ReceivedFrame) and event.error_name
                    else event.describe()[:40])
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            retry = (event.json() or {}).get("retry_after")
            if isinstance(retry, int) and not isinstance(retry, bool):
                waits.append(retry)
    return seen, waits




@pytest.mark.req("LIM-8", "EKE-THR-1", "EKE-THR-7")
@pytest.mark.parametrize("refusal", ["throttled", "busy", "bad_frame"])
def test_handshakes_refused_at_eke1_give_their_addresses_count_back(
    eke_target: Target, transcripts: TranscriptBook, refusal: str
) -> None:
    """One more than the cap of EKE1s from one address refused `refusal` (the address
    throttled after N failures; the user name at its pending cap P, held from other
    addresses; an empty user name): each connection is closed by the server. Then that
    address must be admitted its cap of connections in their handshake."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    cap, total = _per_address(eke_target)
    sources = sources_for(eke_target)
    if not sources.loopback:
        pytest.skip("needs a loopback target")
    held: list[PartialHandshake] = []
    try:
        if refusal == "throttled":
            address = _throttled_address(eke_target, sources)
            user = ghost_user()
        elif refusal == "bad_frame":
            fresh = sources.fresh()
            assert fresh is not None
            address, user = fresh, ""
        else:
            p = eke_target.limits.pending_logins_per_user
            if p is None:
                pytest.skip("the target declares no pending_logins_per_user (EKE-THR-7)")
            if p + 2 > total:
                pytest.skip(f"holding {p} pending logins needs more connections")
            user = ghost_user()
            timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
            for _ in range(p):
                hs = start_handshake(
                    eke_target, user, bytes(32), source=sources.fresh(), timeout=timeout
                )
                held.append(hs)
                event = hs.receive_eke2(timeout)
                if hs.eke2 is None:
                    inconclusive(f"a login of {user!r} held for the cap got {event.describe()}")
            fresh = sources.fresh()
            assert fresh is not None
            address = fresh
        seen, waits = _refusals(eke_target, address, user, refusal, cap + 1)
    finally:
        for hs in held:
            hs.close()
    if waits:
        if max(waits) > 5:
            inconclusive(f"the address's lock ({max(waits)} s) is too long to wait out")
        time.sleep(max(waits) + 0.2)
    _admits(
        eke_target,
        address,
        cap,
        transcripts,
        f"{len(seen)} EKE1s from it were answered ({', '.join(seen)}) and closed",
    )
