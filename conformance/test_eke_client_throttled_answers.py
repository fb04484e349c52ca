"""An sft-eke/1 CLIENT whose login is refused with a `retry_after` it cannot use ends with
a message, never a stack trace (SPEC ERR-6, ERR-7, FRM-11).

[ERR-6] "An endpoint MUST NOT answer any input with a stack trace": a command-line client's
answer to its user is its output. test_client_run_busy_answers.py answers `busy` with odd
`retry_after` values, which a client sleeps or caps. A `throttled` refusal (ERR-7: it
carries `retry_after`) is not retried but shown, and showing is where a client turns the
number into something else: the clock time to come back at (now + retry_after: Python's
`timedelta` overflows past 999,999,999 days, a C `time_t` sum wraps), minutes and seconds
(`retry_after // 60` on a missing value), a localised duration. The suite answers every
`EKE1` with:

- `throttled` and `retry_after` 2^63 - 1, the largest integer FRM-11 allows;
- `throttled` without `retry_after` (a server breaking ERR-7 is input all the same);
- `auth_failed` carrying `retry_after` 2^63 - 1 (a member the EROR schema defines for any
  code: a client that shows "retry after" whenever it is present).

The client must fail the get (non-zero exit, no file) and its stdout and stderr hold no
stack trace. Every wait is bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.eke_hostile import ServerView, fresh_password, read_frame, run_case
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_error_disclosure import stack_trace_in
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "throttled.bin"
_TIMEOUT = 4.0
_MAX = (1 << 63) - 1


def _eror(code: str, retry_after: int | None) -> bytes:
    obj = json.loads(error_payload(code, "suite: refused"))
    obj.pop("retry_after", None)
    if retry_after is not None:
        obj["retry_after"] = retry_after
    return json.dumps(obj).encode()


_REFUSALS: dict[str, bytes] = {
    "throttled-max": _eror("throttled", _MAX),
    "throttled-none": _eror("throttled", None),
    "auth-failed-max": _eror("auth_failed", _MAX),
}


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize("kind", list(_REFUSALS))
def test_client_shows_a_login_refusal_without_a_stack_trace(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """Every EKE1 is answered EROR ({kind}). The get fails, and the client's output holds no
    stack trace."""
    _check_every_eke1_answered(
        eke_target,
        tmp_path,
        transcripts,
        _REFUSALS[kind],
        name=_NAME,
        why=" (the wait turned into a clock time or a duration that overflows?)",
    )


def _check_every_eke1_answered(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    answer: bytes,
    *,
    name: str,
    why: str,
) -> None:
    """Answers every EKE1 of a get of `name` with the EROR `answer`; FAILs ERR-6 unless the
    get fails and the client's output holds no stack trace (`why`: the likely slip, for the
    message). Shared with test_eke_client_message_surrogates.py."""
    answered: list[int] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        raw.send_frame(b"EROR", answer)
        answered.append(1)
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=name,
        password=fresh_password(),
        timeout=_TIMEOUT,
        connections=2,
    )
    if not answered:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    output = case.result.stdout + "\n" + case.result.stderr
    trace = stack_trace_in(output)
    problems = []
    if trace is not None:
        problems.append(f"its output holds {trace}: {output.strip()[-300:]!r}")
    if case.result.succeeded or case.result.kept_file:
        problems.append(f"the get succeeded: {case.result.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            f"ERR-6: every EKE1 answered EROR {answer.decode()[:120]}",
            "the login fails with a one-line message, never a stack trace",
            "; ".join(problems) + why,
            note=case.describe(),
        )
