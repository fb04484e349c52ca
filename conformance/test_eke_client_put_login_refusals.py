"""An sft-eke/1 CLIENT's PUT reports a put whose login the server refused as a failure, for
every refusal (SPEC §3.4 APP-PUT-10, ERR-4).

"An initiator MUST report a put as succeeded (a command-line initiator: exit status 0)
only once the responder has answered its DONE with DONE." A login refused in clear never
gets that far, whatever the refusal says: `throttled` with its `retry_after` (the server's
state, which a client may be tempted to print and treat as nothing gone wrong), a plain
`auth_failed`, `internal`, `timeout`, or a code ERR-2 does not list (`internal`, ERR-4).

The suite plays the server for the target's `client_put_cmd` (the embedded run: the
reference's `sft eke put`) and answers its EKE1 with one `EROR` per case, then closes. The
put must exit non-zero, never reach the record phase, and leave its source as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import test_eke_client_put_login as put_login
from conformance.eke_hostile import ServerView, read_frame, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    error_payload,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
# label -> the EROR answering EKE1
_REFUSALS: dict[str, dict[str, object]] = {
    "throttled": {**json.loads(error_payload("throttled", "suite: throttled")), "retry_after": 30},
    "auth_failed": json.loads(error_payload("auth_failed", "suite: auth_failed")),
    "internal": json.loads(error_payload("internal", "suite: internal")),
    "timeout": json.loads(error_payload("timeout", "suite: timeout")),
    "unknown-99": {"code": 99, "name": "unknown", "message": "suite: code 99"},
}
_DEFAULT = frozenset({"throttled", "unknown-99"})


def _refuse(label: str) -> put_login.Login:
    def login(raw: RawConnection, view: ServerView, pw: bytes) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        raw.send_frame(b"EROR", control(_REFUSALS[label]))
        read_frame(raw, view, _TIMEOUT)  # the client's close (or a fault, which is noted)

    return login


@pytest.mark.req("APP-PUT-10", "ERR-4")
@pytest.mark.parametrize(
    "label",
    [pytest.param(k, marks=[] if k in _DEFAULT else [pytest.mark.slow]) for k in _REFUSALS],
)
def test_client_put_refused_at_login_fails(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The put's EKE1 is answered EROR `label` (module docstring): the put fails."""
    skip_slow_variant(request)
    run, view, source = put_login._run_put(eke_target, tmp_path, transcripts, _refuse(label))
    seen = f"{view.frames} then {view.ended or 'the suite closed'}"
    if not view.saw("EKE1"):
        raise RuntimeError(
            "the put command under test sent no EKE1 (is client_put_cmd right?): "
            f"{run.describe()}; {run.stderr.strip()[-300:]}; server saw {seen}"
        )
    problems: list[str] = []
    if run.succeeded:
        problems.append("the put command reported success (exit 0)")
    if view.saw("RECD") or view.saw("EKE3"):
        problems.append("it went on with the login after the refusal")
    if source.read_bytes() != put_login._CONTENT:
        problems.append("the local file changed")
    if problems:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-10: the put's EKE1 answered EROR {_REFUSALS[label]}",
            "the put reported failed (non-zero exit): no DONE answered its DONE",
            "; ".join(problems),
            note=f"{run.describe()}; server saw {seen}",
        )
        failure.violates = ("APP-PUT-10", "ERR-4") if label.startswith("unknown") else (
            "APP-PUT-10",
        )
        raise failure
