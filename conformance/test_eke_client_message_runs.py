"""An sft-eke/1 CLIENT shows no server message holding a run of its password, whatever the
`EROR`'s code and wherever it comes (SPEC PWF-2, last sentence).

PWF-2: "A message the other side sends (... an `EROR`'s message) is shown, if at all,
without the password: one that holds a run of 6 or more of its characters is not shown."
test_eke_client_eror_password_echo.py sends the password whole in a non-fatal `not_found`
(the 6-character run is its slow variant). The rule is about any message and any run, so
two shortcuts pass it:

* a filter that looks for the WHOLE password only (`password in message`): a server that
  quotes a part of it ("a masked password", a login echoed cut at a field width) is
  shown. The suite's messages hold a run of 7 characters from the middle of the password,
  never the whole of it.
* a filter applied where the implementer expected peer text — the refusals of a get
  (`not_found`, `forbidden`) — and not to the fatal codes (`internal`, `timeout`) whose
  message the client also prints ("the server reported internal: ..."), nor to the
  login's `EROR` (before EKE2, in clear).

The server (the suite, which knows the password) answers the get's RQFL with `EROR
not_found` or `EROR internal`, or answers EKE1 with `EROR internal`; the get fails, and
nothing the client prints (stdout and stderr) may hold the password or 6 of its
characters in a row. The client is launched from `--client-cmd` (embedded run: the
reference's `sft eke get`).
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
    read_frame,
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
        return f"refused: {password}"
    # 7 characters from the middle: never the whole password, never its first characters
    middle = len(password) // 2 - 3
    return f"no such entry: [{password[middle : middle + 7]}]"


def _serve_record(pw: bytes, code: str, message: str) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        channel.send_frame("EROR", error_payload(code, message))
        for _ in range(4):  # the client's BYE_ (after a non-fatal refusal), then its close
            if not isinstance(read_inner(channel, view, _TIMEOUT), ReceivedFrame):
                return

    return behaviour


def _serve_login(code: str, message: str) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        raw.send_frame(b"EROR", error_payload(code, message))
        for _ in range(2):  # the client's close (bounded)
            if not isinstance(read_frame(raw, view, _TIMEOUT), ReceivedFrame):
                return

    return behaviour


_CASES = [
    pytest.param("record", "not_found", "run", id="get-not_found-run"),
    pytest.param("record", "internal", "run", id="get-internal-run"),
    pytest.param("login", "internal", "whole", id="login-internal-whole"),
    pytest.param("login", "internal", "run", id="login-internal-run", marks=pytest.mark.slow),
    pytest.param("record", "timeout", "whole", id="get-timeout-whole", marks=pytest.mark.slow),
]


@pytest.mark.req("PWF-2")
@pytest.mark.parametrize(("where", "code", "form"), _CASES)
def test_client_shows_no_server_message_holding_a_run_of_its_password(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    where: str,
    code: str,
    form: str,
    request: pytest.FixtureRequest,
) -> None:
    """EROR {code} ({where}) whose message holds the password ({form}): the get fails, and
    nothing the client prints holds the password or 6 of its characters in a row."""
    skip_slow_variant(request)
    password = fresh_password()
    message = _message(password, form)
    if where == "login":
        behaviour = _serve_login(code, message)
    else:
        behaviour = _serve_record(eke_pw(client_user(eke_target), password), code, message)
    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="runs.bin", password=password
    )
    printed = (case.result.stdout + case.result.stderr).encode("utf-8", "replace")
    found = found_in(printed, password_needles(password))
    if found:
        raise ConformanceFailure.evidence(
            f"PWF-2: the server's EROR {code} ({'login' if where == 'login' else 'get'}) "
            f"quotes the password ({form}: {message[:40]!r}…)",
            "the client fails the get and shows the message, if at all, without the "
            "password: a message holding 6 or more of its characters in a row is not shown",
            f"the client printed {', '.join(found[:3])}",
            note=case.describe(),
        )
