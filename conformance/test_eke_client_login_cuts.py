"""Where an sft-eke/1 CLIENT's clear login frames begin and end (SPEC FRM-1, FRM-7).

The suite plays a server that knows the password; before EKE4 the frames travel in clear
and are read by the client's own handshake reader, whose edges are checked here:

* **A frame cut by the close is no frame** (FRM-7): the server announces a login frame
  (EKE2, or EKE4 after the client's EKE3) whose header promises more bytes than it sends
  — the whole JSON object arrives, then 7 bytes are missing — and ends its side
  (FIN). The connection failed: the client MUST NOT answer EKE3 (after the cut EKE2) nor
  send a record (after the cut EKE4), and its get fails. A reader that, at EOF, takes
  "what came" as the frame (a peer announcing too long a length) goes on with the login.
* **A length is read in one order and width** (FRM-1): EKE2 (or EKE4) whose length field
  holds the payload's length little-endian, or as a 16-bit value followed by two zero
  bytes. Read big-endian as FRM-1 says, the length is above any control frame's limit:
  the client refuses it (`frame_too_large`, FRM-3, or the close). A reader that reads the
  length again in another order or width "when it is too large" goes on with the login.
* **Nothing follows the client's last frame** (FRM-1, ERR-3): a login that fails at the
  client (an EKE2 whose C2 does not open, one that is not JSON, a frame of a type no
  state allows) ends with the client's `EROR` (or a bare close) and then its FIN: no line
  end or any other byte after the `EROR`.

The EKE4 variants (after an honest EKE2 and EKE3) are `slow`: the EKE2 ones judge the
same reader.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "login-edges.bin"
_USER = "alice"
# EKE4 (after a whole honest EKE2/EKE3) as a slow variant: the EKE2 ones judge the reader.
_WHICH = ["EKE2", pytest.param("EKE4", marks=pytest.mark.slow)]


def _fail(what: str, expected: str, got: str, case: ClientCase, own: tuple[str, ...]) -> None:
    failure = ConformanceFailure.evidence(what, expected, got, note=case.describe())
    failure.violates = own
    raise failure


def _after(raw: RawConnection, view: ServerView, seen: dict[str, Any], seconds: float) -> None:
    """What the client sends next (bounded), kept in `seen["after"]`."""
    frames: list[str] = []
    deadline = deadline_after(seconds)
    for _ in range(4):  # bounded: an EROR, a frame or two, the close
        event = raw.recv_frame(deadline)
        if isinstance(event, ReceivedFrame):
            frames.append(event.type.decode("latin-1"))
            view.frames.append(event.describe(80))
            continue
        view.ended = event.describe()
        break
    seen["after"] = frames


def _honest_eke2(
    raw: RawConnection, view: ServerView, pw: bytes
) -> tuple[eke.ServerHandshake, dict[str, Any]] | None:
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return None
    server = eke.ServerHandshake(pw=pw)
    try:
        return server, server.on_eke1(event.json() or {})
    except eke.EkeError:
        return None


def _to_eke4(
    raw: RawConnection, view: ServerView, pw: bytes
) -> tuple[eke.ServerHandshake, dict[str, Any]] | None:
    """An honest EKE2, the client's EKE3 verified; the EKE4 payload, not sent."""
    got = _honest_eke2(raw, view, pw)
    if got is None:
        return None
    server, eke2 = got
    raw.send_frame(b"EKE2", eke2)
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
        return None
    try:
        return server, server.on_eke3(event.json() or {})
    except eke.EkeError:
        return None


def _login_frame(raw: RawConnection, view: ServerView, pw: bytes, which: str) -> bytes | None:
    """Runs the login up to `which` (EKE2 or EKE4) and returns that frame's honest payload."""
    if which == "EKE2":
        got = _honest_eke2(raw, view, pw)
    else:
        got = _to_eke4(raw, view, pw)
    if got is None:
        return None
    return control(got[1])


# -- FRM-7: a login frame cut by the server's FIN -----------------------------------------


def _cut(pw: bytes, which: str, missing: int, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        payload = _login_frame(raw, view, pw, which)
        if payload is None:
            return
        header = which.encode() + (len(payload) + missing).to_bytes(4, "big")
        raw.send_raw(header + payload)
        seen["sent"] = True
        try:
            raw.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        _after(raw, view, seen, _TIMEOUT)

    return behaviour


@pytest.mark.req("FRM-7")
@pytest.mark.parametrize("missing", [7])
@pytest.mark.parametrize("which", _WHICH)
def test_client_takes_no_login_frame_cut_by_the_close(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, which: str, missing: int
) -> None:
    """`which` announces `missing` bytes more than its whole JSON, then the server's FIN:
    no EKE3 (no record after a cut EKE4), and the get fails."""
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _cut(eke_pw(_USER, password), which, missing, seen),
        name=_NAME,
        password=password,
        user=_USER,
    )
    if not seen.get("sent"):
        pytest.skip(f"the login did not reach {which} (judged elsewhere): {case.describe()}")
    after = seen.get("after", [])
    went_on = [t for t in after if t in ("EKE3", "RECD")]
    if went_on or case.result.succeeded:
        _fail(
            f"{which} whose header announces {missing} byte(s) more than its payload, then "
            "the server's FIN",
            "a failed connection: no EKE3 / record after it, the get fails",
            f"the client then sent {after}; {case.result.describe()}",
            case,
            ("FRM-7",),
        )


