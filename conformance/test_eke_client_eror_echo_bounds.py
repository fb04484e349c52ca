"""The EROR an sft-eke/1 CLIENT sends quotes at most 64 characters of what the server sent
(SPEC §2 ERR-5, a SHOULD: NON-STRICT unless run with --strict).

ERR-5: an EROR message "SHOULD NOT echo attacker-controlled bytes beyond 64 characters".
test_app_error_echo_bounds.py holds responders to it; a client builds the same messages
when it refuses what a server sent, and the one that quotes too much is whichever error
path its author wrote last: a schema error that says what it got (pydantic's "..., got
'...'"), the duplicate-key error without its cut, the JSON parser's error that quotes the
document (Jackson quotes up to 500 characters), the login's refusal of a malformed EKE2.
The 512-character cut of ERR-1 does not make such a quotation short enough.

The suite, as a server after an honest login (or in the login itself), sends one frame
whose refusal is `bad_frame` and which carries a long run of attacker text that occurs
nowhere else (random letters outside a–f, so that no escaping or hex reading changes it):
an RSFL whose `sha256` is that text, an RSFL whose key is that text twice; slow: an RSFL
whose `size` is that text, a payload that is that text (not JSON), an EKE2 whose `b` is
that text. If the client answers with an EROR, its message must not hold 65 consecutive
characters of the text. A client that only closes is not judged here (what it owes is
test_eke_client_transfer.py's business).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as lies
from conformance.disclosure import attacker_text, quoted_run
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    read_frame,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    control,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0


def _judge(reaction: Event | None, marker: str, what: str, note: str) -> None:
    if not isinstance(reaction, ReceivedFrame) or reaction.type != b"EROR":
        return  # no EROR: no message to judge here
    obj = reaction.json() or {}
    message = obj.get("message")
    text = message if isinstance(message, str) else str(obj)
    run = quoted_run(marker, text)
    if run:
        raise ConformanceFailure.evidence(
            what,
            "the client's EROR quotes at most 64 characters of the server's input",
            f"its message quotes {run} consecutive characters of it: {text[:160]!r}...",
            note=note,
        )


def _rsfl_lie(payload: bytes) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame("RSFL", payload)
        s.await_reaction()

    return lie


def _rsfl_payloads(marker: str) -> dict[str, bytes]:
    head = {"name": lies.NAME, "size": lies.SIZE}
    return {
        "rsfl-sha256-of-long-text": control({**head, "sha256": marker}),
        "rsfl-long-key-twice": (
            b'{"name":"%s","size":%d,"%s":1,"%s":2}'
            % (lies.NAME.encode(), lies.SIZE, marker.encode(), marker.encode())
        ),
        "rsfl-size-of-long-text": control({"name": lies.NAME, "size": marker}),
        "rsfl-not-json": b"{" + marker.encode() + b"}",
    }


_SLOW = {"rsfl-size-of-long-text", "rsfl-not-json"}


@pytest.mark.req("ERR-5", level="SHOULD")
@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else [])
        for k in (
            "rsfl-sha256-of-long-text",
            "rsfl-long-key-twice",
            "rsfl-size-of-long-text",
            "rsfl-not-json",
        )
    ],
)
def test_client_eror_does_not_echo_a_long_member(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """An RSFL refused `bad_frame` for a long run of attacker text: the client's EROR does
    not quote more than 64 characters of it."""
    skip_slow_variant(request)
    marker = attacker_text()
    case, server = lies._run_lie(
        eke_target, tmp_path, transcripts, _rsfl_lie(_rsfl_payloads(marker)[kind])
    )
    _judge(server.reaction, marker, f"ERR-5: {kind}", case.describe())


def _eke2_with_long_b(pw: bytes, marker: str, box: dict[str, Event]) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke2 = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
        raw.send_frame(b"EKE2", {**eke2, "b": marker})
        box["reaction"] = read_frame(raw, view, _TIMEOUT)

    return behaviour


@pytest.mark.slow
@pytest.mark.req("ERR-5", level="SHOULD")
def test_client_login_eror_does_not_echo_a_long_member(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
) -> None:
    """An EKE2 whose `b` is a long run of attacker text (not 768 hex digits): the client's
    EROR (in clear) does not quote more than 64 characters of it."""
    skip_slow_variant(request)
    marker = attacker_text(768)
    password = lies._PASSWORD
    box: dict[str, Event] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _eke2_with_long_b(eke_pw(client_user(eke_target), password), marker, box),
        name=lies.NAME,
        password=password,
    )
    _judge(box.get("reaction"), marker, "ERR-5: eke2-b-of-long-text", case.describe())
