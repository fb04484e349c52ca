"""Building blocks of the sft-eke/1 attack tests: partial handshakes, source addresses, victims.

Tests that fail a handshake on purpose must not throttle the suite's honest traffic
(EKE-THR-1 counts failures per user and per address). So each of them:

* connects from a fresh loopback source address (`SourceAddresses`: 127.x.y.z, any of
  which reaches a server on 127.0.0.1) when the target is on loopback, and
* fails as the *victim* account (the second account when there is one), whose failure
  count an honest handshake resets afterwards (EKE-THR-4; `Victim.reset`).
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance import eke
from conformance.eke_channel import (
    EkeChannel,
    client_handshake,
    connect_raw,
    password_key_cached,
)
from conformance.target import Account, Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    ExpectError,
    RawConnection,
    ReceivedFrame,
    deadline_after,
    expect_on,
)

__all__ = [
    "PartialHandshake",
    "SourceAddresses",
    "Victim",
    "fail_handshake",
    "ghost_user",
    "sources_for",
    "start_handshake",
]


class SourceAddresses:
    """Fresh 127.a.b.c addresses for one process (a worker-specific second octet)."""

    def __init__(self, target: Target) -> None:
        self.loopback = target.host.startswith("127.")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        base = 10 + (int(worker) if worker.isdigit() else 0) % 200
        self._counter: Iterator[int] = itertools.count(secrets.randbelow(1000) * 50)
        self._base = base

    def fresh(self) -> str | None:
        """A new source address, or None when the target is not on loopback."""
        if not self.loopback:
            return None
        n = next(self._counter) % (250 * 250)
        return f"127.{self._base}.{1 + n // 250}.{1 + n % 250}"


_SOURCES: dict[str, SourceAddresses] = {}


def sources_for(target: Target) -> SourceAddresses:
    key = f"{target.host}:{target.port}"
    if key not in _SOURCES:
        _SOURCES[key] = SourceAddresses(target)
    return _SOURCES[key]


def ghost_user() -> str:
    """A user name no target has (EKE-HS-3)."""
    return f"ghost-{secrets.token_hex(6)}"


@dataclass
class PartialHandshake:
    """A handshake driven step by step, so a test can deviate at any step."""

    raw: RawConnection
    client: eke.ClientHandshake
    eke1: dict[str, Any]
    eke2_event: Event | None = None
    eke2: dict[str, Any] | None = None
    eke2_elapsed: float = 0.0

    def receive_eke2(self, timeout: float) -> Event:
        started = time.monotonic()
        event = self.raw.recv_frame(deadline_after(timeout))
        self.eke2_elapsed = time.monotonic() - started
        self.eke2_event = event
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            self.eke2 = event.json()
        return event

    def send_eke3(self, message: dict[str, Any]) -> bool:
        return self.raw.send_frame(b"EKE3", message)

    def settle(self, timeout: float) -> Event:
        """After EKE4 (read and verified, `client.on_eke4`): `EkeChannel.settle` — BYE_,
        then the target's close. EKE4 can leave before the server books the success and
        gives the pending slot back (EKE-THR-4, EKE-THR-7); once it has read past EKE3
        and closed, both are done. Returns the event that ended the wait."""
        if self.client.keys is None:
            raise ConformanceFailure("settle() needs a handshake that reached EKE4")
        sender, receiver = self.client.record_layer()
        channel = EkeChannel(self.raw, self.client.keys, sender, receiver, role="client")
        return channel.settle(timeout)

    def close(self) -> None:
        self.raw.close()


def start_handshake(
    target: Target,
    user: str,
    pw: bytes,
    *,
    source: str | None = None,
    timeout: float,
    exponent: int | None = None,
    sign_bit: int | None = None,
    a_override: bytes | None = None,
) -> PartialHandshake:
    """Connect and send EKE1 (optionally with a chosen `A`); EKE2 is read by the caller."""
    raw = connect_raw(target.host, target.port, timeout=timeout, name=f"eke {user}", source=source)
    kwargs: dict[str, Any] = {}
    if exponent is not None:
        kwargs["exponent"] = exponent
    if sign_bit is not None:
        kwargs["sign_bit"] = sign_bit
    client = eke.ClientHandshake(user=user, pw=pw, **kwargs)
    message = client.eke1()
    if a_override is not None:
        client.a = a_override
        message = {"user": user, "a": a_override.hex()}
    raw.send_frame(b"EKE1", message)
    return PartialHandshake(raw, client, message)


def fail_handshake(
    target: Target, user: str, source: str | None, *, timeout: float
) -> ReceivedFrame | None:
    """One failed handshake as `user` from `source` (EKE1, EKE2, a bogus EKE3 answered
    `auth_failed` and the close); the EROR that refused the EKE1 instead (throttled, busy)
    when one came."""
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            return event
        if hs.eke2 is None:
            raise ConformanceFailure(f"no EKE2 for a handshake to be failed: {event.describe()}")
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            "a failed handshake"
        )
        return None
    finally:
        hs.close()


@dataclass
class Victim:
    """The account that tests fail as; `reset()` completes an honest handshake afterwards."""

    target: Target
    account: Account
    timeout: float
    resets: list[str] = field(default_factory=list)

    @property
    def user(self) -> str:
        return self.account.user

    @property
    def pw(self) -> bytes:
        return password_key_cached(self.account.password, self.account.user)

    def honest(self, source: str | None = None) -> EkeChannel:
        return EkeChannel.connect(
            self.target.host,
            self.target.port,
            self.user,
            pw=self.pw,
            timeout=self.timeout,
            source=source,
        )

    def login(self, source: str | None = None) -> None:
        """An honest login the server has acted on (EkeChannel.settle), then closed: a
        failure the caller provokes next is counted after its success, whatever the
        server's threads do (EKE-THR-4)."""
        channel = self.honest(source)
        try:
            channel.settle()
        finally:
            channel.close()

    def reset(self, sources: SourceAddresses, *, budget: float = 10.0) -> str:
        """An honest handshake (EKE-THR-4 resets the count); waits out a throttle if needed.

        Bounded by `budget` seconds; returns what happened, for the report.
        """
        deadline = time.monotonic() + budget
        attempts = 0
        while attempts < 50:
            attempts += 1
            client = eke.ClientHandshake(user=self.user, pw=self.pw)
            first = client.eke1()  # before connecting: the handshake clock starts at accept
            raw = connect_raw(
                self.target.host,
                self.target.port,
                timeout=self.timeout,
                name=f"reset {self.user}",
                source=sources.fresh(),
            )
            result = client_handshake(raw, client, self.timeout, eke1=first)
            if result.ok and client.keys is not None:
                sender, receiver = client.record_layer()
                EkeChannel(raw, client.keys, sender, receiver, role="client").settle()
            raw.close()
            if result.ok:
                return f"reset after {attempts} attempt(s)"
            event = result.event
            retry = _retry_after(event)
            if retry is None or time.monotonic() + min(retry, 1.0) > deadline:
                return f"could not reset {self.user}: {result.describe()}"
            # Throttled: wait what the server asked (its backoff), at most 1 s per round.
            time.sleep(min(max(retry, 0.05), 1.0))
        return f"could not reset {self.user} in {attempts} attempts"


def _retry_after(event: Event | None) -> float | None:
    if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
        obj = event.json() or {}
        value = obj.get("retry_after")
        return float(value) if isinstance(value, int) else 0.5
    return None
