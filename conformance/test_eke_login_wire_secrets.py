"""sft-eke/1: what the clear part of a login shows (docs/SPEC.md §5.3, §5.7).

- EKE-SEC-1: a passive capture of a complete session MUST NOT allow testing a password
  guess offline. The handshake's clear frames carry A, B and the AEAD proofs, nothing else
  computed from the password: a server that adds a "key id" or fingerprint of `pw` (so
  that a client can tell which password version it holds), or of the password, hands every
  eavesdropper a check value for an offline scrypt search. The suite knows the account's
  password and `pw`, and looks in every clear frame the server sends in an honest login
  (EKE2, EKE4) for `pw`, the password and their usual digests (SHA-256, SHA-1, MD5,
  SHA-512, SHA3-256, BLAKE2b), whole or as a prefix of 4, 6, 8 or 16 bytes, in lower- or
  upper-case hex and in base64 (standard or URL-safe, padded or not).
- EKE-HS-3: the server's messages and their sizes MUST NOT depend on whether U exists,
  its `busy` refusal included. The account and a ghost name each hold their cap of
  pending handshakes (EKE-THR-7, P) from fresh addresses; the next EKE1 of each is
  refused `busy`, and the two refusals MUST be alike: the same code, name and members,
  and the same message once each user name in it is replaced by a placeholder. The held
  handshakes of the account end with their honest EKE3 (no failure is counted).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectFrame,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_PREFIXES = (4, 6, 8, 16)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout + 2.0))


def _forms(value: bytes) -> Iterator[bytes]:
    """`value` as a capture would show it: hex (both cases), base64 (both alphabets)."""
    yield value.hex().encode()
    yield value.hex().upper().encode()
    for encoded in (base64.b64encode(value), base64.urlsafe_b64encode(value)):
        yield encoded
        yield encoded.rstrip(b"=")


def _needles(password: str, pw: bytes) -> dict[bytes, str]:
    """Every spelling of a check value for a password guess, and what it is."""
    found: dict[bytes, str] = {}
    sources = {"pw": pw, "the password": password.encode("utf-8")}
    digests = ("sha256", "sha1", "md5", "sha512", "sha3_256", "blake2b")
    values: dict[str, bytes] = {}
    for label, secret in sources.items():
        values[label] = secret
        for algorithm in digests:
            values[f"{algorithm}({label})"] = hashlib.new(algorithm, secret).digest()
    for label, value in values.items():
        cuts = [len(value), *(n for n in _PREFIXES if n < len(value))]
        for n in cuts:
            what = label if n == len(value) else f"the first {n} bytes of {label}"
            for form in _forms(value[:n]):
                if len(form) >= 6:
                    found.setdefault(form, what)
    raw = sources["the password"]
    if len(raw) >= 4:
        found.setdefault(raw, "the password")
    return found


@pytest.mark.req("EKE-SEC-1")
def test_clear_handshake_frames_carry_no_check_value_of_the_password(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    captured: list[ReceivedFrame] = []
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None or not isinstance(event, ReceivedFrame):
            pytest.skip(f"no EKE2 for the account's EKE1 (cannot test): {event.describe()}")
        captured.append(event)
        hs.send_eke3(hs.client.on_eke2(hs.eke2))
        outcome = expect_on(hs.raw, [ExpectFrame("EKE4")], timeout)
        if outcome.frame is not None:
            captured.append(outcome.frame)
            obj = outcome.frame.json()
            if obj is not None:
                with contextlib.suppress(eke.EkeError):
                    hs.client.on_eke4(obj)
                    hs.settle(timeout)
    finally:
        hs.close()
    needles = _needles(eke_victim.account.password, eke_victim.pw)
    for frame in captured:
        payload = frame.raw[8:]
        for needle, what in needles.items():
            if needle in payload:
                where = payload.index(needle)
                raise ConformanceFailure(
                    f"EKE-SEC-1: the clear {frame.type_text} of an honest login of "
                    f"{eke_victim.user!r} carries {what} (as {needle[:24]!r}..., at byte "
                    f"{where} of its payload): an eavesdropper tests password guesses "
                    "offline against it (scrypt of each guess, then the digest).\n"
                    f"Frame: {frame.describe(200)}",
                    violates=("EKE-SEC-1",),
                )


# -- EKE-HS-3: busy alike -----------------------------------------------------------------


def _eke1(target: Target, user: str, pw: bytes, source: str | None) -> PartialHandshake:
    client = eke.ClientHandshake(user=user, pw=pw)
    message = client.eke1()  # before connecting: the handshake clock starts at accept
    raw = connect_raw(
        target.host, target.port, timeout=_timeout(target), name=f"eke {user}", source=source
    )
    raw.send_frame(b"EKE1", message)
    hs = PartialHandshake(raw, client, message)
    hs.receive_eke2(_timeout(target))
    return hs


def _finish(held: list[PartialHandshake], target: Target, *, honest: bool) -> None:
    """Honest holds end with their EKE3 (no failure); the others walk away."""
    timeout = _timeout(target)
    for hs in held:
        try:
            if honest and hs.eke2 is not None:
                hs.send_eke3(hs.client.on_eke2(hs.eke2))
                outcome = expect_on(hs.raw, [ExpectFrame("EKE4")], timeout)
                obj = outcome.frame.json() if outcome.frame is not None else None
                if obj is not None:
                    with contextlib.suppress(eke.EkeError):
                        hs.client.on_eke4(obj)
                        hs.settle(timeout)
            else:
                with contextlib.suppress(OSError):
                    hs.raw.sock.shutdown(1)
                deadline = deadline_after(timeout)
                for _ in range(4):
                    if isinstance(hs.raw.recv_frame(deadline), Closed | TimedOut):
                        break
        finally:
            hs.close()


def _busy_of(
    target: Target, sources: SourceAddresses, user: str, pw: bytes, cap: int, honest: bool
) -> dict[str, Any]:
    held: list[PartialHandshake] = []
    try:
        for _ in range(cap):
            hs = _eke1(target, user, pw, sources.fresh())
            held.append(hs)
            if hs.eke2 is None:
                inconclusive(
                    f"could not hold {cap} pending handshakes of {user!r}: "
                    f"{hs.eke2_event.describe() if hs.eke2_event else 'nothing'}"
                )
        probe = _eke1(target, user, pw, sources.fresh())
        event = probe.eke2_event
        probe_done = [probe]
        if not (isinstance(event, ReceivedFrame) and event.error_name == "busy"):
            _finish(probe_done, target, honest=honest)
            inconclusive(
                f"the EKE1 of {user!r} beyond its {cap} pending handshakes was not refused "
                f"busy ({event.describe() if event else 'nothing'}; judged by "
                "test_eke_throttling.py / test_eke_busy_refusals.py)"
            )
        probe.close()
        assert isinstance(event, ReceivedFrame)
        obj = event.json()
        if obj is None:
            raise ConformanceFailure(f"the busy EROR is not a JSON object: {event.describe()}")
        return obj
    finally:
        _finish(held, target, honest=honest)


def _normalised(obj: dict[str, Any], user: str) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k != "retry_after"}
    out["retry_after present"] = "retry_after" in obj
    message = out.get("message")
    if isinstance(message, str):
        out["message"] = message.replace(user, "{user}")
    return out


@pytest.mark.req("EKE-HS-3")
def test_busy_refusal_is_the_same_for_an_account_and_a_ghost(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    cap = eke_target.limits.pending_logins_per_user
    if cap is None:
        pytest.skip("the target declares no pending-login cap per user name (EKE-THR-7)")
    if cap + 2 > eke_target.limits.max_connections:
        pytest.skip(f"holding {cap + 1} handshakes needs more connections")
    ghost = ghost_user()
    try:
        known = _busy_of(eke_target, eke_sources, eke_victim.user, eke_victim.pw, cap, True)
    finally:
        eke_victim.reset(eke_sources)
    unknown = _busy_of(eke_target, eke_sources, ghost, bytes(32), cap, False)
    a, b = _normalised(known, eke_victim.user), _normalised(unknown, ghost)
    if a != b:
        raise ConformanceFailure(
            "EKE-HS-3: the busy refusal differs by whether the user name is an account "
            f"(user names replaced by {{user}}):\n  account {eke_victim.user!r}: {a}\n"
            f"  unknown {ghost!r}: {b}\n(\"The server's messages, their sizes and timing "
            "MUST NOT depend on whether U exists (its EROR throttled and busy refusals "
            "included).\")",
            violates=("EKE-HS-3",),
        )
