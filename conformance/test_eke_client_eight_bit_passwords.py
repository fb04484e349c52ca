"""An sft-eke/1 CLIENT derives pw from the UTF-8 bytes of its password and user name even
when every character would fit in one byte of an 8-bit charset (SPEC §5.1 EKE-PW-1).

EKE-PW-1: `pw = scrypt(P = password (UTF-8), S = "sft-eke/1" ‖ u16be(len(user)) ‖ user, …)`.
A client written where strings default to a platform charset (Java's `getBytes()` on an
ISO-8859-1 or windows-1252 locale, a C program's `wcstombs` under such a locale, Latin-1
"when it fits, UTF-8 otherwise") encodes `päss` as 70 E4 73 73, not 70 C3 A4 73 73, and
derives another pw; such a client still logs in with the suite's usual passwords, whose
Greek letters or combining accent do not fit Latin-1 and so take the UTF-8 path. Here
every non-ASCII character fits:

* `latin-1`: a password of ASCII and Latin-1 letters (ä ö ü ß é ñ ÿ);
* `cp1252` (slow): one of windows-1252's own characters (€ ‚ ‘ Œ …) and Latin-1 letters;
* `user-latin-1`: an ASCII password, the user name `zoë-…` (its bytes are the salt and
  are hashed into th: EKE-KS-1).

The suite plays an honest server holding pw of the real UTF-8 bytes; the get must
complete and keep the file byte for byte.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    client_user,
    get_with_password,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "latin.txt"
_CONTENT = b"a password every character of which fits in one byte\n"
# label -> (password prefix, user name or None for the target's account)
_CASES: dict[str, tuple[str, str | None]] = {
    "latin-1": ("p\u00e4ss w\u00f6rd \u00fc\u00df \u00e9\u00f1\u00ff-", None),
    "cp1252": ("\u20ac\u201a\u2018\u0152 p\u00e4ss-", None),
    "user-latin-1": ("ascii-password-", "zo\u00eb-"),
}


@pytest.mark.req("EKE-PW-1")
@pytest.mark.parametrize(
    "label",
    ["latin-1", pytest.param("cp1252", marks=pytest.mark.slow), "user-latin-1"],
)
def test_client_uses_the_utf8_of_an_eight_bit_password(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """A password (or user name) whose characters all fit in one byte of an 8-bit charset
    logs in with pw of its UTF-8 bytes."""
    skip_slow_variant(request)
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    if eke_target.client_cmd and "{password_file}" not in eke_target.client_cmd:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    prefix, user_prefix = _CASES[label]
    password = prefix + secrets.token_hex(3)
    user = client_user(eke_target) if user_prefix is None else user_prefix + secrets.token_hex(2)

    case, where = get_with_password(
        eke_target, tmp_path, transcripts, password,
        name=_NAME, content=_CONTENT, timeout=_TIMEOUT, user=user,
    )  # fmt: skip
    if where is None:
        return
    result = case.result
    encoded = password.encode("utf-8")
    raise ConformanceFailure.evidence(
        f"EKE-PW-1: user {user!r} ({user.encode('utf-8')!r}) with a password file holding "
        f"{encoded!r} ({label}; SHA-256 {hashlib.sha256(encoded).hexdigest()[:16]}…), the "
        "server deriving pw from exactly those UTF-8 bytes",
        "the login and the get complete (exit 0, the file kept byte for byte)",
        f"{where}; {result.describe()}",
        note=case.describe(),
    )
