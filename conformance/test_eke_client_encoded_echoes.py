"""An sft-eke/1 CLIENT shows no server message that holds its password ENCODED (SPEC PWF-2).

PWF-2: a tool MUST NOT write the password "whether it succeeds or fails and whatever the
other side answers: not the password in any encoding (as read, escaped as in JSON or a
URL, base64, hexadecimal)", and a message the other side sends "is shown, if at all,
without the password". A server (or a proxy in front of it) that echoes the login it was
sent — an `Authorization: Basic` line, a URL with the password as a query parameter, a
hex dump — holds the password encoded; a client whose filter looks for the password only
as typed (and for runs of 6 of its characters) prints it.

The server (the suite, which knows the password it gave the client) answers the get's
RQFL with `EROR not_found` whose message is such an echo; the get fails, and nothing the
client prints (stdout and stderr) may hold the password in any of these encodings. A
client that shows no server message at all passes. (The reference's filter decodes
URL escapes, base64 and hex tokens: reference/redact.py.)
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance import test_eke_client_message_placement as placement
from conformance.eke_hostile import (
    client_user,
    eke_pw,
    fresh_password,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.secret_needles import found_in, password_needles
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]


def _basic(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"suite: refused Authorization: Basic {token}"


def _url(user: str, password: str) -> str:
    return f"suite: no route for /login?user={quote(user)}&password={quote(password, safe='')}"


def _hex(user: str, password: str) -> str:
    return f"suite: login dump {password.encode().hex()}"


_ENCODINGS = [
    pytest.param(_basic, id="base64-basic-line"),
    pytest.param(_url, id="url-encoded"),
    pytest.param(_hex, id="hex", marks=pytest.mark.slow),
]


@pytest.mark.req("PWF-2")
@pytest.mark.parametrize("encode", _ENCODINGS)
def test_client_shows_no_message_holding_its_password_encoded(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    encode: object,
    request: pytest.FixtureRequest,
) -> None:
    """The server answers the get EROR not_found with a message that echoes the login,
    the password encoded in it: the client shows the message, if at all, without it."""
    skip_slow_variant(request)
    assert callable(encode)
    password = fresh_password()
    if encode is _url:
        # Every run of 6 characters holds one that URL-encoding changes: only a filter
        # that decodes the message sees the password in it.
        password = "".join(f"{c}\u00e9" for c in secrets.token_hex(5))
    user = client_user(eke_target)
    message = encode(user, password)
    behaviour = placement._serve_record(eke_pw(user, password), "not_found", message)
    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="echoed.bin", password=password
    )
    printed = (case.result.stdout + case.result.stderr).encode("utf-8", "replace")
    found = found_in(printed, password_needles(password))
    if found:
        raise ConformanceFailure.evidence(
            "PWF-2: the server's EROR not_found echoes the login, the password encoded "
            f"({request.node.callspec.id})",
            "no tool writes the password in any encoding (URL, base64, hexadecimal): the "
            "message is shown, if at all, without it",
            f"the client printed {', '.join(found[:3])} (the message tested for the "
            "password only as typed)",
            note=case.describe(),
        )
