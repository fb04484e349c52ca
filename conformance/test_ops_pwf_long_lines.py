"""PWF-1: the eke client uses ALL of a password file's line, however long (SPEC PWF-1,
EKE-PW-1), beyond the buffers a reader is commonly given.

"A password file MUST be read as UTF-8 text whose first line is the password: exactly one
trailing LF or CRLF is removed and nothing else is trimmed"; the SPEC sets no length limit.
test_client_password_length.py judges lines just over 64 and 256 bytes. A reader fitted to
passwords of the examples' size passes it with a larger fixed buffer: C's
`char buf[1024]; fgets(buf, sizeof buf, f)` (the second line still refused by a second
`fgets`, but a longer first line silently cut at 1023 bytes), one `read(fd, buf, 4096)` (a
page), a `BUFSIZ` (8192) stdio or `BufferedReader` buffer taken as the whole file. The
client then logs in with a prefix of its password: the wrong password, with no error.

The suite plays the server, holding pw derived from the whole line, and requires the login
and the get to complete, for lines just over 1 KiB, 4 KiB and 8 KiB (with a trailing LF:
the reader must find the line's end past its buffer), each with multi-byte UTF-8
characters spread over it (so that a cut at a power of two is also a decoding error, not
by design on a character boundary). 64 KiB is the slow variant.
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

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

_TIMEOUT = 5.0
_NAME = "offered.txt"
_CONTENT = b"the file served once the whole long password logged in\n"


def _long_password(size: int) -> str:
    """A password of at least `size` UTF-8 bytes, 1-, 2- and 3-byte characters mixed."""
    parts = ["pwf-long-" + secrets.token_hex(4) + "-"]
    filler = ("x", "é", "€", "7", "ß", "✓", "q")
    total = len(parts[0])
    i = 0
    while total < size:
        char = filler[i % len(filler)]
        parts.append(char)
        total += len(char.encode("utf-8"))
        i += 1
    return "".join(parts) + "-end"


_LENGTHS = {
    "over-1-KiB": 1024 + 40,
    "over-4-KiB": 4096 + 40,
    "over-8-KiB": 8192 + 40,
    "over-64-KiB": 65536 + 40,
}


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize(
    "label",
    [
        pytest.param(label, marks=[pytest.mark.slow] if label == "over-64-KiB" else [])
        for label in _LENGTHS
    ],
)
def test_initiator_uses_the_whole_of_a_very_long_password_line(
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
        password=password + "\n",
        timeout=_TIMEOUT,
    )
    result = case.result
    if result.succeeded and result.kept_file and result.out.read_bytes() == _CONTENT:
        return
    logged_in = case.view.saw("EKE3") and bool(case.view.inner)
    size = len(password.encode("utf-8"))
    raise ConformanceFailure.evidence(
        f"PWF-1: a password file holding one line of {size} UTF-8 bytes ({label}) and its "
        "LF, the server deriving pw from the whole line",
        "the login and the get complete: the whole line is the password (the SPEC sets no "
        "length limit; nothing is cut at a buffer's end)",
        ("the login completed but the get did not: " if logged_in else "the login failed: ")
        + result.describe(),
        note=case.describe(),
    )
