"""sft-eke/1: a handshake that ended with a fatal EROR takes no second login on its
connection (SPEC §2 ERR-3, §5.3 EKE-HS-8).

ERR-3: "After sending or receiving an `EROR` whose code is fatal, an endpoint MUST close
the connection and MUST NOT process further frames of it." EKE-HS-8: on any failure at
EKE3 "the server MUST send `EROR auth_failed` ... and close." The legacy sft-eke/0 server
did otherwise: after `Not Authenticated` it waited for message 1 again on the same
connection (SPEC §7.3.3, LEG-EKE-10). A modern server that keeps that loop ("let the user
try again without reconnecting") answers a new `EKE1` on the connection its failed login
ended with `EKE2`: the close after the `EROR` is gone, and its close-timing checks can
pass anyway when nothing more is sent (the server then waits for a login that does not
come until a timeout, indistinguishable, from a peer that sends nothing, from a slow close).

So here a second `EKE1` is sent behind the frame that ends the first handshake, in the
same write (it is in the server's buffer when it fails), or at once after the `EROR` has
arrived. Whatever ended the first handshake — a failing EKE3 (auth_failed), a malformed
EKE1 (bad_frame, or auth_failed: FRM-16), a frame out of order (unexpected_frame) — the
server answers it with one fatal `EROR` and the close: never `EKE2` to the second `EKE1`,
never any frame after the `EROR`. A close or reset that takes the `EROR` with it (a
server that does not drain before closing) is not judged here. Unknown user names, each
connection from a fresh source address (loopback aliases where available), so no account
and no address of other cases gathers failures.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.wire import (
    FATAL_CODES,
    Closed,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

# How the first handshake is ended, and when the second EKE1 leaves.
_ENDINGS = {
    "failed-eke3-then-eke1-same-write": ("eke3", "same-write"),
    "failed-eke3-then-eke1-after-eror": ("eke3", "after-eror"),
    "malformed-eke1-then-eke1-same-write": ("bad-eke1", "same-write"),
    "eke3-first-then-eke1-same-write": ("eke3-first", "same-write"),
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _eke1(user: str) -> bytes:
    client = eke.ClientHandshake(user=user, pw=secrets.token_bytes(32))
    return frame_bytes("EKE1", control(client.eke1()))


def _failing_eke3() -> bytes:
    return frame_bytes("EKE3", control({"c": secrets.token_bytes(80).hex()}))


def _fail(scenario: str, expected: str, got: str, ending: str) -> ConformanceFailure:
    # EKE-HS-8 is the failure at EKE3; the other endings are ERR-3's alone.
    violates = ("ERR-3", "EKE-HS-8") if ending == "eke3" else ("ERR-3",)
    failure = ConformanceFailure.evidence(
        f"{'/'.join(violates)}: {scenario}; then a new EKE1 on the same connection",
        expected,
        got,
    )
    failure.violates = violates
    return failure


def _end_first_handshake(
    raw: RawConnection, ending: str, timeout: float, second: bytes | None
) -> tuple[str, str]:
    """Send what ends the first handshake (with `second` behind it when given); return
    the scenario's words and the words of what was expected."""
    tail = second or b""
    if ending == "eke3":
        raw.send_raw(_eke1(ghost_user()))
        answer = raw.recv_frame(deadline_after(timeout))
        if not (isinstance(answer, ReceivedFrame) and answer.type == b"EKE2"):
            pytest.skip(f"no EKE2 for an unknown user (busy or throttled?): {answer.describe()}")
        raw.send_raw(_failing_eke3() + tail)
        return (
            "EKE1 of an unknown user, EKE2, an EKE3 that fails (160 random hex digits)",
            "EROR auth_failed, then the close",
        )
    if ending == "bad-eke1":
        bad = frame_bytes("EKE1", control({"user": 5, "a": "00" * 384}))
        raw.send_raw(bad + tail)
        return (
            "an EKE1 whose `user` is the integer 5 (FRM-9)",
            "EROR bad_frame (or auth_failed, FRM-16), then the close",
        )
    raw.send_raw(_failing_eke3() + tail)
    return (
        "an EKE3 as the connection's first frame (EKE-HS-9)",
        "EROR unexpected_frame (or another fatal code), then the close",
    )


@pytest.mark.req("ERR-3", "EKE-HS-8")
@pytest.mark.parametrize("case", list(_ENDINGS))
def test_no_second_login_after_a_fatal_handshake_error(
    eke_target: Target, eke_sources: SourceAddresses, case: str
) -> None:
    ending, when = _ENDINGS[case]
    timeout = _timeout(eke_target)
    second_user = ghost_user()
    second = _eke1(second_user)
    raw = connect_raw(
        eke_target.host,
        eke_target.port,
        timeout=timeout,
        name=f"eke ({case})",
        source=eke_sources.fresh(),
    )
    try:
        scenario, expected = _end_first_handshake(
            raw, ending, timeout, second if when == "same-write" else None
        )
        expected += f"; no answer to the EKE1 of {second_user!r} (no EKE2, no other frame)"
        # Bounded: at most three events (the EROR, what follows, what follows that).
        events: list[str] = []
        eror_seen = False
        for _ in range(3):
            event = raw.recv_frame(deadline_after(timeout))
            if isinstance(event, Closed):
                return  # the close (after the EROR, or a reset that took it): conforming
            if not isinstance(event, ReceivedFrame):
                events.append(event.describe())
                if eror_seen:
                    events.append("the connection stayed open after the fatal EROR")
                raise _fail(scenario, expected, " then ".join(events), ending)
            events.append(event.describe(80))
            if event.type == b"EKE2":
                raise _fail(
                    scenario,
                    expected,
                    " then ".join(events) + ": the second EKE1 was answered (a second login "
                    "on a connection that a fatal EROR ended)",
                    ending,
                )
            code = event.error_code if event.type == b"EROR" else None
            if eror_seen or code not in FATAL_CODES:
                raise _fail(scenario, expected, " then ".join(events), ending)
            eror_seen = True
            if when == "after-eror":
                raw.send_raw(second)  # False when the target already closed: fine
        raise _fail(scenario, expected, " then ".join(events), ending)
    finally:
        raw.close()
