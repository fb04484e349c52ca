"""An sft-eke/1 CLIENT logs in under every valid user name, as given (SPEC EKE-PW-1,
EKE-HS-1, FRM-14).

A user name is 1–64 bytes of UTF-8 without control characters (EKE-PW-1), and the client
names itself with it in EKE1 (EKE-HS-1). Its edges are where clients slip:

* [EKE-PW-1] a name of exactly 64 bytes, in ASCII and in 2-byte characters (32 × `é`):
  valid, so the client must log in with it — a limit written `< 64`, or counted in
  UTF-16 units or code points times the widest encoding, refuses it locally;
* [EKE-HS-1] a name holding a double quote or a backslash (no control character: valid):
  EKE1's `user` must be that name — an EKE1 written by string formatting gives invalid
  JSON for the quote and another name for `\\` (`\\b` is a backspace in JSON);
* [FRM-14] EKE1's payload is a JSON object whatever the name holds.

The suite plays an honest server that derives pw from the name and password given, so the
login and a get must complete.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    ServerView,
    eke_pw,
    establish,
    fresh_password,
    run_case,
    serve_records,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "for-the-user.txt"
CONTENT = b"logged in under an edge-case user name\n"
_TIMEOUT = 5.0

# kind: (the user name, the requirement the case is about)
_USERS: dict[str, tuple[str, str]] = {
    "64-ascii-bytes": ("u" * 63 + "9", "EKE-PW-1"),
    "64-bytes-of-2-byte-chars": ("\u00e9" * 32, "EKE-PW-1"),
    "double-quote": ('al"ice', "EKE-HS-1"),
    "backslash-b": ("al\\bice", "EKE-HS-1"),
}
_SLOW = frozenset({"64-bytes-of-2-byte-chars", "backslash-b"})


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=[pytest.mark.req(req, "FRM-14"), *([pytest.mark.slow] if kind in _SLOW else [])],
            id=kind,
        )
        for kind, (_u, req) in _USERS.items()
    ],
)
def test_client_logs_in_under_an_edge_case_user_name(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The client is given the valid user name of `kind`: its EKE1 is a JSON object naming
    exactly that user, and the login and the get complete."""
    skip_slow_variant(request)
    user, requirement = _USERS[kind]
    assert 1 <= len(user.encode()) <= 64 and not any(ord(c) < 0x20 for c in user)
    password = fresh_password()
    pw = eke_pw(user, password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        user=user,
        timeout=_TIMEOUT,
    )
    transcript = case.view.transcript
    eke1 = None
    if transcript is not None:
        for entry in transcript.entries:
            if entry.direction == "recv" and entry.data[:4] == b"EKE1":
                eke1 = entry.data[8:]
                break
    result = case.result
    complete = result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT
    context = f"the client logs in as {user!r} ({kind}: {len(user.encode())} UTF-8 bytes)"
    if eke1 is None:
        failure = ConformanceFailure.evidence(
            f"{requirement}: {context}",
            "an EKE1 naming that user (a valid user name, EKE-PW-1)",
            f"no EKE1 reached the server; {result.describe()}",
            note=case.describe(),
        )
        failure.violates = (requirement,)
        raise failure
    try:
        obj = json.loads(eke1.decode("utf-8"))
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        failure = ConformanceFailure.evidence(
            f"FRM-14: {context}",
            "an EKE1 whose payload is a JSON object",
            f"its EKE1 payload is {eke1[:100]!r}",
            note=case.describe(),
        )
        failure.violates = ("FRM-14",)
        raise failure
    if obj.get("user") != user or not complete:
        failure = ConformanceFailure.evidence(
            f"{requirement}: {context}",
            f"EKE1 user {user!r} byte for byte, then the login and the get complete "
            f"(SHA-256 {hashlib.sha256(CONTENT).hexdigest()[:16]}...)",
            f"EKE1 named {obj.get('user')!r}; {result.describe()}",
            note=case.describe(),
        )
        failure.violates = (requirement,)
        raise failure
