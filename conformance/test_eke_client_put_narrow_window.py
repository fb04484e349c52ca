"""An sft-eke/1 CLIENT's put reaches a responder whose receive window is narrow (SPEC APP-PUT-4,
EKE-REC-1).

TCP owes a sender nothing about how much one write takes: a `send()` on a socket with a
timeout (non-blocking underneath) copies what fits in the send buffer and returns the count,
which may be less than asked when the receiver drains slowly. A client that writes each
1 MiB DATA record with one `send()` and does not look at the count (control frames with
`sendall`) loses the rest of the record whenever that happens, and its record stream is
corrupt from there on. On a loopback socket with default buffers a whole record always fits,
so an honest-looking put never shows it.

The suite plays an honest responder whose listening socket has a 4 KiB receive buffer (a
narrow window, as a busy or distant host gives), accepts a put of 8 MiB + 1 byte (9 DATA
records, the last one 1 byte), reads nothing for half a second (the client's send buffer
fills, so its writes then take only the room that is free) and then reads as fast as it
can. The put MUST arrive whole: exactly the file's bytes in DATA frames, then the right
DONE, answered with the receipt `DONE`, and the run reports success. A client that drops
part of a record sends a stream whose next record fails to authenticate, and the put fails.
(Writes of 64 KiB steps by Python's `send()` with a timeout always fit whole — it waits for
POLLOUT, which comes with far more room — so this shape shows whole 1 MiB records sent by
one unchecked write; with plain non-blocking writes smaller ones can be cut too.)
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import sys
import time
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    deadline_after,
)
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

MIB = 1 << 20
CONTENT = bytes(range(251)) * ((8 * MIB + 1) // 251) + b"\x00" * ((8 * MIB + 1) % 251)
_RCVBUF = 4096
_HOLD = 0.5  # seconds the responder reads nothing after its acceptance
_READ_TIMEOUT = 10.0
_RUN_TIMEOUT = 60.0


def _put_template(target: Target) -> str:
    if target.client_put_cmd:
        return target.client_put_cmd
    if not target.embedded:
        pytest.skip("testing an initiator's put needs client_put_cmd (--client-put-cmd)")
    return (
        f"{sys.executable} -m reference eke put {{host}}:{{port}} {{file}} --as {{name}} "
        "--user {user} --password-file {password_file} --quiet "
        "--connect-timeout 5 --handshake-timeout 5"
    )


@pytest.mark.slow  # its mutant is caught only on a loaded machine (mutants_blind21b_client.py)
@pytest.mark.req("APP-PUT-4")
def test_client_put_arrives_whole_through_a_narrow_window(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A put of 8 MiB + 1 byte to an honest responder with a 4 KiB receive buffer (see the
    module docstring): every byte arrives in DATA frames, DONE is right, the run succeeds."""
    assert len(CONTENT) == 8 * MIB + 1
    template = _put_template(eke_target)
    user, password = client_user(eke_target), fresh_password()
    secret = tmp_path / f"secret-{secrets.token_hex(3)}"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    source = tmp_path / "outgoing.bin"
    source.write_bytes(CONTENT)
    name = f"put-{secrets.token_hex(4)}.bin"
    pw = eke_pw(user, password)
    seen: dict[str, str] = {}
    received = hashlib.sha256()
    count = 0

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        nonlocal count
        channel = establish(raw, view, pw, _READ_TIMEOUT)
        if channel is None:
            seen["ended"] = f"handshake did not complete: {view.frames} {view.ended}"
            return
        offer = channel.recv_frame(deadline_after(_READ_TIMEOUT))
        if not isinstance(offer, ReceivedFrame) or offer.type != b"PUTF":
            seen["ended"] = f"no PUTF: {offer.describe()}"
            return
        channel.send_frame("RSFL", {"accept": True, "name": name})
        # A responder that reads nothing for a moment (a busy disk): the client's send
        # buffer fills, and its writes then take only what is free. Flow shaping, not a
        # synchronisation: a conforming client's outcome does not depend on it.
        time.sleep(_HOLD)
        for _ in range(len(CONTENT) // 1024 + 64):  # bounded: DATA frames of >= 1 KiB
            event = channel.recv_frame(deadline_after(_READ_TIMEOUT))
            if not isinstance(event, ReceivedFrame):
                seen["ended"] = f"after {count} bytes: {event.describe()}"
                return
            if event.type == b"DATA":
                received.update(event.payload)
                count += len(event.payload)
                continue
            if event.type != b"DONE":
                seen["ended"] = f"after {count} bytes: {event.describe(80)}"
                return
            done = event.json() or {}
            seen["done"] = event.describe(120)
            if done.get("size") == count and done.get("sha256") == received.hexdigest():
                channel.send_frame("DONE", {"size": count, "sha256": received.hexdigest()})
                channel.recv_frame(deadline_after(_READ_TIMEOUT))  # BYE_ or close: not judged
            return

    with HostileEkeServer(
        behaviour, timeout=_READ_TIMEOUT, accept_timeout=_RUN_TIMEOUT
    ) as server:
        # Accepted sockets inherit the listener's receive buffer: a narrow window.
        server._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        launch = client_launch(
            template,
            {
                "host": server.host,
                "port": str(server.port),
                "file": str(source),
                "name": name,
                "user": user,
                "password_file": str(password_file),
            },
            stdin_template=eke_target.client_stdin if eke_target.client_put_cmd else None,
            success="exit",
        )
        run = run_client(launch, timeout=_RUN_TIMEOUT)
    if server.view.transcript is not None:
        transcripts.add(server.view.transcript)
    whole = count == len(CONTENT) and received.hexdigest() == hashlib.sha256(CONTENT).hexdigest()
    if not (whole and "done" in seen and run.succeeded):
        raise ConformanceFailure.evidence(
            f"APP-PUT-4: a put of {len(CONTENT)} bytes to an honest responder whose receive "
            f"buffer is {_RCVBUF} bytes",
            "every byte in DATA frames, the right DONE, the run reports success",
            f"the responder got {count} bytes ({'the file' if whole else 'not the file'}); "
            f"DONE: {seen.get('done', 'none')}; {seen.get('ended', '')}; client "
            f"{run.describe()}; stderr: {run.stderr.strip()[-300:]}",
        )
