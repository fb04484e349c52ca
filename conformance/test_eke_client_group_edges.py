"""An sft-eke/1 CLIENT accepts the group's edge values a server may legitimately send.

The rules name exactly what a client refuses and how it encodes what it computes; a
client that refuses a little more, or encodes a little shorter, fails honest logins
at the edges only — one login in 256, or one server's choice of y — which no ordinary
run shows. The suite plays an honest server that knows the password and picks its
exponent so that the edge comes up in this one login:

* [EKE-KS-2] Z = I2OSP(Y^x mod p, 384): the suite picks y so that Y^x mod p is below
  2^3064, its I2OSP has a leading zero byte. A client that encodes Z in its minimal
  length (a big-integer library's `to_bytes()` / `bytes()`, the classic DH padding
  slip) derives other keys, fails C2 and ends the login `auth_failed`: against an
  honest server, one login in 256.

Each login must complete and the get with it (the file kept, byte for byte).

Not here: Y' = 2 or p − 2. Only the exponent y = 1 produces them, which EKE-X-1 forbids a
server ("1 < x < q"), so a client that refuses them costs no honest login (FP14).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
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

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "edge.bin"
CONTENT = b"an honest server at the edge of the group\n" * 40
_TIMEOUT = 5.0
_Z_BOUND = 1 << (8 * (eke.ELEMENT_LEN - 1))  # Z below this: I2OSP(Z, 384) starts with 0x00
_Z_STEPS = 1 << 16  # bounded search (one in 256 values qualifies: ~256 steps expected)


def _z_leading_zero(pw: bytes, eke1: dict[str, Any]) -> tuple[eke.ServerHandshake, str]:
    """y = y0 + k, the first k >= 0 with X^y mod p below 2^3064 (one multiplication by X
    per step: the search costs one modexp)."""
    a = bytes.fromhex(str(eke1.get("a", "")))
    x = eke._unhide(pw, a)
    exponent = eke.random_exponent()
    z = eke.modexp(x, exponent)
    for _ in range(_Z_STEPS):
        if 1 < z < _Z_BOUND:
            break
        z = z * x % eke.P
        exponent += 1
    else:
        raise RuntimeError("no exponent with a short Z found (bounded search)")
    server = eke.ServerHandshake(pw=pw, exponent=exponent)
    return (
        server,
        f"Z = I2OSP(Y^x mod p, 384) begins with {384 - (z.bit_length() + 7) // 8} zero byte(s)",
    )


_EDGES: dict[
    str, tuple[str, Callable[[bytes, dict[str, Any]], tuple[eke.ServerHandshake, str]]]
] = {
    "z-leading-zero-byte": ("EKE-KS-2", _z_leading_zero),
}


@pytest.mark.parametrize(
    "edge",
    [
        pytest.param(label, marks=pytest.mark.req(req), id=label)
        for label, (req, _m) in _EDGES.items()
    ],
)
def test_client_completes_a_login_at_the_edge_of_the_group(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, edge: str
) -> None:
    """An honest server whose EKE2 carries the edge `edge` (module docstring): the client
    answers EKE3, verifies EKE4, and the get completes."""
    requirement, make = _EDGES[edge]
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    box: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke1 = event.json() or {}
        try:
            server, shown = make(pw, eke1)
        except (eke.EkeError, ValueError) as exc:  # the client's A is no hidden element
            box["edge"], box["eke2"] = "(no EKE2: the suite could not read A)", True
            box["answer"] = f"an EKE1 whose A does not decrypt to a valid element ({exc})"
            return
        box["edge"] = shown
        raw.send_frame(b"EKE2", server.on_eke1(eke1))
        box["eke2"] = True
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            box["answer"] = event.describe(80) if isinstance(event, ReceivedFrame) else view.ended
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            box["answer"] = f"an EKE3 that does not verify ({exc})"
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=NAME, password=password, timeout=_TIMEOUT
    )
    if "eke2" not in box:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    result = case.result
    complete = result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT
    if not complete or "answer" in box:
        raise ConformanceFailure.evidence(
            f"{requirement}: an honest server's EKE2 in which {box['edge']}",
            "EKE3, then (EKE4 verified) the RQFL, and the get completes with the file kept "
            f"(SHA-256 {hashlib.sha256(CONTENT).hexdigest()[:16]}...)",
            f"after EKE2 the client sent {box.get('answer', 'EKE3')}; {result.describe()}",
            note=case.describe(),
        )
