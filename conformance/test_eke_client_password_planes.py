"""An sft-eke/1 CLIENT derives pw from its password's UTF-8 bytes, characters above U+FFFF
included (SPEC §5.1 EKE-PW-1, PWF-1).

EKE-PW-1: `pw = scrypt(P = password (UTF-8), …)`, the password used as given; PWF-1: the
password file is UTF-8 text. The suite's passwords (eke_hostile.fresh_password, the
password-file cases) hold Latin and Greek letters and a combining accent: characters of
the Basic Multilingual Plane, where UTF-8 and its look-alikes agree. They part above
U+FFFF: a client that encodes the password from its UTF-16 code units (Java's
`DataOutputStream.writeUTF`, "modified UTF-8", CESU-8, MySQL's utf8mb3 habit) writes an
emoji as two 3-byte surrogates (ED A0 BD ED B8 80) instead of one 4-byte sequence
(F0 9F 98 80), and derives another pw; so does one that counts or cuts the password in
UTF-16 units. The login then fails against an honest server, for passphrases that people
do type on phones.

The suite plays an honest server holding pw of the password's real UTF-8 bytes; the
client's password file holds (no line end) a passphrase with U+1F511 and U+1F600 (slow:
U+10000 and U+10FFFD, the first and the last planes' edges). The get must complete and
keep the file byte for byte.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest

from conformance.eke_hostile import (
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
_NAME = "planes.txt"
_CONTENT = b"a password beyond the Basic Multilingual Plane\n"
_PASSWORDS = {
    "emoji": "\U0001f511 open sesame \U0001f600 ",
    "plane-edges": "\U00010000-edge-\U0010fffd",
}


@pytest.mark.req("EKE-PW-1", "PWF-1")
@pytest.mark.parametrize("label", ["emoji", pytest.param("plane-edges", marks=pytest.mark.slow)])
def test_client_uses_the_utf8_of_a_password_beyond_the_bmp(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """A password holding characters above U+FFFF logs in with pw of its UTF-8 bytes."""
    skip_slow_variant(request)
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    if eke_target.client_cmd and "{password_file}" not in eke_target.client_cmd:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    password = _PASSWORDS[label] + secrets.token_hex(3)

    case, where = get_with_password(
        eke_target, tmp_path, transcripts, password,
        name=_NAME, content=_CONTENT, timeout=_TIMEOUT,
    )  # fmt: skip
    if where is None:
        return
    result = case.result
    encoded = password.encode("utf-8")
    raise ConformanceFailure.evidence(
        f"EKE-PW-1: a password file holding {encoded!r} ({label}; SHA-256 "
        f"{hashlib.sha256(encoded).hexdigest()[:16]}…), the server deriving pw from exactly "
        "those UTF-8 bytes",
        "the login and the get complete (exit 0, the file kept byte for byte)",
        f"{where}; {result.describe()}",
        note=case.describe(),
    )
