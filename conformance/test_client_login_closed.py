"""LIM-9: an sft-eke/1 CLIENT whose login the server ends by closing the connection says
that the server closed it (or that it is busy) — for a FIN (MUST) and for a reset
(SHOULD), not a bare transport error.

"A client refused this way [a responder closing a pending handshake to admit a new
connection], or with `EROR busy`, fails and says so: a close (FIN) during its login MUST
be reported as the server closing the connection …, and a reset SHOULD be reported the
same way … rather than as a bare transport error". A server evicting a pending login
closes it without a word; when the client's EKE1 is still unread in the server's socket
(it had not got to it), that close is a TCP reset, not a FIN. A client that lets
ECONNRESET through as "connection lost: [Errno 104] Connection reset by peer" (or "read
tcp …: connection reset by peer") tells its user nothing they can act on.

The suite's server reads the client's EKE1 (or lets it arrive and leaves it unread),
then closes: with a FIN, or with a reset (SO_LINGER 0); every connection the client
makes is met the same way (a client MAY retry). The client must fail, and its output
must say the server is busy or that the server closed the connection (its message holds
"busy", or "server" and "clos"; any case). The reset variants are SHOULDs (judged FAIL
with --strict only).
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from conformance.eke_hostile import ServerView, read_frame, run_case
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

_TIMEOUT = 3.0
_CONNECTIONS = 6  # a client that retries meets the same close each time


def _said_so(text: str) -> bool:
    """The server named as the one that ended the login, or said to be busy."""
    lowered = text.lower()
    return "busy" in lowered or ("server" in lowered and "clos" in lowered)


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("fin-after-eke1", marks=pytest.mark.req("LIM-9")),
        pytest.param("reset-after-eke1", marks=pytest.mark.req("LIM-9", level="SHOULD")),
        pytest.param("reset-unread", marks=pytest.mark.req("LIM-9", level="SHOULD")),
    ],
)
def test_client_reports_a_login_closed_by_the_server_as_such(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        if ending == "reset-unread":
            # Its EKE1 arrives and stays unread (a server that had not got to it).
            raw.sock.settimeout(_TIMEOUT)
            try:
                if not raw.sock.recv(1, socket.MSG_PEEK):
                    return
            except OSError:
                return
        elif not isinstance(read_frame(raw, view, _TIMEOUT), ReceivedFrame):
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
        timeout=_TIMEOUT,
        connections=_CONNECTIONS,
    )
    said = f"{case.result.stdout}\n{case.result.stderr}"
    if case.result.succeeded or case.result.returncode is None:
        raise ConformanceFailure(
            f"LIM-9: every login was closed by the server ({ending}); the client must "
            f"fail and say so\n{case.describe()}"
        )
    if not _said_so(said):
        raise ConformanceFailure.evidence(
            f"every connection of the client was closed by the server during the login "
            f"({ending.replace('-', ' ')}: "
            + ("a TCP reset" if ending.startswith("reset") else "a FIN")
            + "), as a server evicting pending logins does (LIM-9)",
            "the client fails and says that the server closed the connection, or that it is "
            'busy ("server busy?"), not a bare transport error',
            f"exit {case.result.returncode}; its output: {said.strip()[-400:]!r}",
        )
