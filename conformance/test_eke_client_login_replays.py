"""An sft-eke/1 CLIENT whose login the server drops (a FIN or a reset after `EKE1`, or in
place of `EKE4`) and which tries again draws a fresh exponent for the new handshake
(SPEC EKE-X-1, EKE-HS-10).

EKE-X-1: "Each side MUST draw a fresh secret exponent x ... for every handshake". A server
over its limits closes pending logins (LIM-9), and a client MAY try again on a new
connection. The easy way to try again is to replay what was sent: the `EKE1` bytes kept
from the first attempt ("the request failed in transit: send it again"), or the client
object's ephemeral drawn once when it was made. Either way the second handshake carries
the same X = g^x: test_eke_client_busy_retries.py sees that after `busy` only, and the
three-clients case of test_eke_client.py compares separate processes.

The suite's server reads the client's `EKE1` and drops the connection (a FIN, or a reset:
SO_LINGER 0) — at once, or after a full `EKE2`/`EKE3` in place of `EKE4` — and drops a
second connection the same way. A client that does not try again (it MAY give up) passes;
one whose second `EKE1` hides the same X (recovered with the password: EKE-X-2) FAILS,
and so does one that repeats the first `EKE1`'s `a` byte for byte. Every wait is bounded.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_eke_client_busy_retries import _x_of
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "login-replay.bin"
_TIMEOUT = 4.0
_PASSWORD = fresh_password()

_DROPS = {
    "fin-after-eke1": ("after EKE1", False),
    "reset-after-eke1": ("after EKE1", True),
    "fin-in-place-of-eke4": ("in place of EKE4", False),
}


def _drop(raw: RawConnection, reset: bool) -> None:
    if reset:
        try:
            raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    raw.close()


@pytest.mark.req("EKE-X-1", "EKE-HS-10")
@pytest.mark.parametrize("drop", list(_DROPS))
def test_client_draws_a_fresh_exponent_when_it_logs_in_again_after_a_drop(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, drop: str
) -> None:
    """The server drops the login ({drop}), twice. A client that logs in again must hide
    another X in its new EKE1 (not the first connection's x, not its `a` replayed)."""
    where, reset = _DROPS[drop]
    user = client_user(eke_target)
    pw = eke_pw(user, _PASSWORD)
    eke1s: list[ReceivedFrame] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke1s.append(event)
        if where == "in place of EKE4":
            server = eke.ServerHandshake(pw=pw)
            raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
            read_frame(raw, view, _TIMEOUT)  # its EKE3 (or its close): not judged here
        _drop(raw, reset)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
        connections=2,
    )
    if not eke1s:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if case.result.succeeded or case.result.kept_file:
        raise ConformanceFailure.evidence(
            f"EKE-X-1: every login dropped by the server ({drop})",
            "no login completed: the get fails",
            f"the client reported success: {case.result.describe()}",
            note=case.describe(),
        )
    if len(eke1s) < 2:
        return  # it gave up after the drop (it MAY): nothing to compare
    first, second = eke1s[0], eke1s[1]
    xs = (_x_of(first, pw), _x_of(second, pw))
    repeated = []
    if (first.json() or {}).get("a") == (second.json() or {}).get("a"):
        repeated.append("the first EKE1's `a`, byte for byte")
    elif xs[0] is not None and xs[0] == xs[1]:
        repeated.append("X = g^x (the same exponent x, under another sign or encoding)")
    if repeated:
        raise ConformanceFailure.evidence(
            f"EKE-X-1: the server dropped the login {where} ({'reset' if reset else 'FIN'}); "
            "the client logged in again on a new connection",
            "a fresh secret exponent x for every handshake: another X in the new EKE1",
            f"the second EKE1 repeats {repeated[0]} (a login 'retried' by replaying what "
            "was sent, or an ephemeral drawn once per client object)",
            note=case.describe(),
        )
