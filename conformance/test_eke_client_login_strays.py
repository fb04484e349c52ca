"""What an sft-eke/1 CLIENT's login reader must not forgive, and must not refuse (SPEC FRM-1,
FRM-10).

The suite plays a server that knows the password. Two things its own server never shows
a client's implementer (an implementation tested against its own other half passes them):

* [FRM-1] The byte after a frame's payload is the first byte of the next header: a
  receiver MUST NOT skip line ends, NUL padding or white space between frames. The
  server sends an honest EKE2 followed, in the same write, by CRLF (or a NUL, or a
  space); then, after the client's EKE3, an honest EKE4. Read as FRM-1 says, the stray
  bytes begin the next header, whose type is then not 4 bytes of A–Z 0–9 _: the login
  fails (`bad_frame`, or a close) and no record follows. A reader that skips them (a
  line-protocol habit) logs in.
* [FRM-10] Members a control object's schema does not define are ignored — in a login
  `EROR` too. The server answers EKE1 with `EROR auth_failed` (or `throttled` with its
  `retry_after`) carrying extra members (`detail`, `trace_id`, an object). The `EROR` is
  well-formed and fatal: the client closes, its login failed; answering it `EROR
  bad_frame` (a strict decoder that denies unknown fields) is refusing a frame FRM-10 says
  to accept (ERR-8's leave to answer `bad_frame` is for a malformed `EROR` only).
"""

from __future__ import annotations

import secrets
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
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "login-strays.bin"
_USER = "alice"


def _fail(what: str, expected: str, got: str, case: ClientCase, own: tuple[str, ...]) -> None:
    failure = ConformanceFailure.evidence(what, expected, got, note=case.describe())
    failure.violates = own
    raise failure


def _after(raw: RawConnection, view: ServerView, seen: dict[str, Any], seconds: float) -> None:
    """What the client sends next (bounded: a few frames, then the close)."""
    frames: list[ReceivedFrame] = []
    deadline = deadline_after(seconds)
    for _ in range(4):
        event = raw.recv_frame(deadline)
        if isinstance(event, ReceivedFrame):
            frames.append(event)
            view.frames.append(event.describe(80))
            continue
        view.ended = event.describe()
        break
    seen["after"] = frames


# -- FRM-1: no byte between two login frames is skipped --------------------------------------

_STRAYS = {"crlf": b"\r\n", "nul": b"\x00", "space": b" "}


def _stray_after_eke2(pw: bytes, stray: bytes, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        try:
            eke2 = server.on_eke1(event.json() or {})
        except eke.EkeError:
            return
        raw.send_raw(frame_bytes("EKE2", control(eke2)) + stray)
        seen["sent"] = True
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            seen["after"] = [event] if isinstance(event, ReceivedFrame) else []
            return  # it refused the EKE2 or its stray bytes at once: no login
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return  # its EKE3 does not verify: judged by the login cases
        raw.send_frame(b"EKE4", eke4)
        seen["eke4"] = True
        _after(raw, view, seen, _TIMEOUT)

    return behaviour


@pytest.mark.req("FRM-1")
@pytest.mark.parametrize(
    "stray", ["crlf", pytest.param("nul", marks=pytest.mark.slow), "space"]
)
def test_client_skips_no_byte_between_login_frames(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    stray: str,
    request: pytest.FixtureRequest,
) -> None:
    """An honest EKE2 followed by {stray}, then (after EKE3) an honest EKE4: the stray bytes
    begin the next header, so the login fails: no record, the get fails."""
    skip_slow_variant(request)
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _stray_after_eke2(eke_pw(_USER, password), _STRAYS[stray], seen),
        name=_NAME,
        password=password,
        user=_USER,
    )
    if not seen.get("sent"):
        pytest.skip(f"the login did not reach EKE2 (judged elsewhere): {case.describe()}")
    after = [f.type_text for f in seen.get("after", [])]
    if "RECD" in after or case.result.succeeded:
        _fail(
            f"an honest EKE2 followed by {_STRAYS[stray]!r}, then an honest EKE4",
            "the stray bytes read as the start of the next header: bad_frame (or a close), "
            "no record, the get fails",
            f"the client then sent {after}; {case.result.describe()}",
            case,
            ("FRM-1",),
        )


# -- FRM-10: a login EROR with members its schema does not define ------------------------------

_EXTRA: dict[str, object] = {
    "detail": "suite: an extra member",
    "trace_id": secrets.token_hex(8),
    "context": {"server": "suite", "attempt": 1},
}


def _eror_with_extras(code: int, name: str, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        body: dict[str, object] = {"code": code, "name": name, "message": "suite: refused"}
        if name == "throttled":
            body["retry_after"] = 60
        raw.send_frame(b"EROR", {**body, **_EXTRA})
        seen["sent"] = True
        _after(raw, view, seen, _TIMEOUT)

    return behaviour


@pytest.mark.req("FRM-10")
@pytest.mark.parametrize(("code", "name"), [(4, "auth_failed"), (14, "throttled")])
def test_client_ignores_unknown_members_of_a_login_error(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, code: int, name: str
) -> None:
    """EKE1 answered `EROR {name}` with members the schema does not define: a well-formed
    fatal EROR — the client closes (its login failed) and does not answer it bad_frame."""
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _eror_with_extras(code, name, seen),
        name=_NAME,
        password=password,
        user=_USER,
    )
    if not seen.get("sent"):
        pytest.skip(f"no EKE1 came (judged elsewhere): {case.describe()}")
    answers = [f for f in seen.get("after", []) if f.type == b"EROR"]
    refused = [f for f in answers if f.error_name == "bad_frame"]
    if refused or case.result.succeeded:
        _fail(
            f"EKE1 answered EROR {name} with the extra members {sorted(_EXTRA)}",
            "the EROR taken (FRM-10: unknown members ignored): the client closes, no EROR "
            "bad_frame in answer, and the get fails",
            f"the client answered {[f.describe(80) for f in answers]}; "
            f"{case.result.describe()}",
            case,
            ("FRM-10",),
        )
