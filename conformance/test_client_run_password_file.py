"""PWF-1: the eke client under test and a password file its user got wrong or that holds
an unusual character (docs/SPEC.md §0 PWF-1, EKE-PW-1).

test_eke_client_password_file.py judges files the client can read. Here:

- `{password_file}` names something the client cannot read as a password file — a
  directory, a path where nothing is, a dangling symbolic link: there is no first line,
  so there is no password to use. The client is pointed at the suite's own listener,
  which only watches: a client that sends `EKE1` has taken a password from somewhere
  (the empty one, a default, an environment variable) and logged in with it; it MUST
  refuse instead (no `EKE1`) and fail (non-zero exit) [PWF-1]. A client that reads an
  unreadable file as "no password" logs in with the empty password, which PWF-1 refuses
  even when a file holds it;
- the password holds NUL (U+0000): valid UTF-8 text, and nothing of it may be dropped.
  The suite plays the server holding pw derived from the whole password; a client that
  sends `EKE1` MUST then complete the login and the get (it used the file's line), and a
  client that logs in with another password (the part before the NUL, as a C string
  reader does) fails the server's confirmation: it sent EKE1 but no valid EKE3 [PWF-1].
  A client that refuses such a file before connecting is not judged here.

Skipped for an interactive client (`--client-stdin`: it is typed its password) and for a
command without `{password_file}`. Fixtures (conformance/plugin.py): `eke_target`,
`tmp_path`, `transcripts`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_template,
    client_user,
    eke_pw,
    read_frame,
    run_client,
    serve_records,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("eke"), pytest.mark.side("initiator")]

_TIMEOUT = 5.0
_NAME = "offered.txt"
_CONTENT = b"served once the whole password (NUL included) logged in\n"


def _template(target: Target) -> str:
    if target.client_cmd and target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    template = client_template(target)
    if "{password_file}" not in template:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    return template


def _watch(raw: RawConnection, view: ServerView) -> None:
    """Read the client's first frame (bounded), answer nothing, close."""
    event = raw.recv_frame(deadline_after(_TIMEOUT))
    if isinstance(event, ReceivedFrame):
        view.frames.append(event.type.decode("ascii", "replace"))
    view.ended = event.describe()
    raw.close()


def _unreadable(kind: str, secret: Path) -> Path:
    """A `{password_file}` path that holds no readable file."""
    if kind == "directory":
        path = secret / "client.password"
        path.mkdir(mode=0o700)
        (path / "password").write_text("not-this-one-either\n")
        return path
    if kind == "absent":
        return secret / "no-such.password"
    path = secret / "dangling.password"
    path.symlink_to(secret / "gone.password")
    return path


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("kind", ["absent", "dangling-symlink", "directory"])
def test_initiator_never_logs_in_without_a_readable_password_file(
    eke_target: Target, tmp_path: Path, kind: str
) -> None:
    template = _template(eke_target)
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = _unreadable(kind, secret)
    outdir = tmp_path / "out"
    outdir.mkdir()
    with HostileEkeServer(_watch, timeout=_TIMEOUT, accept_timeout=3 * _TIMEOUT) as server:
        result = run_client(
            template,
            host=server.host,
            port=server.port,
            name=_NAME,
            out=outdir / "received.bin",
            user=client_user(eke_target),
            password_file=password_file,
            timeout=6 * _TIMEOUT,
            success=eke_target.client_success if eke_target.client_cmd else None,
        )
    server.check()
    if server.view.saw("EKE1") or result.succeeded:
        raise ConformanceFailure.evidence(
            f"PWF-1: the client's {{password_file}} is {kind.replace('-', ' ')} (no file to "
            "read a password from)",
            "the run refused: no EKE1 sent (no password used), non-zero exit",
            f"the suite's listener saw {server.view.frames or 'no frame'}; {result.describe()}",
        )


_NUL_PASSWORDS = {
    "nul-inside": "nul-" + secrets.token_hex(4) + "\x00" + secrets.token_hex(4),
    "nul-at-the-end": "nul-end-" + secrets.token_hex(4) + "\x00",
}


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", sorted(_NUL_PASSWORDS))
def test_initiator_logs_in_with_a_password_holding_nul_whole(
    eke_target: Target, tmp_path: Path, label: str
) -> None:
    template = _template(eke_target)
    password = _NUL_PASSWORDS[label]
    user = client_user(eke_target)
    pw = eke_pw(user, password)
    seen: dict[str, str] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame):
            seen["login"] = f"no EKE3 but {event.describe()}"
            return
        if event.type != b"EKE3":
            seen["login"] = f"no EKE3 but {event.describe(120)}"
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            seen["login"] = f"an EKE3 that fails to verify under the whole password ({exc})"
            return
        seen["login"] = "ok"
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        serve_records(channel, view, {_NAME: _CONTENT}, _TIMEOUT)

    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_bytes((password + "\n").encode("utf-8"))
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"
    with HostileEkeServer(behaviour, timeout=_TIMEOUT, accept_timeout=3 * _TIMEOUT) as server:
        result = run_client(
            template,
            host=server.host,
            port=server.port,
            name=_NAME,
            out=out,
            user=user,
            password_file=password_file,
            timeout=6 * _TIMEOUT,
            success=eke_target.client_success if eke_target.client_cmd else None,
        )
    server.check()
    if not server.view.saw("EKE1"):
        return  # the file refused before any password was used: not judged here
    if seen.get("login") != "ok":
        raise ConformanceFailure.evidence(
            f"PWF-1: a password file holding {password.encode('utf-8')!r} + LF ({label}), the "
            "server deriving pw from the whole line",
            "a client that logs in uses every character of the line: the login completes",
            f"the client sent EKE1, then {seen.get('login', 'nothing')}: it logged in with "
            f"another password; {result.describe()}",
            note=f"server saw {server.view.frames}",
        )
    if not (result.succeeded and out.exists() and out.read_bytes() == _CONTENT):
        raise ConformanceFailure.evidence(
            f"PWF-1: a password file holding {password.encode('utf-8')!r} + LF ({label})",
            "the login and the get complete",
            f"the login completed, the get did not: {result.describe()}",
            note=f"server saw {server.view.frames} / {server.view.inner}",
        )
