"""An sft-eke/1 CLIENT logs in under a user name whose characters lie just outside the
control ranges (SPEC EKE-PW-1, EKE-HS-1).

A user name is 1–64 bytes of UTF-8 "without control characters" (EKE-PW-1): the control
characters are the C0 range, DEL and the C1 range (U+0000–U+001F, U+007F–U+009F) — code
point ranges, not a Unicode property —, and "every valid user name ... is one a client
MUST log in under, sent in EKE1 exactly as given". A client that judges validity itself
before sending EKE1 slips in two ways this file pins:

* the range written without its upper bound (`0x7F <= c` for `0x7F <= c <= 0x9F`), or a
  check on UTF-8 bytes (every byte of a non-ASCII character is >= 0x80): every non-ASCII
  name is refused — U+00A0, the first code point after C1, is the boundary;
* a library predicate taken for "no controls": Python's `str.isprintable()` (or Java's
  `Character.isISOControl` || `isSpaceChar`, .NET's `char.IsControl` on UTF-16 units ...)
  refuses format characters such as the zero-width joiner U+200D (the glue of emoji
  sequences) and U+00A0, which EKE-PW-1 allows.

The suite plays an honest server that derives pw from the name and the password given:
EKE1 must name exactly that user (byte for byte), and the login and a get complete.
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
CONTENT = b"logged in under a user name of characters beside the control ranges\n"
_TIMEOUT = 5.0

# kind: the user name (valid: 1-64 UTF-8 bytes, no C0, DEL or C1 code point)
_USERS: dict[str, str] = {
    # U+00A0, the first code point after the C1 range (a no-break space): refused by a
    # range without its upper bound, a byte-wise check and isprintable() alike.
    "u00a0-after-c1": "jo\u00a0ann",
    # U+200D, a format character (Cf): not a control character.
    "u200d-joiner": "ann\u200dbob",
    # U+00FF and a 4-byte character: a non-ASCII name of ordinary letters and symbols.
    "u00ff-and-astral": "\u00ffve\U0001f600",
    # U+0378, unassigned: still no control character.
    "u0378-unassigned": "x\u0378y",
}
_SLOW = frozenset({"u00ff-and-astral", "u0378-unassigned"})
_CONTROL = frozenset(range(0x20)) | frozenset(range(0x7F, 0xA0))


def _valid(user: str) -> bool:
    return 1 <= len(user.encode("utf-8")) <= 64 and not any(ord(c) in _CONTROL for c in user)


def _eke1_of(transcript: object) -> bytes | None:
    for entry in getattr(transcript, "entries", ()):
        if entry.direction == "recv" and entry.data[:4] == b"EKE1":
            payload: bytes = entry.data[8:]
            return payload
    return None


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=[
                pytest.mark.req("EKE-PW-1", "EKE-HS-1"),
                *([pytest.mark.slow] if kind in _SLOW else []),
            ],
            id=kind,
        )
        for kind in _USERS
    ],
)
def test_client_logs_in_under_a_name_beside_the_control_ranges(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The client is given a valid user name holding a character just outside C0/DEL/C1:
    it sends EKE1 naming exactly that user, and the login and the get complete."""
    skip_slow_variant(request)
    user = _USERS[kind]
    assert _valid(user), kind
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
    result = case.result
    context = (
        f"the client logs in as {user!r} ({kind}: code points "
        f"{', '.join(f'U+{ord(c):04X}' for c in user if ord(c) > 0x7E)}; "
        f"{len(user.encode())} UTF-8 bytes)"
    )
    eke1 = _eke1_of(case.view.transcript)
    if eke1 is None:
        failure = ConformanceFailure.evidence(
            f"EKE-PW-1: {context}",
            "an EKE1 naming that user: it holds no control character (C0, DEL, C1), so it "
            "is a valid user name the client MUST log in under",
            f"no EKE1 reached the server (refused locally?); {result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("EKE-PW-1",)
        raise failure
    try:
        sent = json.loads(eke1.decode("utf-8")).get("user")
    except (ValueError, AttributeError):
        sent = None
    complete = result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT
    if sent != user or not complete:
        failure = ConformanceFailure.evidence(
            f"EKE-HS-1: {context}",
            f"EKE1 user {user!r} byte for byte, then the login and the get complete "
            f"(SHA-256 {hashlib.sha256(CONTENT).hexdigest()[:16]}...)",
            f"EKE1 named {sent!r}; {result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("EKE-PW-1",) if sent == user else ("EKE-HS-1",)
        raise failure
