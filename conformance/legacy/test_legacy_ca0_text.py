"""Profile pki-legacy: the CA's request is bytes, its alias a string compared as sent (§7.2).

The request body is UTF-8 JSON; "a body over 64 KiB" (LEG-CA-FMT-3: 413) is 65 536
BYTES, and the alias in the credentials is the account's name exactly (an unknown alias:
401). test_legacy_ca0*.py pad their bodies with ASCII spaces and spell the alias in ASCII
(case, spaces). A CA can pass them and still handle text the wrong way:
- the body read as text (`setEncoding('utf8')`, a `String`, a `str`) and its size
  counted in characters or UTF-16 units: a body of 70-80 000 bytes made of 2-, 3- and
  4-byte characters is "40 000 long", read whole and certified, where it MUST be 413;
- the alias normalised before the lookup (Unicode NFKC, "compatibility" forms): the
  fullwidth spelling of the account's name is the account, and an alias the
  organisation never gave gets a certificate, where it MUST be 401.
"""

from __future__ import annotations

import http.client
import json

import pytest

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

MAX_BODY = 65536  # LEG-CA-FMT-3: a body over 64 KiB (in bytes) is answered 413


def _enrolment(target: LegacyPkiTarget) -> tuple[str, str, bytes, str]:
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    return alias, password, target.root.read_bytes(), target.ca_url


def _public_pem(slot: int) -> bytes:
    return pki0.suite_key(slot).public_key().export_key("PEM") + b"\n"


def _shown(status: int, answer: bytes) -> str:
    if status == 200:
        try:
            cn = der.read_certificate_leniently(answer).subject_cn
            return f"200 and a certificate for CN={cn!r}"
        except ValueError:
            pass
    return f"{status} {answer[:40]!r}"


@pytest.mark.req("LEG-CA-FMT-3")
def test_the_body_limit_counts_bytes_not_characters(pki_legacy: LegacyPkiTarget) -> None:
    """The --enroll account's valid enrolment with one more member, `note`, a string of
    multi-byte characters: over 64 KiB in UTF-8 bytes (Content-Length says so), under
    65 536 in characters and in UTF-16 units. Each MUST be answered 413."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    honest = json.loads(pki0.verify_body(root_pem, alias, password, _public_pem(10)))
    fillers = {"é (2 bytes)": "\u00e9" * 36_000, "€ (3 bytes)": "\u20ac" * 24_000,
               "😀 (4 bytes, 2 UTF-16 units)": "\U0001f600" * 18_000}  # fmt: skip
    wrong, judged = [], 0
    for what, note in fillers.items():
        body = json.dumps({**honest, "note": note}, ensure_ascii=False).encode("utf-8")
        text = body.decode("utf-8")
        units = len(text.encode("utf-16-le")) // 2
        assert len(body) > MAX_BODY and len(text) < MAX_BODY and units < MAX_BODY
        try:
            status, answer = pki0.post_verify(url, body)
        except (OSError, http.client.HTTPException):
            continue  # closed while the body was in flight, before an answer: not judged
        judged += 1
        if status != 413:
            wrong.append(f"{len(body)} bytes of {len(text)} characters ({units} UTF-16 "
                         f"units), the note of {what}: {_shown(status, answer)}")  # fmt: skip
    if not judged:
        pytest.skip("not judged: the CA closed each connection before answering")
    assert not wrong, (
        "LEG-CA-FMT-3 (a body over 64 KiB MUST be answered 413; the body is bytes) "
        f"violated: {alias!r}'s valid enrolment, made longer than 65 536 bytes with "
        "multi-byte characters, was not refused as too large: " + "; ".join(wrong)
    )


def _fullwidth(text: str) -> str:
    """ASCII 0x21-0x7e as their fullwidth forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.req("LEG-CA-FMT-3")
def test_an_alias_that_normalises_to_the_account_is_unknown(pki_legacy: LegacyPkiTarget) -> None:
    """The account's name in fullwidth letters (whole, and its first letter only), with
    the account's password: names the organisation never gave, each an unknown alias
    (401 — another refusal is the status cases' business; the finding is a certificate)."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    variants = [_fullwidth(alias), _fullwidth(alias[:1]) + alias[1:]]
    issued = []
    for name in dict.fromkeys(v for v in variants if v != alias):
        status, answer = pki0.post_verify(
            url, pki0.verify_body(root_pem, name, password, _public_pem(10))
        )
        if status == 200:
            issued.append(f"{name!r}: {_shown(status, answer)}")
    assert not issued, (
        "LEG-CA-FMT-3 (an unknown alias MUST be answered 401, not served) violated: with "
        f"the password of {alias!r}, " + "; ".join(issued)
    )
