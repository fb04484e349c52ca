"""What an sft-eke/1 CLIENT's login frames hold, checked against a server that knows the
password (SPEC EKE-X-1, EKE-HS-1, EKE-HS-5, FRM-1).

* **The exponent is not a machine word** (EKE-X-1): x carries at least 320 random bits. A
  client that draws it as a 32-bit integer (Java's `nextInt`, a `Uint32Array`, a C
  `uint32_t`) sends a fresh X every time, so repetition tests pass; but whoever knows the
  password (or guesses it) decrypts A and recovers x from g^x by a baby-step giant-step
  search (2^18 baby steps, 2^14 giant ones). The suite runs it on the client's X (bound
  2^32 + 2^19), and on X / g^(2^320) and X / g^(2^319) (a small draw under a fixed top
  bit, as the reference sets bit 320): finding x is a FAIL. (An honest exponent of 320
  random bits is found with a probability below 2^-280.)
* **Frame lengths count bytes** (FRM-1, EKE-HS-1): the EKE1 of a user name beyond ASCII,
  and the RQFL of a name beyond ASCII (inside its record), are frames whose length is the
  payload's UTF-8 bytes. A length counted in characters (a JavaScript `str.length`, a Java
  `String.length()`) announces fewer bytes than follow: the JSON is cut and the rest is
  read as the next frame.
* **C3 is 160 hex characters** (EKE-HS-5): a C2 that authenticates under Kcs but whose
  plaintext is not 32 bytes (0, 31, 33, 48, 64) is not a login an honest server makes:
  EKE-HS-4 makes it a failed verification (auth_failed, or a close). A client that takes
  "whatever C2 decrypts to" as Ns answers an EKE3 whose `c` is not 160 lowercase hex
  characters (EKE-HS-5 too); one that takes Ns from part of it (its first 32 bytes) answers
  one of the right length: both FAIL EKE-HS-4.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    eke_pw,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
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
_CONTENT = b"login values\n" * 40
_NAME = "login-values.bin"
_C3_HEX = re.compile(r"[0-9a-f]{160}")

# -- baby-step giant-step over [0, 2^32 + 2^19) ---------------------------------------------

_M = 1 << 18  # baby steps (keyed by their low 64 bits); 2^14 + 2 giant steps
_GIANT = (1 << 14) + 2
_LOW = (1 << 64) - 1
_BABY: dict[int, int] = {}


def _small_log(element: int) -> int | None:
    """x with g^x = element and 0 <= x < _M * _GIANT, or None."""
    if not _BABY:
        value = 1
        for j in range(_M):
            _BABY.setdefault(value & _LOW, j)
            value = (value * eke.G) % eke.P
    factor = pow(eke.G, -_M, eke.P)
    gamma = element
    for i in range(_GIANT):  # bounded
        baby = _BABY.get(gamma & _LOW)
        if baby is not None and pow(eke.G, i * _M + baby, eke.P) == element:
            return i * _M + baby
        gamma = (gamma * factor) % eke.P
    return None


# -- one honest login and get, with what the client sent kept --------------------------------


def _honest_get(pw: bytes, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        seen["eke1"] = event
        obj = event.json()
        if obj is None:
            return
        server = eke.ServerHandshake(pw=pw)
        try:
            raw.send_frame(b"EKE2", server.on_eke1(obj))
        except eke.EkeError:
            return
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            raw.send_frame(b"EKE4", server.on_eke3(event.json() or {}))
        except eke.EkeError:
            return
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        seen["channel"] = channel
        request = read_inner(channel, view, _TIMEOUT)
        seen["request"] = request
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        name = (request.json() or {}).get("name")
        digest = hashlib.sha256(_CONTENT).hexdigest()
        channel.send_frame("RSFL", {"name": name, "size": len(_CONTENT), "sha256": digest})
        channel.send_frame("DATA", _CONTENT)
        channel.send_frame("DONE", {"size": len(_CONTENT), "sha256": digest})
        read_inner(channel, view, _TIMEOUT)  # its BYE_ or its close

    return behaviour


def _run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, *, user: str, name: str
) -> tuple[ClientCase, dict[str, Any]]:
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        target,
        tmp_path,
        transcripts,
        _honest_get(eke_pw(user, password), seen),
        name=name,
        password=password,
        user=user,
    )
    return case, seen


def _fail(what: str, expected: str, got: str, case: ClientCase, own: tuple[str, ...]) -> None:
    failure = ConformanceFailure.evidence(what, expected, got, note=case.describe())
    failure.violates = own
    raise failure


@pytest.mark.req("EKE-X-1")
def test_client_exponent_is_not_a_small_integer(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client's X = g^x (A decrypted with pw): x is not below 2^32 + 2^19, nor such a
    small random part above a fixed top bit (2^320, 2^319)."""
    user = "alice"
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _honest_get(eke_pw(user, password), seen),
        name=_NAME,
        password=password,
        user=user,
    )
    eke1 = seen.get("eke1")
    obj = eke1.json() if isinstance(eke1, ReceivedFrame) else None
    if not obj or not isinstance(obj.get("a"), str) or len(obj["a"]) != 768:
        pytest.skip(f"no well-formed EKE1 to judge (other cases judge EKE-HS-1): {case.describe()}")
    try:
        element = eke._unhide(eke_pw(user, password), bytes.fromhex(obj["a"]))
    except (eke.EkeError, ValueError):
        pytest.skip("the client's A does not decrypt to a valid element (judged elsewhere)")
    # x itself, or x above a fixed top bit (2^320 as the reference sets it, 2^319 as a
    # 320-bit draw with its top bit forced has it): the random part is what is searched.
    x = None
    for top in (0, 1 << 320, 1 << 319):
        low = _small_log(element * pow(eke.G, -top, eke.P) % eke.P)
        if low is not None:
            x = top + low
            break
    if x is not None:
        _fail(
            "the client's exponent, recovered from g^x by a baby-step giant-step search",
            "x with at least 320 random bits: no logarithm below 2^32 + 2^19",
            f"x = {x} ({x.bit_length()} bits)",
            case,
            ("EKE-X-1",),
        )


