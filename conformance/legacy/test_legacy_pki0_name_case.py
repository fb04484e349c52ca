"""Profile pki-legacy: a name is the file of that name, letter case included (§7.1.3).

The responder "opens share/NAME", NAME the UTF-8 decryption of RQFL, and "a file that
cannot be opened MUST be answered with a close and no RSFL" (LEG-PKI-FMT-7).
test_legacy_pki0_near_names.py asks for the known file spelt with what a tidy-up removes
(spaces, a newline, a NUL). A responder can refuse those and still serve a file for a name
that differs from it only in letter case or in its Unicode form:
- a fallback added for files copied from a case-insensitive system ("files copied from
  Windows"): a name that is not found is matched case-insensitively in its directory
  (`readdir` + `toLowerCase`, `equalsIgnoreCase`, `strings.EqualFold`), or every name is
  lower-cased before it is opened;
- a name normalised before it is opened (NFC, NFKC): the fullwidth letters of a name
  (U+FF41 for `a`) are a different name, byte for byte, that NFKC turns into the file's.
Asked here: the target's known file (target.toml, `[files]`) in upper case, capitalised,
with its case swapped, with only its extension in upper case, and with its first ASCII
letter fullwidth; spellings that are another known file of the target are not asked. On a
case-sensitive POSIX filesystem (the reference's Linux hosts) none of them is a file of the
share (a share on a case-insensitive filesystem, macOS's and Windows' default, serves the
case variants itself: run the audit of such a deployment with `-k "not name_case"`).
Each MUST get a close with no RSFL and no other frame, within the bounded wait the
missing-file case uses.
"""

from __future__ import annotations

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # as test_legacy_pki0.py's: a silent, open connection after the request


def _fullwidth_first_letter(name: str) -> str:
    for i, ch in enumerate(name):
        if "a" <= ch.lower() <= "z" and ch.isascii():
            return name[:i] + chr(ord(ch) - 0x21 + 0xFF01) + name[i + 1 :]
    return name


def _case_spellings(name: str, others: set[str]) -> list[str]:
    """Names that differ from `name` in letter case or Unicode form only; none is `name`
    nor another known file."""
    stem, dot, ext = name.rpartition(".")
    spellings = [
        name.upper(),
        name.capitalize(),
        name.swapcase(),
        f"{stem}{dot}{ext.upper()}" if dot else name.upper(),
        _fullwidth_first_letter(name),
    ]
    return [s for s in dict.fromkeys(spellings) if s != name and s not in others]


@pytest.mark.req("LEG-PKI-FMT-7")
def test_a_name_in_another_case_is_no_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    known = pki_legacy.known_file
    if known is None:
        pytest.skip("needs a file of the share: target.toml [files]")
    others = {n for n in (pki_legacy.empty_file,) if n}
    spellings = _case_spellings(known.name, others)
    if not spellings:
        pytest.skip(f"not judged: the known file's name {known.name!r} has no letter")
    served: list[str] = []
    for name in spellings:
        session = pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            suite_identity.certificate_pem,
            suite_identity.key,
            name,
            patience=PATIENCE,
        )
        if session.answer is None or session.answer.type != b"RSCV":
            pytest.skip(
                f"not judged: the suite's certificate got {session.answer!r}, not RSCV (the "
                "format cases say how)"
            )
        if session.hung:
            served.append(f"{name!r}: neither a frame nor a close within {PATIENCE} s after RQFL")
            continue
        if not session.rsfl_payloads and not session.other_frames:
            continue
        content = session.content
        what = (
            f"the content of {known.name!r} ({known.size} bytes)"
            if known.matches(content)
            else f"{len(content)} bytes starting {content[:32]!r}"
            if not session.undecryptable
            else f"{len(session.rsfl_payloads)} pieces the suite cannot decrypt"
        )
        frames = [f.type for f in session.other_frames]
        served.append(
            f"{name!r}: {len(session.rsfl_payloads)} RSFL ({what})"
            + (f" and frames {frames}" if frames else "")
        )
    assert not served, (
        "LEG-PKI-FMT-7 (a file that cannot be opened MUST be answered with a close and no "
        f"RSFL; NAME is opened byte for byte) violated: names that differ from "
        f"{known.name!r} in letter case or Unicode form only, none a file of the share, each "
        "answered otherwise than a bare close: " + "; ".join(served)
    )
