"""An sft-eke/1 CLIENT acts on an EROR's `code`, never on its `name` (SPEC ERR-1).

"A receiver MUST act on `code` only; `name` and `message` are for people." A client that
looks a received error up by its name (a string switch is easy to write, and an honest
peer's name always agrees with its code) does what the name says. The one refusal a
client acts on by itself is `busy`: it MAY log in again after `retry_after` (EKE-THR-7).

The suite answers the client's EKE1 with `EROR {"code": 4, "name": "busy",
"retry_after": 1}` — by its code an `auth_failed` — and counts the client's connections
for a few seconds. A client acting on the code fails the login and does not come back; one
acting on the name logs in again. So that a client retrying every failed login (not what
ERR-1 is about) is not failed for it, a second run sends the same EROR named
`auth_failed`: only a client that comes back for the first and not for the second acted
on the name. Slow variants: codes 11 (`internal`) and 10 (`timeout`) named `busy`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.eke_hostile import ClientCase, ServerView, read_frame, run_case, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 4.0
_CONNECTIONS = 3  # the first login and, at most, two more
_CODES = {"auth_failed": 4, "internal": 11, "timeout": 10}


def _run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: int, name: str
) -> tuple[ClientCase, int]:
    logins = [0]

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        logins[0] += 1
        eror = {"code": code, "name": name, "message": "suite: refused", "retry_after": 1}
        raw.send_frame(b"EROR", control(eror))
        read_frame(raw, view, _TIMEOUT)  # the client's close

    run_dir = tmp_path / f"{name}-{code}"
    run_dir.mkdir()
    case = run_case(
        target,
        run_dir,
        transcripts,
        behaviour,
        name="named.bin",
        timeout=_TIMEOUT,
        connections=_CONNECTIONS,
    )
    return case, logins[0]


@pytest.mark.req("ERR-1")
@pytest.mark.parametrize(
    "label",
    [
        "auth_failed",
        pytest.param("internal", marks=pytest.mark.slow),
        pytest.param("timeout", marks=pytest.mark.slow),
    ],
)
def test_client_does_not_retry_a_fatal_code_named_busy(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """EKE1 answered EROR code `label` under the name `busy` (module docstring): the client
    fails and does not log in again, unless it also logs in again when the name agrees."""
    skip_slow_variant(request)
    code = _CODES[label]
    case, logins = _run(eke_target, tmp_path, transcripts, code, "busy")
    if logins == 0:
        raise RuntimeError(f"the client under test sent no EKE1: {case.describe()}")
    if case.result.succeeded or case.result.kept_file:
        raise ConformanceFailure.evidence(
            f"ERR-1: EKE1 answered EROR code {code} ({label}) named busy",
            "the login fails (non-zero exit)",
            "it reported success",
            note=case.describe(),
        )
    if logins == 1:
        return
    control_case, control_logins = _run(eke_target, tmp_path, transcripts, code, label)
    if control_logins > 1:
        return  # it logs in again after this code whatever its name: not ERR-1's matter
    raise ConformanceFailure.evidence(
        f"ERR-1: EKE1 answered EROR code {code} ({label}) under the name busy",
        f"the client acts on the code ({label}): it fails the login and does not log in "
        "again, as it does when the same EROR carries its own name",
        f"{logins} logins with the name busy, {control_logins} with the name {label}: it "
        "acted on the name",
        note=f"{case.describe()}\ncontrol run: {control_case.describe()}",
    )
