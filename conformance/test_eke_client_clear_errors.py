"""An sft-eke/1 CLIENT takes no EROR in clear once the records have begun (SPEC EKE-REC-5).

Before the record phase `EROR` frames travel in clear (EKE-HS-9); after EKE4 every frame
is a record, and a plaintext frame of any type is a failure (EKE-REC-5): anyone on the
path can write one. A client that keeps the login's rule — "an EROR may come in clear" —
in its record reader takes an attacker's clear `not_found` as the server's answer: a
non-fatal refusal, after which it stays on the connection (a `BYE_`, a next request).

The suite answers the client's RQFL with a plaintext `EROR` of a non-fatal code. The
client must treat it as the end of the connection: the get fails, and after it the client
sends no request and no `BYE_` — at most a sealed fatal `EROR` — and closes promptly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.eke_hostile import (
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
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    error_payload,
    frame_bytes,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "asked-for.txt"
_TIMEOUT = 5.0
_FATAL = {1, 2, 3, 4, 8, 9, 10, 11, 14}  # ERR-2's fatal codes
_AFTER = 8  # frames read after the clear EROR at most (bounded)

_CODES = {"not-found": 6, "forbidden": 5}
_SLOW = frozenset({"forbidden"})


@pytest.mark.req("EKE-REC-5")
@pytest.mark.parametrize(
    "refusal", [pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _CODES]
)
def test_client_fails_on_a_clear_error_after_the_handshake(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    refusal: str,
    request: pytest.FixtureRequest,
) -> None:
    """RQFL answered by a plaintext EROR `refusal` (non-fatal if it were sealed): the get
    fails and the client sends nothing after it but, at most, a sealed fatal EROR."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    box: dict[str, object] = {}
    after: list[ReceivedFrame] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        first = read_inner(channel, view, _TIMEOUT)
        if not isinstance(first, ReceivedFrame) or first.type != b"RQFL":
            return
        code = _CODES[refusal]
        raw.send_raw(frame_bytes("EROR", error_payload(code, "suite: in clear")))
        box["sent"] = True
        for _ in range(_AFTER):
            event = read_inner(channel, view, PROMPT_CLOSE)
            if not isinstance(event, ReceivedFrame):
                box["end"] = event.describe()
                return
            after.append(event)
        box["end"] = f"still open after {_AFTER} frames"

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=NAME, password=password, timeout=_TIMEOUT
    )
    if "sent" not in box:
        raise RuntimeError(
            f"the client never sent its request (is --client-cmd right?)\n{case.describe()}"
        )
    result = case.result
    problems = []
    goes_on = [f for f in after if not (f.type == b"EROR" and f.error_code in _FATAL)]
    if goes_on:
        problems.append("after it the client sent " + ", ".join(f.describe(60) for f in goes_on))
    end = str(box.get("end", ""))
    if end and "closed" not in end.lower() and "reset" not in end.lower():
        problems.append(f"the connection did not end within {PROMPT_CLOSE:g} s ({end})")
    if result.succeeded or result.kept_file or result.returncode is None:
        problems.append(result.describe())
    if problems:
        raise ConformanceFailure.evidence(
            f"EKE-REC-5: the RQFL answered by a plaintext EROR {refusal} after EKE4",
            "a failure: the get fails and the client closes, sending nothing but at most a "
            "sealed fatal EROR",
            "; ".join(problems),
            note=case.describe(),
        )
