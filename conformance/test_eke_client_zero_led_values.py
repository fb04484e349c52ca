"""An sft-eke/1 CLIENT logs in when the server's byte strings begin with zero bytes: B, C2
and Ns are fixed-length byte strings, never integers of their minimal length (SPEC
EKE-KS-1, EKE-HS-4, EKE-HS-5).

EKE-KS-1: `th = SHA-256("sft-eke/1 transcript" ‖ u16be(len(U)) ‖ U ‖ A ‖ B)`, "with A, B the
384-byte encrypted values". A client that holds B as a big integer (a BigInteger, a bignum
from the hex) and writes it back in its minimal length for the transcript computes another
th whenever B's first byte is 0 — one login in 256 against an honest server, never in a
quick interop run. The same round trip on C2 (its 48 bytes taken as a number before the
AEAD opens them) or on Ns (written into C3) fails the same logins. The suite, playing an
honest server, picks its exponent so that B begins with a zero byte (and, in the other
variants, its Ns so that C2 or Ns does): the client must log in and fetch the file.

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    read_frame,
    run_case,
    serve_records,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_TRIES = 8192  # each try has a 1/256 chance: (255/256)^8192 < 1e-13
_NAME = "zero-led.bin"
_CONTENT = bytes(range(256)) * 8


def _zero_led_b(pw: bytes) -> tuple[int, int]:
    """An exponent and sign bit whose hidden element B begins with a zero byte."""
    exponent = eke.random_exponent()
    element = eke.modexp(eke.G, exponent)
    for _ in range(_TRIES):
        for sign_bit in (0, 1):
            encoded = eke.pm_encode(element, sign_bit)
            if eke.feistel_encrypt(pw, eke.element_to_bytes(encoded))[0] == 0:
                return exponent, sign_bit
        exponent += 1  # g^(x+1) = g^x * g: one multiplication per try
        element = element * eke.G % eke.P
    raise RuntimeError("no B with a leading zero byte found (bounded search)")


def _zero_led_ns(accept: Callable[[bytes], bool]) -> bytes:
    for _ in range(_TRIES):
        ns = secrets.token_bytes(eke.NONCE_LEN)
        if accept(ns):
            return ns
    raise RuntimeError("no nonce of the wanted form found (bounded search)")


_RULES = {"b": ("EKE-KS-1",), "c2": ("EKE-HS-4",), "ns": ("EKE-HS-5",)}
_WHAT = {
    "b": "B (EKE2's b) begins with a zero byte",
    "c2": "C2 (EKE2's c) begins with a zero byte",
    "ns": "Ns (sealed in C2) begins with a zero byte",
}


@pytest.mark.req("EKE-KS-1", "EKE-HS-4", "EKE-HS-5")
@pytest.mark.parametrize("where", ["b", "c2", pytest.param("ns", marks=pytest.mark.slow)])
def test_client_logs_in_when_a_server_value_begins_with_zero(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    where: str,
    request: pytest.FixtureRequest,
) -> None:
    """An honest server whose {where} begins with a zero byte: the client logs in and gets
    the file (every value is a fixed-length byte string, never a minimal integer)."""
    skip_slow_variant(request)
    password = f"suite-zero-led-{secrets.token_hex(6)}"
    pw = eke_pw(client_user(eke_target), password)
    exponent, sign_bit = _zero_led_b(pw) if where == "b" else (eke.random_exponent(), 0)
    seen: dict[str, str] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw, exponent=exponent, sign_bit=sign_bit)
        if where == "ns":
            server.ns = _zero_led_ns(lambda ns: ns[0] == 0)
        eke2 = server.on_eke1(event.json() or {})
        if where == "c2" and server.keys is not None:
            keys = server.keys

            def c2_of(ns: bytes) -> bytes:
                return eke.aead_seal(keys.kcs, eke.N2, ns, b"EKE2" + keys.th)

            server.ns = _zero_led_ns(lambda ns: c2_of(ns)[0] == 0)
            eke2 = {"b": eke2["b"], "c": c2_of(server.ns).hex()}
        seen["eke2"] = f"b {eke2['b'][:8]}…, c {eke2['c'][:8]}…, Ns {server.ns.hex()[:8]}…"
        raw.send_frame(b"EKE2", eke2)
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            seen["after"] = event.describe() if event is not None else "nothing"
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            seen["after"] = f"an EKE3 that does not verify ({exc})"
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        view.channels.append(channel)
        serve_records(channel, view, {_NAME: _CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=_NAME, password=password
    )
    result = case.result
    if result.succeeded and result.kept_file and result.out.read_bytes() == _CONTENT:
        return
    failure = ConformanceFailure.evidence(
        f"{_RULES[where][0]}: an honest server whose {_WHAT[where]} ({seen.get('eke2', '')})",
        "the client logs in and gets the file: B, C2 and Ns are byte strings of fixed "
        "length (384, 48, 32 bytes), never re-encoded as minimal integers",
        f"the client answered EKE2 with {seen.get('after', 'EKE3 (verified)')}; the get "
        f"{'succeeded' if result.succeeded else 'failed'}"
        + (
            f", the file differs (sha256 {hashlib.sha256(result.out.read_bytes()).hexdigest()})"
            if result.kept_file
            else ""
        ),
        note=case.describe(),
    )
    failure.violates = _RULES[where]
    raise failure
