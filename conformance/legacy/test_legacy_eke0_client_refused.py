"""Profile eke-legacy: the sft-eke/0 client whose login is refused (docs/SPEC.md §7.3.3).

Row 4 of the table: the server answers the password (message 3) with `Authenticated`, or
`Not Authenticated` and waits for message 1 again. test_legacy_eke0.py's client cases
run the client against a server that always answers `Authenticated`; nothing there says
what the client does with the other answer. A client can test the answer loosely and
take the refusal for a success: `strstr(answer, "Authenticated")`, `contains`,
`endswith`, a comparison of the last 13 bytes, an `if answer:` — `Not Authenticated`
contains `Authenticated`. It then goes on with message 5 (its `p`), 7 and 9 — message 9
being `hide(g^Xa mod p)`, a password-derived value sent to a server that has just said
the password is wrong. LEG-EKE-FMT-1: the client's messages MUST follow the order of the
table, and after `Not Authenticated` the next client message is message 1 (a new login;
the seed's client loops back to its user name) or none (it gives up and closes).

The suite's server answers `u_ack` to message 1 and `Not Authenticated` to message 3, each
in one write, then listens for the client's next message for a bounded time and closes.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.legacy.client_run import run_eke0_client
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the suite's server listens, after `Not Authenticated`, for the client's next
# message: far longer than a client that goes on needs to send message 5 (it sends it as
# soon as it has read the answer); a client silent that long has not gone on. A bound on
# a wait, not a synchronisation: the verdict is what arrived, never when.
LISTEN = 3.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@dataclass
class _Log:
    got: dict[int, bytes] = field(default_factory=dict)
    after: bytes = b""  # what the client sent after `Not Authenticated` (b"": nothing)
    ended: str = ""  # how the listening ended: "closed", "silent", or the error
    error: str = ""


def _segment(conn: socket.socket) -> bytes:
    data = conn.recv(1024)
    if not data:
        raise ConnectionError("the client closed")
    return data


def _serve_refusal(listener: socket.socket) -> _Log:
    """One eke/0 server session by rows 1-4 of the table: `u_ack`, `Not Authenticated`;
    then what the client sends next, within LISTEN seconds."""
    log = _Log()
    try:
        conn, _ = listener.accept()
    except OSError as exc:
        log.error = f"the client never connected ({exc})"
        return log
    with conn:
        try:
            conn.settimeout(10)
            log.got[1] = _segment(conn)
            conn.sendall(b"u_ack")
            log.got[3] = _segment(conn)
            conn.sendall(b"Not Authenticated")
        except OSError as exc:
            log.error = f"{type(exc).__name__}: {exc}"
            return log
        conn.settimeout(LISTEN)
        try:
            log.after = conn.recv(1024)
            log.ended = "sent" if log.after else "closed"
        except TimeoutError:
            log.ended = "silent"
        except OSError as exc:
            log.ended = f"{type(exc).__name__}: {exc}"
    return log


@pytest.mark.req("LEG-EKE-FMT-1")
def test_a_refused_login_is_not_taken_for_a_success(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    served, done, saved = run_eke0_client(eke_legacy, tmp_path, _serve_refusal, serve_extra=LISTEN)
    log = served or _Log(error="the suite's server did not finish")
    if 3 not in log.got:
        # Out of turn or no message 3 at all: the format cases judge it (client_turns).
        pytest.skip(
            f"the client sent no password (message 3) the suite's server could read: "
            f"{log.error or 'no error'}; the client {done.describe()}; "
            f"stderr: {done.stderr[-400:]!r} (the format cases judge it)"
        )
    user = eke_legacy.user.encode()
    if log.ended != "sent" or log.after.startswith(user):
        return  # it gave up (closed, or sent nothing), or began a new login: row 1
    what = "message 5's p" if log.after.isdigit() else "not its user name (message 1)"
    _fail(
        "LEG-EKE-FMT-1 (the client's messages follow the table: after 'Not Authenticated' "
        "its next message is a new login, message 1, or none)",
        f"the suite's server answered message 3 with 'Not Authenticated' (in one write); "
        f"the client then sent {log.after[:60]!r} ({hexdump(log.after, 16)}: {what}), "
        f"going on with the exchange as if it were authenticated; the client "
        f"{done.success_evidence()} and "
        + ("saved nothing" if saved is None else f"left {len(saved)} bytes"),
    )