_USERS = [
    pytest.param("\u00e9l\u00e8ve-\u03a9\u03bc\u03ad\u03b3\u03b1", id="latin-greek"),
    pytest.param("\u65e5\u672c-\U0001f600", id="cjk-astral"),
]


@pytest.mark.req("FRM-1", "EKE-HS-1")
@pytest.mark.parametrize("user", _USERS)
def test_client_eke1_of_a_non_ascii_user_is_one_exact_frame(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, user: str
) -> None:
    """EKE1's length is its payload's UTF-8 bytes: the JSON is whole and names the user."""
    case, seen = _run(eke_target, tmp_path, transcripts, user=user, name=_NAME)
    eke1 = seen.get("eke1")
    if not isinstance(eke1, ReceivedFrame):
        _fail(
            f"the EKE1 of the user {user!r}",
            "an EKE1 frame",
            f"{case.view.frames} then {case.view.ended}",
            case,
            ("EKE-HS-1",),
        )
    assert isinstance(eke1, ReceivedFrame)
    obj = eke1.json()
    if obj is None or obj.get("user") != user:
        _fail(
            f"the EKE1 of the user {user!r} (its header announces {len(eke1.payload)} bytes)",
            "a frame whose length is its payload's UTF-8 bytes: a JSON object naming the user",
            f"payload {eke1.payload[:120]!r}; then {case.view.frames[1:3]}",
            case,
            ("FRM-1", "EKE-HS-1"),
        )


_NAMES = [
    pytest.param("caf\u00e9-\u00fcber.txt", id="latin"),
    pytest.param("\u65e5\u672c\u8a9e-\U0001f600.bin", id="cjk-astral"),
]


@pytest.mark.req("FRM-1")
@pytest.mark.parametrize("name", _NAMES)
def test_client_rqfl_of_a_non_ascii_name_is_one_exact_frame(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, name: str
) -> None:
    """The RQFL inside its record: length = the payload's UTF-8 bytes, the name whole."""
    case, seen = _run(eke_target, tmp_path, transcripts, user="alice", name=name)
    channel = seen.get("channel")
    if channel is None:
        pytest.skip(f"the client did not log in (judged elsewhere): {case.describe()}")
    request = seen.get("request")
    obj = request.json() if isinstance(request, ReceivedFrame) else None
    problems = []
    if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
        problems.append(f"no RQFL: {request.describe() if request is not None else None}")
    elif obj is None or obj.get("name") != name:
        problems.append(f"RQFL payload {request.payload[:120]!r}")
    if channel.violations:
        problems.append(f"{channel.violations}")
    if problems:
        _fail(
            f"the RQFL of the name {name!r}",
            "one frame per record whose length is its payload's UTF-8 bytes, naming the file",
            "; ".join(problems),
            case,
            ("FRM-1",),
        )


# -- C2 whose plaintext is not 32 bytes ------------------------------------------------------


def _odd_c2(pw: bytes, length: int, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        try:
            eke2 = server.on_eke1(event.json() or {})
        except eke.EkeError:
            return
        if server.keys is None:
            return
        plain = bytes((7 * i + 1) % 256 for i in range(length))
        c2 = eke.aead_seal(server.keys.kcs, eke.N2, plain, b"EKE2" + server.keys.th)
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": c2.hex()})
        seen["answer"] = read_frame(raw, view, _TIMEOUT)

    return behaviour


@pytest.mark.req("EKE-HS-5", "EKE-HS-4")
@pytest.mark.parametrize("length", [0, 31, 33, 48, 64])
def test_client_never_sends_a_c3_of_another_length(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, length: int
) -> None:
    """A C2 sealing a plaintext of `length` bytes (not 32): the client refuses it, never
    answers an EKE3."""
    user = "alice"
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _odd_c2(eke_pw(user, password), length, seen),
        name=_NAME,
        password=password,
        user=user,
    )
    answer = seen.get("answer")
    if isinstance(answer, ReceivedFrame) and answer.type == b"EKE3":
        c = (answer.json() or {}).get("c")
        if not (isinstance(c, str) and _C3_HEX.fullmatch(c)):
            shown = f"{len(c)} characters" if isinstance(c, str) else repr(c)[:80]
            _fail(
                f"EKE2 whose C2 seals {length} bytes instead of a 32-byte Ns",
                "EROR auth_failed (or a close): no EKE3, least of all one whose c is not "
                "160 lowercase hex",
                f"EKE3 with c of {shown}",
                case,
                ("EKE-HS-5", "EKE-HS-4"),
            )
        _fail(
            f"EKE2 whose C2 seals {length} bytes instead of a 32-byte Ns",
            "EROR auth_failed (or a close): a C2 whose plaintext is not 32 bytes is a failed "
            "verification, no Ns is taken from part of it (EKE-HS-4)",
            "EKE3 (160 hex characters: Ns taken from part of the plaintext)",
            case,
            ("EKE-HS-4",),
        )
    if case.result.succeeded and case.result.kept_file:
        _fail(
            f"EKE2 whose C2 seals {length} bytes instead of a 32-byte Ns",
            "the login fails",
            "the client reported success",
            case,
            ("EKE-HS-4",),
        )
