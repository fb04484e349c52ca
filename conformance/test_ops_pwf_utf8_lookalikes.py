"""PWF-1: a password file in one of UTF-8's look-alikes is refused, never used (SPEC
PWF-1: "A file that is not UTF-8 ... MUST be refused with an error").

test_eke_client_password_file.py refuses a file ending in FF FE, bytes no decoder takes
for UTF-8. A lenient decoder refuses those too, yet takes byte sequences RFC 3629 forbids:
an encoded surrogate (ED A0 80 .. ED BF BF: Python's `surrogatepass`, CESU-8, Java's
modified UTF-8, MySQL's utf8mb3 habit; a reader made to agree with a password hash that
accepts lone surrogates), a surrogate pair spelled as two 3-byte sequences (CESU-8), an
overlong form (C0 80, Java's modified UTF-8 for U+0000; E0 80 AF and F0 80 80 AF, the
overlong '/'), a code point above U+10FFFF (F4 90 80 80), a 5-byte form (F8 88 80 80 80),
a sequence cut at the end of the line (E2 82), a lone continuation byte (80). Such a
client logs in with a password the file does not hold as UTF-8 text — one another,
strict tool would refuse — instead of saying the file is wrong.

The client is pointed at the suite's own listener, which only watches: a client that
refused the file never sends `EKE1` (only an `EKE1` shows a password in use) and exits
non-zero. Each file holds a printable password with the sequence in its middle and a
trailing LF.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    client_template,
)
from conformance.target import Target
from conformance.test_eke_client_password_file import offer_password_file
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

# Sequences that are not UTF-8 (RFC 3629 §3-4) but that some decoder reads as characters.
_LOOKALIKES = {
    "encoded-surrogate-d800": b"\xed\xa0\x80",
    "encoded-surrogate-dfff": b"\xed\xbf\xbf",
    "cesu-8-surrogate-pair": b"\xed\xa0\xbd\xed\xb8\x80",
    "overlong-nul-c0-80": b"\xc0\x80",
    "overlong-3-byte-slash": b"\xe0\x80\xaf",
    "overlong-4-byte-slash": b"\xf0\x80\x80\xaf",
    "above-u+10ffff": b"\xf4\x90\x80\x80",
    "five-byte-form": b"\xf8\x88\x80\x80\x80",
    "cut-sequence-at-line-end": b"\xe2\x82",
    "lone-continuation-byte": b"\x80",
}


def _file_content(label: str) -> bytes:
    sequence = _LOOKALIKES[label]
    head = ("pwf-lookalike-" + secrets.token_hex(4)).encode("ascii")
    if label == "cut-sequence-at-line-end":
        return head + sequence + b"\n"
    return head + sequence + b"-tail\n"


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", sorted(_LOOKALIKES))
def test_initiator_refuses_a_password_file_that_only_looks_like_utf8(
    eke_target: Target, tmp_path: Path, label: str
) -> None:
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    template = client_template(eke_target)
    if "{password_file}" not in template:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    content = _file_content(label)
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # the case's own premise: the file is not UTF-8
        raise AssertionError(f"{label}: {content!r} decodes as UTF-8")
    server, result = offer_password_file(eke_target, template, tmp_path, content)
    if server.view.saw("EKE1") or result.succeeded:
        raise ConformanceFailure.evidence(
            f"PWF-1: the client was given a password file that is not UTF-8 ({label}: "
            f"{_LOOKALIKES[label].hex(' ')} inside its line, which RFC 3629 forbids)",
            "the file refused with an error: no EKE1 sent (no password taken from it), "
            "non-zero exit",
            f"the suite's listener saw {server.view.frames or 'no frame'}; {result.describe()}",
        )
