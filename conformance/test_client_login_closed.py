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
from collections.abc import Callable
from pathlib import Path
from threading import Event

import pytest

from conformance.eke_hostile import ServerView, read_frame, run_case, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_hello_retry import run_against_hello_listener
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [pytest.mark.side("initiator")]

_TIMEOUT = 3.0
_CONNECTIONS = 6  # a client that retries meets the same close each time
# The initiator may retry a refused handshake for some seconds (the reference: up to 10
# times within 10 s): every one is closed the same way.
_PKI_CONNECTIONS = 64


# Who ended the login, and that it was ended, in the words a client may choose (ERR-1:
# messages are for people): "the server closed the connection", "closed by the peer",
# "the remote end hung up", "the responder terminated the login". A bare transport error
# ("[Errno 104] Connection reset by peer", "unexpected EOF", "connection closed during
# handshake") names no actor ending anything, or no ending.
_ACTORS = ("server", "responder", "peer", "remote", "other side", "other end")
_ENDED = ("clos", "hung up", "hang up", "terminat", "disconnect")


def _said_so(text: str) -> bool:
    """The server (by any name) said to have ended the login, or said to be busy."""
    lowered = text.lower()
    if "busy" in lowered:
        return True
    lowered = lowered.replace("reset by peer", "")  # the OS's words, not the client's
    return any(a in lowered for a in _ACTORS) and any(e in lowered for e in _ENDED)


@pytest.mark.xdist_group("eke-client")
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


def _close_each_handshake(ending: str) -> Callable[[socket.socket, list[bytes], Event], None]:
    """Accepts each connection, reads (or, `reset-unread`, lets arrive unread) the
    initiator's ClientHello, then closes it with a FIN or a reset."""

    def serve(listener: socket.socket, hellos: list[bytes], stop: Event) -> None:
        while not stop.is_set() and len(hellos) < _PKI_CONNECTIONS:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(_TIMEOUT)
                try:
                    flags = socket.MSG_PEEK if ending == "reset-unread" else 0
                    hellos.append(conn.recv(65536, flags))
                except OSError:
                    hellos.append(b"")
                if ending.startswith("reset"):
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return serve


@pytest.mark.profile("pki")
@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("fin-after-eke1", marks=pytest.mark.req("LIM-9", level="SHOULD")),
        pytest.param(
            "reset-after-eke1", marks=[pytest.mark.req("LIM-9", level="SHOULD"), pytest.mark.slow]
        ),
        pytest.param(
            "reset-unread", marks=[pytest.mark.req("LIM-9", level="SHOULD"), pytest.mark.slow]
        ),
    ],
)
def test_pki_initiator_reports_a_handshake_closed_by_the_responder_as_such(
    target: Target, tmp_path: Path, ending: str, request: pytest.FixtureRequest
) -> None:
    """The same for the sft-pki/1 initiator, a SHOULD (LIM-9): the responder closes each
    connection during the TLS handshake, once the ClientHello is in (read, or left
    unread: then a reset); the initiator fails and says that the responder closed the
    connection or is busy, not the TLS library's "unexpected EOF" (`ending`'s names are
    the eke variants': "eke1" is the ClientHello here)."""
    skip_slow_variant(request)  # each run waits out the initiator's retries (~10 s)
    run, _ = run_against_hello_listener(target, tmp_path, _close_each_handshake(ending), _TIMEOUT)
    said = f"{run.stdout}\n{run.stderr}"
    if run.returncode == 0 or run.timed_out:
        raise ConformanceFailure(
            f"LIM-9: every TLS handshake was closed by the responder ({ending}); the "
            f"initiator must fail and say so\n{run.describe()}"
        )
    if not _said_so(said.replace("responder", "server")):
        raise ConformanceFailure.evidence(
            "every connection of the initiator was closed by the responder during the TLS "
            f"handshake ({ending.replace('-', ' ').replace('eke1', 'the ClientHello')}), as "
            "a responder evicting pending handshakes does (LIM-9)",
            "the initiator fails and says that the responder closed the connection, or "
            "that it is busy, not a bare transport error",
            f"exit {run.returncode}; its output: {said.strip()[-400:]!r}",
        )