# -- FRM-1: the length read in one order and width -----------------------------------------


def _length_field(kind: str, length: int) -> bytes:
    if kind == "little-endian":
        return length.to_bytes(4, "little")
    return length.to_bytes(2, "big") + b"\x00\x00"  # a 16-bit length, two zero bytes


def _other_order(pw: bytes, which: str, kind: str, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        payload = _login_frame(raw, view, pw, which)
        if payload is None:
            return
        field = _length_field(kind, len(payload))
        seen["announced"] = int.from_bytes(field, "big")
        raw.send_raw(which.encode() + field + payload)
        seen["sent"] = True
        _after(raw, view, seen, _TIMEOUT)

    return behaviour


@pytest.mark.req("FRM-1")
@pytest.mark.parametrize("kind", ["little-endian", "u16-then-zeros"])
@pytest.mark.parametrize("which", _WHICH)
def test_client_reads_a_login_length_big_endian_only(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, which: str, kind: str
) -> None:
    """`which` with its length field written `kind`: read as a 32-bit big-endian length it
    is far above the control limit; the client never goes on with the login."""
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _other_order(eke_pw(_USER, password), which, kind, seen),
        name=_NAME,
        password=password,
        user=_USER,
    )
    if not seen.get("sent"):
        pytest.skip(f"the login did not reach {which} (judged elsewhere): {case.describe()}")
    after = seen.get("after", [])
    went_on = [t for t in after if t in ("EKE3", "RECD")]
    if went_on or case.result.succeeded:
        _fail(
            f"{which} whose length field is written {kind} (read big-endian: "
            f"{seen.get('announced')} bytes)",
            "frame_too_large (or a close): the length is read in one order and width only",
            f"the client then sent {after}; {case.result.describe()}",
            case,
            ("FRM-1",),
        )


# -- FRM-1 (sender): nothing after the client's last frame -----------------------------------


def _failing_eke2(pw: bytes, kind: str, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _honest_eke2(raw, view, pw)
        if got is None:
            return
        _server, eke2 = got
        if kind == "c2-does-not-open":
            c = bytearray(bytes.fromhex(eke2["c"]))
            c[-1] ^= 0x01
            raw.send_frame(b"EKE2", {"b": eke2["b"], "c": bytes(c).hex()})
        elif kind == "not-json":
            raw.send_frame(b"EKE2", b'{"b": "' + eke2["b"].encode() + b'", "c": ')
        else:  # a frame no login state allows
            raw.send_frame(b"RSFL", {"name": _NAME, "size": 1})
        seen["sent"] = True
        event = raw.recv_frame(deadline_after(_TIMEOUT))
        seen["first"] = event
        if isinstance(event, ReceivedFrame):
            view.frames.append(event.describe(80))
            event = raw.recv_frame(deadline_after(_TIMEOUT))
        seen["then"] = event
        view.ended = event.describe()

    return behaviour


@pytest.mark.req("FRM-1")
@pytest.mark.parametrize("kind", ["c2-does-not-open", "not-json", "unexpected-type"])
def test_client_writes_nothing_after_its_login_eror(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """A login the client refuses (`kind`): its EROR (if any) is the last thing it
    writes: then its FIN, not a line end nor any other byte."""
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _failing_eke2(eke_pw(_USER, password), kind, seen),
        name=_NAME,
        password=password,
        user=_USER,
    )
    if not seen.get("sent"):
        pytest.skip(f"the login did not reach EKE2 (judged elsewhere): {case.describe()}")
    first, then = seen.get("first"), seen.get("then")
    if isinstance(first, Closed) and first.partial:
        _fail(
            f"the client's answer to an EKE2 it refuses ({kind})",
            "an EROR frame (or a bare close)",
            f"{len(first.partial)} byte(s) that are no frame, then {first.describe()}: "
            f"{first.partial[:40]!r}",
            case,
            ("FRM-1",),
        )
    if not isinstance(first, ReceivedFrame) or first.type != b"EROR":
        return  # a close without EROR, or another frame: judged by the login cases
    if isinstance(then, ReceivedFrame) or (isinstance(then, Closed) and then.partial):
        shown = then.describe() if isinstance(then, ReceivedFrame) else repr(then.partial[:40])
        _fail(
            f"what follows the client's EROR after an EKE2 it refuses ({kind})",
            "the close at once: nothing after the EROR, not a line end",
            f"{shown} after {first.describe(80)}",
            case,
            ("FRM-1",),
        )
