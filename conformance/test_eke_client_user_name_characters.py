"""An sft-eke/1 CLIENT logs in under every kind of valid user name: characters just outside
the control ranges, and names whose length differs between UTF-8 and other encodings
(SPEC EKE-PW-1, EKE-KS-1, EKE-HS-1).

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

A name of 2-byte and 4-byte characters filling exactly 64 UTF-8 bytes is where the other
encodings part from UTF-8:

* its JSON text as `json.dumps` writes it by default (ensure_ascii: `é` is the six
  characters `\\u00e9`, an emoji the twelve of a surrogate pair) is 192 characters: a limit
  counted on the escaped form refuses it locally;
* Java's `DataOutputStream.writeUTF` (modified UTF-8, CESU-8) writes a character above
  U+FFFF as two 3-byte surrogates, 6 bytes instead of 4: a salt or transcript written that
  way (its u16 length prefix is the very `u16be(len)` the SPEC asks) gives another `pw` or
  `th`, and the login fails against every honest server;
* UTF-16 code units times three (a "widest encoding" bound) exceed 64 too.

The suite plays an honest server that derives pw from the name and password given:
EKE1 must name exactly that user and the login and a get must complete. A login that fails
after a correct EKE1 is reported against EKE-PW-1 and EKE-KS-1 together: on the wire a
wrong salt and a wrong transcript look alike (the client's C2 check fails either way).
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
CONTENT = b"logged in under a user name of characters beyond ASCII\n"
_TIMEOUT = 5.0

# kind: a valid user name (1-64 UTF-8 bytes, no C0, DEL or C1 code point)
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
    # 24 two-byte and 4 four-byte characters: 64 UTF-8 bytes, 72 of modified UTF-8,
    # 192 characters of ensure_ascii JSON, 32 UTF-16 units.
    "mixed-2-and-4-byte-64": "\u00e9" * 24 + "\U0001f600" * 4,
    # 16 emoji: 64 UTF-8 bytes, 96 of modified UTF-8 (surrogates), 32 UTF-16 units.
    "astral-64": "\U0001f600" * 16,
    # 21 three-byte characters and one ASCII letter: 64 UTF-8 bytes, 21 + 1 code points.
    "3-byte-64": "\u20ac" * 21 + "x",
}
_SLOW = frozenset({"astral-64", "3-byte-64", "u00ff-and-astral", "u0378-unassigned"})
_CONTROL = frozenset(range(0x20)) | frozenset(range(0x7F, 0xA0))


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
                pytest.mark.req("EKE-PW-1", "EKE-KS-1", "EKE-HS-1"),
                *([pytest.mark.slow] if kind in _SLOW else []),
            ],
            id=kind,
        )
        for kind in _USERS
    ],
)
def test_client_logs_in_under_every_kind_of_valid_name(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The client is given a valid user name: its EKE1 names exactly that user, and the
    login (salt and transcript of the name's UTF-8 bytes) and the get complete."""
    skip_slow_variant(request)
    user = _USERS[kind]
    assert 1 <= len(user.encode("utf-8")) <= 64, kind
    assert not any(ord(c) in _CONTROL for c in user), kind
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
    widths = (
        f"code points {', '.join(f'U+{ord(c):04X}' for c in user if ord(c) > 0x7E)}; "
        f"{len(user.encode('utf-8'))} UTF-8 bytes, {len(json.dumps(user)) - 2} characters "
        f"of ASCII-escaped JSON, {len(user.encode('utf-16-be')) // 2} UTF-16 units"
    )
    context = f"the client logs in as {user!r} ({kind}: {widths})"
    eke1 = _eke1_of(case.view.transcript)
    if eke1 is None:
        failure = ConformanceFailure.evidence(
            f"EKE-PW-1: {context}",
            "an EKE1 naming that user: 1-64 bytes of UTF-8 without control characters (C0, "
            "DEL, C1) is a valid user name the client MUST log in under (64 bytes included)",
            f"no EKE1 reached the server (refused locally?); {result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("EKE-PW-1",)
        raise failure
    try:
        obj = json.loads(eke1.decode("utf-8"))
    except ValueError:
        obj = None
    sent = obj.get("user") if isinstance(obj, dict) else None
    if sent != user:
        failure = ConformanceFailure.evidence(
            f"EKE-HS-1: {context}",
            f"EKE1 user {user!r} exactly as given",
            f"EKE1 payload {eke1[:160]!r}; {result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("EKE-HS-1",)
        raise failure
    complete = result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT
    if not complete:
        failure = ConformanceFailure.evidence(
            f"EKE-PW-1 / EKE-KS-1: {context}",
            "with the correct EKE1, an honest server's login completes: pw's salt and th "
            "hold u16be(len) and the name's UTF-8 bytes; then the get completes "
            f"(SHA-256 {hashlib.sha256(CONTENT).hexdigest()[:16]}...)",
            "the login or the get failed (a salt or transcript written in another encoding, "
            f"e.g. modified UTF-8, gives another pw or th); {result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("EKE-PW-1", "EKE-KS-1")
        raise failure
