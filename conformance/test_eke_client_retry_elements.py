"""A login an sft-eke/1 CLIENT retries after `busy` checks the server's element as its first
login does (SPEC §5.2 EKE-X-3, §5.4 EKE-KS-2, §5.3 EKE-HS-7, §5.6 EKE-THR-7).

EKE-HS-7: the client's checks (EKE-X-3, EKE-HS-4, EKE-HS-7) "apply to every connection it
opens: ... a first login or one retried after `busy`". test_eke_client_retry_login_proofs.py
lies about the proofs (C2, C4) on the retried login; the element checks of EKE-X-3 and
EKE-KS-2 come before them and can be relaxed on their own ("the server answered: it is
known", a reconnect path with a lenient decoder), and the handshake cases that hide an
invalid Y' never answer `busy` first.

The suite answers the first EKE1 with `EROR busy` (retry_after 1 s) and the retried EKE1
with an EKE2 whose B hides an invalid Y', its C2 sealed with the keys a careless client
derives from it (so C2 opens for a client that skips the check):
* `y-is-1`: Y' = 1 (Z = 1);
* `y-is-p-minus-1`: Y' = p - 1 (mapped to 1 by the residue rule: Z = 1);
* slow, `y-is-0`: Y' = 0 (Z = 0); slow, `y-is-p`: Y' = p (Z = 0 once reduced mod p).
The retried login MUST fail there: no EKE3, `EROR auth_failed` (EKE-X-3: a rejection during
the handshake is reported as `auth_failed`), no record, the get fails. A client that does
not retry (it MAY give up) is not judged.
"""

from __future__ import annotations

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
_NAME = "retried-element.bin"
_RETRY_AFTER = 1

_ELEMENTS = {"y-is-1": 1, "y-is-p-minus-1": eke.P - 1, "y-is-0": 0, "y-is-p": eke.P}


class _Retry:
    """The suite's server: `busy` to the first login, an invalid Y' to the retried one."""

    def __init__(self, pw: bytes, element: int) -> None:
        self.pw = pw
        self.element = element
        self.connections = 0
        self.frames: list[str] = []
        self.ended = ""

    def saw(self, prefix: str) -> bool:
        return any(f.startswith(prefix) for f in self.frames)

    def behaviour(self, raw: RawConnection, view: ServerView) -> None:
        self.connections += 1
        if self.connections == 1:
            answer_busy(raw, view, _RETRY_AFTER, _TIMEOUT)
            return
        if honest_eke2(raw, view, self.pw, _TIMEOUT, element_override=self.element) is None:
            return
        self.frames.append("EKE1 (the retried login's)")
        for _ in range(4):  # bounded: whatever the client still sends, then its close
            event = read_frame(raw, view, _TIMEOUT)
            if not isinstance(event, ReceivedFrame):
                self.ended = event.describe()
                return
            self.frames.append(event.describe(60))


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param("y-is-1", marks=pytest.mark.req("EKE-X-3", "EKE-KS-2", "EKE-HS-7")),
        pytest.param(
            "y-is-p-minus-1", marks=pytest.mark.req("EKE-X-3", "EKE-KS-2", "EKE-HS-7")
        ),
        pytest.param(
            "y-is-0",
            marks=[pytest.mark.req("EKE-X-3", "EKE-KS-2", "EKE-HS-7"), pytest.mark.slow],
        ),
        pytest.param("y-is-p", marks=[pytest.mark.req("EKE-X-3", "EKE-HS-7"), pytest.mark.slow]),
    ],
)
def test_client_checks_the_element_of_a_login_retried_after_busy(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    variant: str,
    request: pytest.FixtureRequest,
) -> None:
    """busy, then a retried login whose B hides an invalid Y': no EKE3, EROR auth_failed."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    retry = _Retry(pw, _ELEMENTS[variant])
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
    if retry.saw("EKE3"):
        problems.append("it sent EKE3 on the retried login (it took the element)")
    if not retry.saw("EROR auth_failed"):
        problems.append("it sent no EROR auth_failed on the retried login")
    if retry.saw("RECD"):
        problems.append("it went on to the record phase")
    if case.result.succeeded:
        problems.append("the client reported success")
    if case.result.kept_file:
        problems.append("the client kept a file")
    if problems:
        raise ConformanceFailure.evidence(
            f"EKE-X-3: `EROR busy` (retry_after {_RETRY_AFTER} s), then on the retried "
            f"connection an EKE2 hiding an invalid Y' ({variant}), C2 sealed with the keys "
            "a client that skips the check derives",
            "the retried login refuses the element as a first login does: no EKE3, "
            "EROR auth_failed, the get fails",
            "; ".join(problems),
            note=f"retried connection saw {retry.frames} then {retry.ended}\n{case.describe()}",
        )
