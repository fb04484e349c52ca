"""An sft-eke/1 CLIENT does not print a server's `EROR` message that holds its password
(SPEC PWF-2, last sentence).

PWF-2: "A message the other side sends (a CA's `message` or `error`, an `EROR`'s message)
is shown, if at all, without the password: one that holds a run of 6 or more of its
characters is not shown." test_client_output_secrets.py checks what an eke client
prints of its own; test_enroll_refused_ca_output.py checks the enrolment client against
a CA that echoes the login. Here the server (which knows the password: the suite plays
it) completes the login and answers the get with a non-fatal `EROR not_found` whose
message quotes the password — whole, and as a 6-character run of it inside other text.
A client that shows peer messages as they come (escaped for the terminal, cut to a
length) prints the password on its standard error.

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.secret_needles import found_in, password_needles
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

__all__: list[str] = []

_TIMEOUT = 5.0


def _message(password: str, form: str) -> str:
    if form == "whole":
        return f"no file for the password {password}"
    return f"no such file: x{password[1:7]}x"


def _serve(pw: bytes, message: str) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        channel.send_frame("EROR", error_payload("not_found", message))
        for _ in range(4):  # the client's BYE_, then its close
            if not isinstance(read_inner(channel, view, _TIMEOUT), ReceivedFrame):
                return

    return behaviour


@pytest.mark.req("PWF-2")
@pytest.mark.parametrize(
    "form", ["whole", pytest.param("six-character-run", marks=pytest.mark.slow)]
)
def test_client_does_not_print_a_server_message_holding_its_password(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    form: str,
    request: pytest.FixtureRequest,
) -> None:
    """EROR not_found whose message holds the password ({form}): the get fails, and
    nothing the client prints holds the password or 6 of its characters in a row."""
    skip_slow_variant(request)
    password = fresh_password()
    message = _message(password, form)
    pw = eke_pw(client_user(eke_target), password)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _serve(pw, message),
        name="echo.bin",
        password=password,
    )
    printed = (case.result.stdout + case.result.stderr).encode("utf-8", "replace")
    found = found_in(printed, password_needles(password))
    if found:
        raise ConformanceFailure.evidence(
            f"PWF-2: the server's EROR not_found quotes the password ({form})",
            "the client fails the get and shows the message, if at all, without the "
            "password: a message holding 6 or more of its characters in a row is not shown",
            f"the client printed {', '.join(found[:3])}",
            note=case.describe(),
        )
