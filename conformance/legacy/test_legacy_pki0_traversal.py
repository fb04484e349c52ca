"""Profile pki-legacy: names outside the share, spelt otherwise (LEG-PKI-5, §7.1.4).

The seed's responder opens `join(share, name)` as sent: any spelling of a path outside
the share reaches the file. test_legacy_pki0.py's LEG-PKI-5 case asks for the configured
traversal name (`../secret.txt`), `/etc/passwd` and `../../…/etc/passwd`. A port that
"fixes" the flaw with a deny-list — names starting with `../` or `/`, containing `/../`,
a `..` component, or an absolute path — refuses those spellings and still opens their
siblings: `./../secret.txt`, `..//secret.txt`, `//etc/passwd`, `/./etc/passwd`. Such a
responder has NOT confined names to its share (APP-NAME-2, APP-NAME-4: a name that
resolves outside the share MUST be refused), so the flaw is still there and this case
FAILs with the spelling that got through; a responder that refuses them all passes (and
the other case reports the fix).
"""

from __future__ import annotations

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import KnownContent, LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # as test_legacy_pki0.py's: a silent, open connection after the request


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _siblings(name: str) -> list[str]:
    """Spellings of `name` that resolve to the same file on a POSIX host, none of which
    starts with `../` and none with a single `/`."""
    if name.startswith("/"):
        rest = name.lstrip("/")
        return [f"//{rest}", f"/./{rest}"]
    return [f"./{name}", f".//{name}", name.replace("/", "//") if "/" in name else f"./{name}"]


def _names(target: LegacyPkiTarget) -> list[tuple[str, KnownContent | None, str]]:
    """(name asked, its content if the target file gives it, the spelling it stands for)."""
    bases: list[tuple[str, KnownContent | None]] = []
    if target.traversal is not None:
        bases.append(target.traversal)
    bases += [("/etc/passwd", None), ("../" * 24 + "etc/passwd", None)]
    names: list[tuple[str, KnownContent | None, str]] = []
    for base, known in bases:
        for sibling in dict.fromkeys(_siblings(base)):
            if sibling != base:
                names.append((sibling, known, base))
    return names


@pytest.mark.req("LEG-PKI-5", "APP-NAME-2", "APP-NAME-4")
def test_other_spellings_of_names_outside_the_share_are_served(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    served: list[tuple[str, str, bytes]] = []
    for name, known, base in _names(pki_legacy):
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
        content = session.content
        if session.undecryptable:  # served, in pieces the suite cannot read (FMT-6)
            hit = bool(session.rsfl_payloads)
            content = b"".join(session.rsfl_payloads)
        elif known is not None:
            hit = known.matches(content)
        elif pki_legacy.traversal is not None and base == pki_legacy.traversal[0]:
            hit = bool(content)
        else:
            hit = b"root:" in content  # /etc/passwd's first line
        if hit:
            served.append((name, base, content))
    if served:
        name, base, content = served[0]
        others = [n for n, _, _ in served[1:]]
        _fail(
            "LEG-PKI-5 / APP-NAME-2, APP-NAME-4 (names outside the share MUST be refused)",
            f"requested {name!r} (another spelling of {base!r}) and received its content "
            f"({len(content)} bytes, starting {content[:24]!r})"
            + (f"; also {others}" if others else ""),
        )
