"""LIM-9, late in the login: an sft-eke/1 CLIENT whose server closes the connection after
the client's EKE3 (where EKE4 is owed) says that the server closed it, not that the
server is an impostor or a bare transport error.

test_client_login_closed.py closes the login right after EKE1. A server also ends logins
later: EKE-THR-5 counts a login as pending from EKE2 on, and a responder over its limits
closes its oldest pending connections (LIM-9) — one whose EKE3 it has read included.
"A close (FIN) during its login MUST be reported as the server closing the connection"
(LIM-9). A client that maps every failure after its EKE3 to EKE-HS-7's message ("the
server failed to prove it knows the password: possible impostor") tells its user of an
attack where a busy server hung up: EKE-HS-7 is for an EKE4 that does not verify, and no
EKE4 came. (A message that says both — the server closed the connection before proving
itself — is fine.) Likewise a login that ends by the client's own handshake timeout
while EKE4 is owed is reported as a time-out (LIM-9's last sentence), slow: it waits out
the client's handshake timeout.

The suite plays an honest server up to the client's EKE3, then closes with a FIN (and,
a SHOULD, with a reset; slow), or stays silent. Every connection the client makes is met
the same way (a client MAY retry). The client must fail, and its output must say that
the server closed the connection or is busy (test_client_login_closed.py's words), or for
the silent server that it timed out.
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
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_login_closed import _said_so
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 3.0
_CONNECTIONS = 6
_SILENT = 14.0  # above the client's default handshake timeout (LIM-1's 10 s)
_TIME_WORDS = ("time", "expired", "deadline")


def _timed_out_said(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _TIME_WORDS)


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("fin-after-eke3", marks=pytest.mark.req("LIM-9")),
        pytest.param(
            "reset-after-eke3", marks=[pytest.mark.req("LIM-9", level="SHOULD"), pytest.mark.slow]
        ),
        pytest.param("silent-after-eke3", marks=[pytest.mark.req("LIM-9"), pytest.mark.slow]),
    ],
)
def test_client_reports_a_login_ended_where_eke4_is_owed_as_such(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    ending: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    reached: list[bool] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        reached.append(True)
        if ending == "silent-after-eke3":
            read_frame(raw, view, _SILENT)  # the client's close (or nothing)
            return
        if ending.startswith("reset"):
            raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.sock.close()
        view.ended = f"closed by the suite ({ending})"

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name="wanted.bin",
        password=password,
        timeout=_SILENT if ending.startswith("silent") else _TIMEOUT,
        connections=1 if ending.startswith("silent") else _CONNECTIONS,
    )
    if not reached:
        raise RuntimeError(f"the client did not send EKE3 after an honest EKE2\n{case.describe()}")
    said = f"{case.result.stdout}\n{case.result.stderr}"
    what = (
        "the server stayed silent after the client's EKE3 (EKE4 owed)"
        if ending.startswith("silent")
        else f"the server closed every login after the client's EKE3 ({ending}: "
        + ("a TCP reset" if ending.startswith("reset") else "a FIN")
        + "), as a server closing its oldest pending logins does (LIM-9)"
    )
    if case.result.succeeded or case.result.returncode is None:
        raise ConformanceFailure(
            f"LIM-9: {what}; the client must fail and say so\n{case.describe()}"
        )
    ok = _timed_out_said(said) if ending.startswith("silent") else _said_so(said)
    if not ok:
        raise ConformanceFailure.evidence(
            what,
            "the client fails and says that it timed out"
            if ending.startswith("silent")
            else "the client fails and says that the server closed the connection (or is "
            "busy) — not that the server failed to prove it knows the password (no EKE4 "
            "came), nor a bare transport error",
            f"exit {case.result.returncode}; its output: {said.strip()[-400:]!r}",
        )
