"""No alias passes the allow list by being a "special" one (docs/SPEC.md §4.3 PKI-ID-3).

PKI-ID-3: a responder configured with an allow list MUST answer every request of an
initiator not on it with `EROR forbidden` (or refuse it at the handshake); it MUST NOT
serve it. The cases beside this one (test_pki_allow_list_verdicts.py, test_pki_identity.py)
ask with a random stranger and with the responder's own alias. A leftover of development
or support passes them: an alias that is always let in — `admin`, `root`, `test`,
`debug`, `support`... ("support access", "the CI's certificate"), or an alias that
merely starts with such a word. Every one of them is a valid alias (PKI-CERT-2) the
organisation's CA may well issue to an employee, so an unlisted holder of one is served.

Here: a fresh valid certificate (root key, `lab_pki`) for each of a list of such aliases
and of a few extensions of them (`admin2`, `test-ci`...) that the target's allow list
does not hold, each asking for a missing name: each MUST be refused (`EROR forbidden`,
`auth_failed`, a refused handshake or the close), never answered `not_found` (served).

Fixtures (conformance/plugin.py): `target`, `transcripts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import TranscriptBook, responder_alias
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_pki_allow_list_verdicts import _ask
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# Names an implementer lets in "for support", "for tests", "for the operator".
_SPECIAL: Final = (
    "admin",
    "administrator",
    "root",
    "superuser",
    "test",
    "debug",
    "dev",
    "support",
    "operator",
    "system",
    "service",
    "guest",
    "anonymous",
    "default",
    "sft",
    "ca",
    "admin2",
    "test-ci",
    "root.ops",
    "debug_user",
)


@pytest.mark.req("PKI-ID-3")
def test_no_special_alias_passes_the_allow_list(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if not target.allow:
        pytest.skip("the target does not declare its allow list (`allow` in [pki])")
    own = responder_alias(target)
    aliases = [a for a in _SPECIAL if a not in target.allow and a != own]
    served: list[str] = []
    other: list[str] = []
    for index, alias in enumerate(aliases):
        verdict, seen = _ask(target, tmp_path, transcripts, alias, f"special-{index}")
        if verdict == "served":
            served.append(f"{alias!r}: {seen}")
        elif verdict != "refused":
            other.append(f"{alias!r}: {seen}")
    if served or other:
        raise ConformanceFailure(
            f"PKI-ID-3: allow list {list(target.allow)}; a valid certificate of each alias "
            "below, none of them on the list, asked for a missing name. Expected EROR "
            "forbidden (or a refused handshake, auth_failed, the close) for every one: no "
            "alias is let in for being 'admin', 'test', 'support'... Got:\n"
            + "\n".join([*(f"served {s}" for s in served), *(f"answered {o}" for o in other)]),
            violates=("PKI-ID-3",),
        )
