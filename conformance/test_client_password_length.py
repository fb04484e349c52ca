"""PWF-1: the eke client uses ALL of a long password file's line (SPEC PWF-1, EKE-PW-1).

"A password file MUST be read as UTF-8 text whose first line is the password: exactly one
trailing LF or CRLF is removed and nothing else is trimmed", and EKE-PW-1: "Passwords are
used as given". The SPEC sets no length limit on a password. A reader with a fixed
buffer — one `read(fd, 64)`, `fgets(buf, 256, f)`, a `BufferedReader.read(char[128])`
taken as the whole file — cuts a passphrase at the buffer's end, silently: the client
logs in with a prefix of its password. The cases of test_eke_client_password_file.py use
passwords shorter than any such buffer.

The suite plays the server, holding pw derived from the whole password (the file holds
it without a line end, as run_case writes it), and requires the login and the get to
complete. Two lengths: just over 64 bytes (a small stack buffer) and just over 256 bytes
(a line buffer), each with multi-byte UTF-8 characters across the usual buffer
boundaries (a cut there is also a decoding error).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

_TIMEOUT = 5.0
_NAME = "offered.txt"
_CONTENT = b"the file served once the whole password logged in\n"


def _long_password(size: int) -> str:
    """A password of at least `size` UTF-8 bytes, with 2- and 3-byte characters spread
    over it (so that no power-of-two cut falls on a character boundary by design)."""
    parts = ["long-pw-" + secrets.token_hex(4) + "-"]
    filler = ("é", "€", "x", "ß", "✓", "7")
    i = 0
    while len("".join(parts).encode("utf-8")) < size:
        parts.append(filler[i % len(filler)])
        i += 1
    return "".join(parts) + "-end"


_LENGTHS = {"over-64-bytes": 80, "over-256-bytes": 300}


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", sorted(_LENGTHS))
def test_initiator_uses_the_whole_of_a_long_password(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    if eke_target.client_cmd and "{password_file}" not in eke_target.client_cmd:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    password = _long_password(_LENGTHS[label])
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {_NAME: _CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    result = case.result
    if result.succeeded and result.kept_file and result.out.read_bytes() == _CONTENT:
        return
    logged_in = case.view.saw("EKE3") and bool(case.view.inner)
    size = len(password.encode("utf-8"))
    raise ConformanceFailure.evidence(
        f"PWF-1: a password file holding one line of {size} UTF-8 bytes ({len(password)} "
        f"characters, {label}), the server deriving pw from all of it",
        "the login and the get complete: the whole line is the password (no length limit "
        "in the SPEC, nothing cut)",
        ("the login completed but the get did not: " if logged_in else "the login failed: ")
        + result.describe(),
        note=case.describe(),
    )
