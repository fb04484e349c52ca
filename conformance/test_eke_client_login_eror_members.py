"""An sft-eke/1 CLIENT's EROR `auth_failed` after a bad EKE2 carries every member ERR-1
names (SPEC ERR-1, EKE-HS-4, FRM-14).

EKE-HS-4: a client whose C2 does not verify "MUST send EROR auth_failed and close". ERR-1:
"An EROR frame MUST carry code (...), name (the table's name for that code) and message
(human-readable, at most 512 characters)". An authentication failure tempts a client to
say as little as possible — rightly: one fixed text, nothing about the cause (ERR-6) —
and an encoder that leaves out empty members (Go's `omitempty`, a serializer skipping
defaults) then drops `message` altogether. A fixed text is fine; no `message` is an EROR
ERR-1 does not allow.

The suite plays a server that does not know the client's password (its EKE2 is sealed
under another password's keys, so C2 cannot verify); the client answers with its EROR in
clear, which must be a JSON object holding `code` 4, `name` "auth_failed" and a string
`message` of at most 512 characters, and its get fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0


@pytest.mark.req("ERR-1", "EKE-HS-4")
def test_client_auth_failed_eror_after_a_bad_eke2_has_code_name_and_message(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """EKE2 under another password: the client's answer is EROR auth_failed with code,
    name and message (ERR-1), and its get fails."""
    user = client_user(eke_target)
    wrong_pw = eke_pw(user, fresh_password())  # not the password the client is given
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=wrong_pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        seen["sent"] = True
        seen["answer"] = read_frame(raw, view, _TIMEOUT)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="wanted.bin", timeout=_TIMEOUT
    )
    if "sent" not in seen:
        raise RuntimeError(f"the client sent no EKE1\n{case.describe()}")
    answer = seen.get("answer")
    problems: list[str] = []
    if not (isinstance(answer, ReceivedFrame) and answer.type == b"EROR"):
        shown = answer.describe() if hasattr(answer, "describe") else repr(answer)
        problems.append(f"it answered {shown}, not EROR auth_failed (EKE-HS-4)")
        violates = ("EKE-HS-4",)
    else:
        obj = answer.json() or {}
        violates = ("ERR-1",)
        if obj.get("code") != 4 or obj.get("name") != "auth_failed":
            problems.append(f"its EROR is {answer.describe(160)}, not code 4 auth_failed")
            violates = ("EKE-HS-4",) if obj.get("code") != 4 else ("ERR-1",)
        message = obj.get("message")
        if not isinstance(message, str) or len(message) > 512:
            problems.append(
                "its EROR has no `message`"
                if "message" not in obj
                else f"its EROR message is {message!r:.80} (a string of at most 512 characters)"
            )
    if case.result.succeeded or case.result.kept_file:
        problems.append("its get did not fail")
    if problems:
        failure = ConformanceFailure.evidence(
            "a server that does not know the password: its EKE2's C2 cannot verify",
            'EROR {"code": 4, "name": "auth_failed", "message": "<text, at most 512 '
            'characters>"} in clear, then the close; the get fails',
            "; ".join(problems),
            note=case.describe(),
        )
        failure.violates = violates
        raise failure
