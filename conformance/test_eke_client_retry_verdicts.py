"""What an sft-eke/1 CLIENT tells its user about a login it retried after `busy` is what the
retried login ended with, not the busy answer before it (SPEC §5.3 EKE-HS-4, EKE-HS-7,
§5.6 EKE-THR-7).

EKE-THR-7 lets a client retry after `EROR busy` (after retry_after). The retry is a new
session, and its end is the verdict: EKE-HS-4 says a C2 that does not open is told to the
user as "wrong password or unknown user", EKE-HS-7 says an EKE4 that does not prove the
password is told as a server that failed to prove it (possible impostor). A client that
keeps the first attempt's error and reports that one instead ("the server is busy") tells
a person who mistyped the password to try again later: residue of the aborted attempt in
the next one's report.

The suite runs the client twice with the same password: once it fails the login on the
first connection (the baseline: what this client says for that failure), once it first
answers `busy` (retry_after 1 s) and fails the retried login the same way. Both runs must
fail (non-zero exit, nothing kept), and what the client told its user the first time —
stdout and stderr, white space normalised and digit runs masked — must appear in what it
says the second time (a client MAY add a line about the retry; the wording is its own). A
client that does not retry (it MAY give up) is not judged.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    answer_busy,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "retried.bin"
_TIMEOUT = 5.0
_PASSWORD = fresh_password()
_RETRY_AFTER = 1

Failure = Callable[[RawConnection, ServerView, bytes], None]


def _bad_c2(raw: RawConnection, view: ServerView, pw: bytes) -> None:
    """After EKE1: an EKE2 whose C2 does not open (a wrong password, to the client)."""
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return
    eke2 = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
    raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
    read_frame(raw, view, _TIMEOUT)


def _bad_c4(raw: RawConnection, view: ServerView, pw: bytes) -> None:
    """An honest EKE2, then an EKE4 whose C4 does not open (an impostor, to the client)."""
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return
    server = eke.ServerHandshake(pw=pw)
    raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
        return
    raw.send_frame(b"EKE4", {"c": secrets.token_hex(48)})
    read_frame(raw, view, _TIMEOUT)


_FAILURES: dict[str, tuple[Failure, str, str]] = {
    "c2-does-not-open": (
        _bad_c2,
        "EKE-HS-4",
        "an EKE2 whose C2 does not open (wrong password or unknown user)",
    ),
    "c4-does-not-open": (
        _bad_c4,
        "EKE-HS-7",
        "an EKE4 whose C4 does not open (the server failed to prove the password)",
    ),
}


def _told(case: ClientCase) -> str:
    """What the client told its user: stdout and stderr, white space normalised, digit runs
    masked (a port, a time, a count of tries)."""
    result = case.result
    text = f"{result.stdout}\n{result.stderr}"
    return re.sub(r"\d+", "#", " ".join(text.split()))


def _failed(case: ClientCase) -> list[str]:
    result = case.result
    problems = []
    if result.returncode is None:
        problems.append("the client did not end")
    elif result.succeeded:
        problems.append("the client reported success")
    if result.kept_file:
        problems.append("the client kept the file")
    return problems


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param("c2-does-not-open", marks=pytest.mark.req("EKE-HS-4")),
        pytest.param("c4-does-not-open", marks=[pytest.mark.req("EKE-HS-7"), pytest.mark.slow]),
    ],
)
def test_client_reports_the_retried_login_not_the_busy_before_it(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    failure: str,
    request: pytest.FixtureRequest,
) -> None:
    """A login failure told after a retry (busy first) as it is told without one."""
    skip_slow_variant(request)
    fail, requirement, what = _FAILURES[failure]
    pw = eke_pw(client_user(eke_target), _PASSWORD)
    eke1s: list[int] = []

    def baseline(raw: RawConnection, view: ServerView) -> None:
        fail(raw, view, pw)

    def busy_then_failure(raw: RawConnection, view: ServerView) -> None:
        eke1s.append(len(eke1s))
        if len(eke1s) > 1:
            fail(raw, view, pw)
            return
        answer_busy(raw, view, _RETRY_AFTER, _TIMEOUT)

    runs: list[ClientCase] = []
    for behaviour, connections in ((baseline, 1), (busy_then_failure, 2)):
        outdir = tmp_path / f"out-{len(runs)}"
        outdir.mkdir()
        runs.append(
            run_case(
                eke_target,
                tmp_path,
                transcripts,
                behaviour,
                name=_NAME,
                password=_PASSWORD,
                timeout=_TIMEOUT,
                outdir=outdir,
                connections=connections,
            )
        )
    plain, retried = runs
    if not plain.view.saw("EKE1"):
        raise RuntimeError(f"the client under test sent no EKE1\n{plain.describe()}")
    if len(eke1s) < 2:
        pytest.skip(f"the client did not retry after busy (it MAY give up): {retried.describe()}")
    problems = [f"without busy: {p}" for p in _failed(plain)]
    problems += [f"after busy: {p}" for p in _failed(retried)]
    told_plain, told_retried = _told(plain), _told(retried)
    if told_plain not in told_retried:
        problems.append(
            f"told without busy: {told_plain!r}; told after busy and the retry: "
            f"{told_retried!r} (the first text is not in the second)"
        )
    if problems:
        raise ConformanceFailure.evidence(
            f"{requirement}: `EROR busy` (retry_after {_RETRY_AFTER} s), then on the retried "
            f"connection {what}",
            "the login fails (non-zero exit, no file) and the user is told what this client "
            "tells for that failure without a busy before it",
            "; ".join(problems),
            note=f"{plain.describe()}\n---\n{retried.describe()}",
        )
