"""sft-eke/1: a handshake frame that arrives before the server asked for it is still the
next frame (SPEC §1 FRM-4, §5.3 EKE-HS-8).

FRM-4: "several frames in one segment (pipelining), and a header split from its payload
MUST all be processed identically." In the handshake the server reads EKE1, answers
EKE2, then reads EKE3; what the client wrote after EKE1 is already in the server's
buffer when it answers. A server that takes "one frame per read" — it clears its buffer
once EKE1 is parsed, or starts a fresh reader for EKE3 — drops it, then waits for an EKE3
that has come, until its handshake timeout (LIM-1), and answers `timeout`, or reads the
tail of a frame as a new header and answers `bad_frame`.

The suite cannot compute a valid EKE3 before it has EKE2, so the EKE3 that rides behind
EKE1 is a well-formed one that fails (160 random hex digits): whatever a server does, it
is answered exactly as any failed EKE3 is, EROR auth_failed and the close (EKE-HS-8),
promptly — not after the handshake timeout. Three deliveries: the whole EKE3 in EKE1's
write; only its 8-byte header there, the payload once EKE2 has come (so the header was in
the server's buffer when it answered); only its first byte there, the rest once EKE2 has
come. Unknown user names, each from a fresh source address (loopback aliases where
available), so no account's failure count moves.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    control,
    deadline_after,
    expect_on,
    frame_bytes,
)

# How much of EKE3 leaves in EKE1's write (None: all of it).
_DELIVERIES: dict[str, int | None] = {
    "eke3-whole-behind-eke1": None,
    "eke3-header-behind-eke1": 8,
    "eke3-first-byte-behind-eke1": 1,
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("FRM-4", "EKE-HS-8")
@pytest.mark.parametrize("delivery", list(_DELIVERIES))
def test_eke3_pipelined_behind_eke1_is_answered_auth_failed(
    eke_target: Target, eke_sources: SourceAddresses, delivery: str
) -> None:
    timeout = _timeout(eke_target)
    # The answer must come well before the handshake timeout would end the connection
    # anyway (a server that lost the EKE3 answers `timeout` only then).
    prompt = max(1.0, 0.75 * eke_target.limits.handshake_timeout)
    user = ghost_user()
    client = eke.ClientHandshake(user=user, pw=secrets.token_bytes(32))
    eke1 = frame_bytes("EKE1", control(client.eke1()))
    eke3 = frame_bytes("EKE3", control({"c": secrets.token_bytes(80).hex()}))
    ahead = _DELIVERIES[delivery]
    first, rest = (eke3, b"") if ahead is None else (eke3[:ahead], eke3[ahead:])
    raw = connect_raw(
        eke_target.host,
        eke_target.port,
        timeout=timeout,
        name=f"eke {user} ({delivery})",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_raw(eke1 + first)
        got = expect_on(raw, [ExpectFrame("EKE2"), ExpectError()], timeout).check(
            f"the answer to EKE1 followed in one write by {len(first)} byte(s) of an EKE3"
        )
        if got.frame is None or got.frame.type != b"EKE2":
            raise ConformanceFailure.evidence(
                f"FRM-4: EKE1 of the unknown user {user!r} and, in the same write, "
                f"{len(first)} of the {len(eke3)} bytes of an EKE3 ({delivery})",
                "EKE2 (the bytes behind EKE1 are the next frame, read after EKE2 is sent)",
                got.describe(),
            )
        if rest:
            raw.send_raw(rest)
        started = time.monotonic()
        answer = raw.recv_frame(deadline_after(prompt))
        waited = time.monotonic() - started
        if not (isinstance(answer, ReceivedFrame) and answer.error_name == "auth_failed"):
            raise ConformanceFailure.evidence(
                f"FRM-4/EKE-HS-8: an EKE3 (well-formed, failing) sent behind EKE1 "
                f"({delivery}: {len(first)} byte(s) in EKE1's write"
                + (f", the other {len(rest)} once EKE2 had come)" if rest else ")"),
                f"EROR auth_failed within {prompt:.1f} s (the handshake timeout is "
                f"{eke_target.limits.handshake_timeout:g} s): the EKE3 was in the server's "
                "buffer when it sent EKE2",
                f"{answer.describe()} after {waited:.2f} s",
            )
        expect_on(raw, ExpectClose(), timeout).check("the close after EROR auth_failed")
    finally:
        raw.close()
