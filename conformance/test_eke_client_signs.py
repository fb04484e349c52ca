"""An sft-eke/1 CLIENT takes the server's Y' with either sign (SPEC §5.2 EKE-X-2, EKE-X-3).

The server sends `Y' = Y` or `Y' = p − Y` at random (EKE-X-2), and the client MUST
recover Y as the one of `Y'`, `p − Y'` that is a quadratic residue (EKE-X-3). A client
that refuses a `Y'` that is not a residue ("only subgroup elements are valid" — a check
that belongs to Y, not to Y'), or that uses `Y'` as it comes, fails half of the honest
handshakes: a suite whose honest server draws the sign at random sees that only as an
occasional failure, under whatever requirement the case at hand cites. Here the honest
server pins the sign: once `Y' = Y`, once `Y' = p − Y`, and the client must complete the
same honest get both times.

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "signs.bin"
CONTENT = hashlib.sha256(b"sft-eke/1 signs").digest() * 64  # 2048 bytes
_TIMEOUT = 5.0
_PASSWORD = fresh_password()
_NON_RESIDUE_RUNS = 4  # a client using Y' as Y passes each run with probability 1/2


def _honest_with_sign(pw: bytes, sign_bit: int) -> Behaviour:
    """An honest server whose Y' is Y (sign 0) or p - Y (sign 1), serving CONTENT."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw, sign_bit=sign_bit)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            view.ended = f"the client's EKE3 did not verify: {exc}"
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    return behaviour


@pytest.mark.req("EKE-X-3", "EKE-X-2")
@pytest.mark.parametrize("sign_bit", [0, 1], ids=["y-prime-is-y", "y-prime-is-p-minus-y"])
def test_client_takes_the_servers_element_with_either_sign(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, sign_bit: int
) -> None:
    pw = eke_pw(client_user(eke_target), _PASSWORD)
    # A client that uses Y' = p - Y as it comes computes Z' = (-1)^x * Y^x: right whenever
    # its own exponent x is even, so one run catches it only half of the time; the runs
    # with the non-residue are repeated (a conforming client completes every one).
    for run in range(1 if sign_bit == 0 else _NON_RESIDUE_RUNS):
        run_dir = tmp_path / f"run-{run}"
        run_dir.mkdir()
        case = run_case(
            eke_target,
            run_dir,
            transcripts,
            _honest_with_sign(pw, sign_bit),
            name=NAME,
            password=_PASSWORD,
            timeout=_TIMEOUT,
        )
        kept = case.result.out.read_bytes() if case.result.kept_file else None
        if not (case.result.succeeded and kept == CONTENT):
            break
    else:
        return
    shown = "Y' = Y (a quadratic residue)" if sign_bit == 0 else "Y' = p - Y (not a residue)"
    raise ConformanceFailure.evidence(
        f"EKE-X-3: an honest server whose EKE2 hides {shown}, then an honest get of "
        f"{len(CONTENT)} bytes",
        "the client recovers Y as the residue among Y' and p - Y' and completes the get "
        "(success, the file kept with the content served)",
        f"run {run + 1}: success: {case.result.succeeded}; kept: "
        f"{'no file' if kept is None else f'{len(kept)} bytes'}"
        + ("" if kept in (None, CONTENT) else " (not the content served)"),
        note=case.describe(),
    )
