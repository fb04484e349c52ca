"""An sft-eke/1 CLIENT tells its user the same thing for every failure EKE-HS-4 names: an
invalid Y' is "wrong password or unknown user", like a C2 that does not open (SPEC §5.3
EKE-HS-4, §5.2 EKE-X-3).

EKE-HS-4: "The client MUST decrypt B, recover Y (EKE-X-3), compute the keys and verify C2.
On failure it MUST send `EROR auth_failed` and close, and tell its user "wrong password or
unknown user" (it cannot tell these apart, by design)." The wire half is checked by
test_eke_client_login_frames.py; the last clause is what a client drops when its range
check of Y' has a message of its own ("the server sent an invalid group element: possible
attack"): under a wrong password D_pw(B) is random and falls outside the group now and then,
so such a client calls a typing mistake an attack — and tells the causes apart where the
design says it cannot.

The suite, as a server that knows the password, answers EKE1 twice: once with an EKE2 whose
C2 does not open (random bytes: what a wrong password looks like to the client), once with
an EKE2 whose B hides an invalid Y' (p + 1 by default; slow: 0, 1, p - 1). Both logins must
fail (non-zero exit, nothing kept) and what the client tells its user — exit status,
stdout and stderr, white space normalised and every run of digits (a port, a time) masked —
must be the same both times. The wording is the client's own; only the difference is
judged.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
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
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "report.bin"
_TIMEOUT = 5.0
_PASSWORD = fresh_password()
_ELEMENTS = {"y-p-plus-1": eke.P + 1, "y-zero": 0, "y-one": 1, "y-p-minus-1": eke.P - 1}


def _told(case: ClientCase) -> tuple[int | None, str, str]:
    """What the client told its user, white space normalised, digit runs masked."""
    result = case.result

    def norm(text: str) -> str:
        return re.sub(r"\d+", "#", " ".join(text.split()))

    return result.returncode, norm(result.stdout), norm(result.stderr)


def _failed(case: ClientCase, what: str) -> None:
    result = case.result
    problems = []
    if result.returncode is None:
        problems.append("the client did not end")
    elif result.succeeded:
        problems.append("the client reported success")
    if result.kept_file:
        problems.append("the client kept the file")
    if problems:
        raise ConformanceFailure.evidence(
            what,
            "the login fails: non-zero exit, no file",
            "; ".join(problems),
            note=case.describe(),
        )


@pytest.mark.req("EKE-HS-4")
@pytest.mark.parametrize(
    "kind",
    [
        "y-p-plus-1",
        pytest.param("y-zero", marks=pytest.mark.slow),
        pytest.param("y-one", marks=pytest.mark.slow),
        pytest.param("y-p-minus-1", marks=pytest.mark.slow),
    ],
)
def test_client_tells_an_invalid_element_as_a_wrong_password(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """A C2 that does not open and a B hiding an invalid Y' are told to the user alike."""
    skip_slow_variant(request)
    pw = eke_pw(client_user(eke_target), _PASSWORD)
    outdir = tmp_path / "out"
    outdir.mkdir()
    sent: list[str] = []

    def bad_c2(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke2 = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
        sent.append("bad-c2")
        read_frame(raw, view, _TIMEOUT)

    def invalid_y(raw: RawConnection, view: ServerView) -> None:
        if honest_eke2(raw, view, pw, _TIMEOUT, element_override=_ELEMENTS[kind]) is None:
            return
        sent.append(kind)
        read_frame(raw, view, _TIMEOUT)

    runs = [
        run_case(
            eke_target,
            tmp_path,
            transcripts,
            behaviour,
            name=_NAME,
            password=_PASSWORD,
            timeout=_TIMEOUT,
            outdir=outdir,
        )
        for behaviour in (bad_c2, invalid_y)
    ]
    if sent != ["bad-c2", kind]:
        raise RuntimeError(f"the client under test sent no EKE1\n{runs[-1].describe()}")
    wrong_password, invalid = runs
    _failed(wrong_password, "EKE-HS-4: an EKE2 whose C2 does not open")
    _failed(invalid, f"EKE-HS-4: an EKE2 whose B hides an invalid Y' ({kind})")
    if _told(wrong_password) != _told(invalid):
        raise ConformanceFailure.evidence(
            f"EKE-HS-4: an EKE2 whose B hides an invalid Y' ({kind}), beside one whose C2 does "
            "not open",
            "the user is told the same for both (wrong password or unknown user: the client "
            "cannot tell the causes apart)",
            f"C2 that does not open: {_told(wrong_password)!r}; invalid Y': {_told(invalid)!r}",
            note=f"{wrong_password.describe()}\n---\n{invalid.describe()}",
        )
