"""Profile pki-legacy: a name is the file of that name, byte for byte (§7.1.3).

The responder "opens share/NAME", NAME the UTF-8 decryption of RQFL, and "a file that
cannot be opened MUST be answered with a close and no RSFL" (LEG-PKI-FMT-7).
test_legacy_pki0.py asks for a name that is nowhere near a file of the share. A responder
can pass that and still serve a file for a name that is NOT its name:
- the name tidied before it is opened: `trim()` / `strip()` of a space, a tab or a
  newline a user might have typed, a C string cut at its first NUL;
- no name at all taken as "everything": an empty name (`share/` itself, a directory, no
  file) answered with a listing of the share, or with some default file.
Asked here: the target's known file (target.toml, `[files]`) spelt with a space before or
after, a tab, a newline, a CRLF, a NUL and a suffix after a NUL; and the empty name, `.`
and `./` (the share directory). On a POSIX host none of them is a file of the share (the
suite's spellings, like test_legacy_pki0_traversal.py's, assume POSIX paths: a Windows
host strips trailing spaces itself). Not asked: `NAME/`, which Go's filepath.Join, Node's
path.resolve and Java's File turn into `NAME` (the language's path clean-up, not a choice
of the responder). Each MUST get a close with no RSFL and no other frame, within the
bounded wait the missing-file case uses.
"""

from __future__ import annotations

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # as test_legacy_pki0.py's: a silent, open connection after the request


def _near(name: str) -> list[str]:
    """Names that differ from `name` by what a tidy-up would remove; none is `name`."""
    spellings = [
        f"{name} ",
        f" {name}",
        f"{name}\t",
        f"{name}\n",
        f"{name}\r\n",
        f"{name}\x00",
        f"{name}\x00.txt",
        "",
        ".",
        "./",
    ]
    return [s for s in dict.fromkeys(spellings) if s != name]


@pytest.mark.req("LEG-PKI-FMT-7")
def test_a_name_near_a_file_is_no_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    known = pki_legacy.known_file
    if known is None:
        pytest.skip("needs a file of the share: target.toml [files]")
    served: list[str] = []
    for name in _near(known.name):
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
        f"RSFL) violated: names that are not {known.name!r} nor any file of the share, "
        "each answered otherwise than a bare close: " + "; ".join(served)
    )
