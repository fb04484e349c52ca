"""An sft-eke/1 CLIENT whose put lost its connection before the receipt reports it failed,
whatever a later connection says (SPEC APP-PUT-10).

APP-PUT-10: "An EROR ... or the end of the connection in place of the responder's DONE
MUST be reported as a failure, never as success", and a non-fatal refusal (`exists`) of a
PUTF "MUST [be reported] failed". A client MAY try a lost put again on a new connection;
the slip is in reading the retry's answer with the first attempt in mind: `exists` there
looks like proof that the first attempt was stored ("the server has it: done"). It proves
nothing of the kind — the name may hold another initiator's file, or an older one — and
the client never saw a DONE for its bytes.

The suite's responder accepts the client's first put, reads every DATA and its DONE, then
closes without answering; any further connection of the client (a retry) is answered
honestly up to its PUTF, which is refused `exists`. The client must end with a non-zero
exit status.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_client_put as puts
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
    control,
    deadline_after,
)
from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 4000
_CONNECTIONS = 4  # the first put and up to three retries, each bounded


def _put_login(eke_target: Target, tmp_path: Path) -> tuple[str, str, Path, bytes]:
    """A fresh name to put under and a fresh login for the client: the name, the user,
    the password file (in a 0700 directory, mode 0600) and the password key."""
    name = f"put-{secrets.token_hex(4)}.bin"
    user, password = client_user(eke_target), fresh_password()
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    pw = eke_pw(user, password)
    return name, user, password_file, pw


def _run_put(
    eke_target: Target,
    transcripts: TranscriptBook,
    template: str,
    source: Path,
    login: tuple[str, str, Path],
    behaviour: Callable[[RawConnection, ServerView], None],
    notes: list[str],
    connections: int = _CONNECTIONS,
) -> ClientRun:
    """Runs the client's put of `source` (`login`: name, user, password file) against the
    kit's `behaviour` on up to `connections` connections; keeps every transcript. An error
    (not a verdict) unless the first connection's put was accepted (`notes[0]`)."""
    name, user, password_file = login
    with HostileEkeServer(
        behaviour,
        timeout=puts.READ_TIMEOUT,
        accept_timeout=puts.RUN_TIMEOUT,
        connections=connections,
    ) as server:
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
        run = run_client(launch, timeout=puts.RUN_TIMEOUT)
    for transcript in [server.view.transcript, *server.later_transcripts]:
        if transcript is not None:
            transcripts.add(transcript)
    server.check()
    if not notes or not notes[0].startswith("#1: accepted"):
        raise RuntimeError(f"the client's put did not reach the suite: {notes} {run.describe()}")
    return run


@pytest.mark.req("APP-PUT-10")
def test_initiator_put_whose_receipt_was_lost_is_not_made_good_by_exists(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """First connection: the put's DONE is answered by a close. Later connections: the
    PUTF is refused `exists`. The client reports the put failed (non-zero exit)."""
    template = puts._put_template(eke_target, tmp_path)
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    source = srcdir / "outgoing.bin"
    source.write_bytes(puts._content(_SIZE))
    name, user, password_file, pw = _put_login(eke_target, tmp_path)
    notes: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        attempt = len(notes) + 1
        channel = establish(raw, view, pw, puts.READ_TIMEOUT)
        if channel is None:
            notes.append(f"#{attempt}: no handshake")
            return
        first = channel.recv_frame(deadline_after(puts.READ_TIMEOUT))
        if not isinstance(first, ReceivedFrame) or first.type != b"PUTF":
            notes.append(f"#{attempt}: no PUTF ({first.describe()})")
            return
        offered = str((first.json() or {}).get("name", name))
        if attempt > 1:
            refusal = {"code": 12, "name": "exists", "message": "suite: the name exists"}
            channel.send_frame("EROR", control(refusal))
            notes.append(f"#{attempt}: PUTF answered exists")
            channel.recv_frame(deadline_after(puts.AFTER_WAIT))  # BYE_ or the close
            return
        channel.send_frame("RSFL", puts._accept(offered))
        for _ in range(puts.MAX_FRAMES):
            frame = channel.recv_frame(deadline_after(puts.READ_TIMEOUT))
            if not isinstance(frame, ReceivedFrame) or frame.type != b"DATA":
                break
        else:
            frame = None
        got_done = isinstance(frame, ReceivedFrame) and frame.type == b"DONE"
        notes.append(f"#1: accepted, {'DONE read' if got_done else 'no DONE'}, closed unanswered")
        raw.close()

    run = _run_put(
        eke_target, transcripts, template, source, (name, user, password_file), behaviour, notes
    )
    if run.succeeded or run.timed_out:
        failure = ConformanceFailure.evidence(
            "APP-PUT-10: the put's DONE was answered by a close; a later connection's PUTF "
            "by EROR exists",
            "the client reports the put failed (non-zero exit): no DONE ever answered it",
            f"the client {run.success_evidence()}",
            note=f"responder: {'; '.join(notes)}",
        )
        failure.violates = ("APP-PUT-10",)
        raise failure
