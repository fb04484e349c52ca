"""PWF-1: a password file the eke client under test MUST refuse is never used.
Could move into test_eke_client_password_file.py.

That file judges the refusals by the login: a client that keeps a lone CR at the end
(or reads an empty file as an empty password) logs in with a wrong password and fails,
which looks like a refusal. Here the client is pointed at the suite's own listener,
which only watches: a client that refused the file (PWF-1) never sends `EKE1`; one that
sends `EKE1` has taken a password from the file, whatever it was. (Connecting and then
giving up is allowed: only the `EKE1` shows a password in use.)

Files: a lone CR at the end, a CR inside, an empty file, a file holding only LF or only
CRLF (empty once the line ending goes), and bytes that are not UTF-8.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_template,
    client_user,
    run_client,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, deadline_after

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

_TIMEOUT = 5.0
_PASSWORD = "pwf-r2-" + secrets.token_hex(6)

_FILES = {
    "lone-cr-at-the-end": (_PASSWORD + "\r").encode(),
    "cr-inside": (_PASSWORD[:4] + "\r" + _PASSWORD[4:] + "\n").encode(),
    "empty-file": b"",
    "lf-only": b"\n",
    "crlf-only": b"\r\n",
    "not-utf-8": _PASSWORD.encode() + b"\xff\xfe\n",
}


def _watch(raw: RawConnection, view: ServerView) -> None:
    """Read the client's first frame (bounded), answer nothing, close."""
    event = raw.recv_frame(deadline_after(_TIMEOUT))
    if isinstance(event, ReceivedFrame):
        view.frames.append(event.type.decode("ascii", "replace"))
    view.ended = event.describe()
    raw.close()


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", sorted(_FILES))
def test_initiator_never_uses_a_password_file_it_must_refuse(
    eke_target: Target, tmp_path: Path, label: str
) -> None:
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    template = client_template(eke_target)
    if "{password_file}" not in template:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_bytes(_FILES[label])
    outdir = tmp_path / "out"
    outdir.mkdir()
    with HostileEkeServer(_watch, timeout=_TIMEOUT, accept_timeout=3 * _TIMEOUT) as server:
        result = run_client(
            template,
            host=server.host,
            port=server.port,
            name="hello.txt",
            out=outdir / "received.bin",
            user=client_user(eke_target),
            password_file=password_file,
            timeout=6 * _TIMEOUT,
            success=eke_target.client_success if eke_target.client_cmd else None,
        )
    server.check()
    if server.view.saw("EKE1") or result.succeeded:
        raise ConformanceFailure.evidence(
            f"PWF-1: the client was given a password file that must be refused ({label}: "
            f"{_FILES[label][-12:]!r} at its end)",
            "the file refused with an error: no EKE1 sent (no password taken from it), "
            "non-zero exit",
            f"the suite's listener saw {server.view.frames or 'no frame'}; {result.describe()}",
        )
