"""A login an sft-eke/1 CLIENT retries after `busy` checks the server's proofs as its first
login does (SPEC §5.3 EKE-HS-7, EKE-HS-4, §5.6 EKE-THR-7).

EKE-THR-7 lets a client retry a login answered `EROR busy` once retry_after has passed. The
retry is a new handshake and owes everything the first one owes: C2 verified before EKE3
(EKE-HS-4), C4 holding the client's own Na before any request (EKE-HS-7). A client whose
retry runs on a path of its own ("the server is known to be there": a reconnect helper, a
cached session object, checks relaxed after an error) can skip them there, and the
handshake cases never answer `busy` before a lie. test_eke_client_retry_verdicts.py
compares what the client tells its user after such a retry; here the suite looks at what
it SENDS.

The suite answers the first EKE1 with `EROR busy` (retry_after 1 s) and the retried login
with:
* `c4-wrong-na` (EKE-HS-7): an honest EKE2, C3 verified, then C4 sealed under Kcs around
  32 random bytes instead of Na: no record may follow (no RQFL), and the get fails;
* slow, `c2-does-not-open` (EKE-HS-4): an honest B with a C2 of random bytes: no EKE3, an
  `EROR auth_failed`, and the get fails.
A client that does not retry (it MAY give up) is not judged.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    answer_busy,
    client_user,
    eke_pw,
    fresh_password,
    honest_eke2,
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

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "retried-login.bin"
_RETRY_AFTER = 1


class _Retry:
    """The suite's server: `busy` to the first login, `failure` to the retried one, and
    what the retried connection saw."""

    def __init__(self, pw: bytes, failure: str) -> None:
        self.pw = pw
        self.failure = failure
        self.connections = 0
        self.frames: list[str] = []
        self.ended = ""

    def read(self, raw: RawConnection, view: ServerView) -> ReceivedFrame | None:
        event = read_frame(raw, view, _TIMEOUT)
        if isinstance(event, ReceivedFrame):
            self.frames.append(event.describe(60))
            return event
        self.ended = event.describe()
        return None

    def saw(self, prefix: str) -> bool:
        return any(f.startswith(prefix) for f in self.frames)

    def behaviour(self, raw: RawConnection, view: ServerView) -> None:
        retry, pw, failure = self, self.pw, self.failure
        retry.connections += 1
        if retry.connections == 1:
            answer_busy(raw, view, _RETRY_AFTER, _TIMEOUT)
            return
        if failure == "c2-does-not-open":
            eke1 = retry.read(raw, view)
            if eke1 is None or eke1.type != b"EKE1":
                return
            eke2 = eke.ServerHandshake(pw=pw).on_eke1(eke1.json() or {})
            raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
        else:
            server = honest_eke2(raw, view, pw, _TIMEOUT)
            if server is None:
                return
            retry.frames.append("EKE1 (the retried login's)")
            eke3 = retry.read(raw, view)
            if eke3 is None or eke3.type != b"EKE3":
                return
            try:
                server.on_eke3(eke3.json() or {})
            except eke.EkeError:
                return
            keys = server.keys
            assert keys is not None
            c4 = eke.aead_seal(keys.kcs, eke.N4, secrets.token_bytes(32), b"EKE4" + keys.th)
            raw.send_frame(b"EKE4", {"c": c4.hex()})
        for _ in range(4):  # bounded: whatever the client still sends, then its close
            if retry.read(raw, view) is None:
                return


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param("c4-wrong-na", marks=pytest.mark.req("EKE-HS-7", "EKE-THR-7")),
        pytest.param(
            "c2-does-not-open",
            marks=[pytest.mark.req("EKE-HS-4", "EKE-THR-7"), pytest.mark.slow],
        ),
    ],
)
def test_client_checks_the_proofs_of_a_login_retried_after_busy(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    failure: str,
    request: pytest.FixtureRequest,
) -> None:
    """busy, then a retried login whose server proof is wrong: nothing past the proof."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    retry = _Retry(pw, failure)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        retry.behaviour,
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
        connections=2,
    )
    if not case.view.saw("EKE1"):
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    if retry.connections < 2:
        pytest.skip(f"the client did not retry after busy (it MAY give up): {case.describe()}")
    problems = []
    if failure == "c2-does-not-open":
        if retry.saw("EKE3"):
            problems.append("it sent EKE3 on the retried login")
        if not retry.saw("EROR auth_failed"):
            problems.append("it sent no EROR auth_failed on the retried login")
    if retry.saw("RECD"):
        problems.append("it went on to the record phase (a record: its RQFL)")
    if case.result.succeeded:
        problems.append("the client reported success")
    if case.result.kept_file:
        problems.append("the client kept a file")
    if problems:
        what = (
            "an EKE4 sealed under Kcs around another Na"
            if failure == "c4-wrong-na"
            else "an EKE2 whose C2 does not open"
        )
        requirement = "EKE-HS-7" if failure == "c4-wrong-na" else "EKE-HS-4"
        raise ConformanceFailure.evidence(
            f"{requirement}: `EROR busy` (retry_after {_RETRY_AFTER} s), then on the "
            f"retried connection {what}",
            "the retried login fails at the proof as a first login does",
            "; ".join(problems),
            note=f"retried connection saw {retry.frames} then {retry.ended}\n{case.describe()}",
        )
