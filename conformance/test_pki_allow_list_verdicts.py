"""The allow list's verdict is the client's own: each listed alias served, every other
refused — the responder's own alias included (docs/SPEC.md §4.3 PKI-ID-3, PKI-ID-4).

PKI-ID-4: the comparison of PKI-ID-3 "MUST be byte-exact on the subject's single CN" of
the initiator's certificate. The cases beside this one (test_pki_certs.py,
test_pki_identity.py, test_ops_pki_allow_alias.py) judge strangers and look-alikes: they
must be refused. Nothing judged the other half, and a verdict taken from the wrong name
passes them all when that name is not on the list: the responder's OWN alias
(`self.alias in allow` for `alias in allow` — two variables of one name in the
connection handler), the alias of the connection before, a name from the configuration,
or the first entry of the list only. Such a responder refuses every listed employee
(`forbidden` for all) — or, when its own alias is on its list, serves everyone.

The case needs the target's allow list (`allow` in its target file) and the root key
(`lab_pki`: it mints valid employee certificates). For each alias on the list (at most
eight): a fresh certificate of that alias, a get of a missing name: `EROR not_found` —
served, not refused. Then the aliases that are not on it — the responder's own alias
(when its list does not name it) and a fresh stranger: `EROR forbidden` (or the
handshake refused, `auth_failed`, or the close: PKI-ID-3, PKI-TLS-10). A listed alias
refused is PKI-ID-4's failure (the verdict was not taken on its CN); an unlisted one
served is PKI-ID-3's.

Fixtures (conformance/plugin.py): `target`, `transcripts`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, lab_pki, responder_alias
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_pki_certs import _close_bound
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError

__all__: list[str] = []

_MAX_LISTED: Final = 8


def _ask(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, alias: str, label: str
) -> tuple[str, str]:
    """('served' | 'refused' | 'other', what happened) for a get of a missing name by a
    fresh valid certificate of `alias`."""
    assert target.root is not None
    cert, key = lab_pki(target).employee(alias).write(tmp_path, label)
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=alias
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return "refused", f"handshake refused: {result.reason}"
    transcripts.add(result)
    try:
        result.close_within = _close_bound(target)
        result.send_frame("RQFL", {"name": fresh_name("sft-allow-verdict")})
        outcome = result.expect(
            [
                ExpectError("not_found"),
                ExpectError("forbidden"),
                ExpectError("auth_failed"),
                ExpectClose(),
            ]
        )
        seen = outcome.actual.describe()
        if not outcome.ok:
            return "other", seen
        frame = outcome.frame
        if frame is not None and frame.error_name == "not_found":
            return "served", seen
        return "refused", seen
    finally:
        result.close()


@pytest.mark.req("PKI-ID-4", "PKI-ID-3")
def test_each_listed_alias_is_served_and_the_others_refused(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if not target.allow:
        pytest.skip("the target does not declare its allow list (`allow` in [pki])")
    listed = list(dict.fromkeys(target.allow))[:_MAX_LISTED]
    own = responder_alias(target)
    unlisted = [a for a in (own, f"sft-stranger-{uuid.uuid4().hex[:12]}") if a not in target.allow]
    problems: list[str] = []
    violated: set[str] = set()
    for index, alias in enumerate(listed):
        verdict, seen = _ask(target, tmp_path, transcripts, alias, f"listed-{index}")
        if verdict != "served":
            violated.add("PKI-ID-4")
            problems.append(f"{alias!r} (on the allow list): {seen}")
    for index, alias in enumerate(unlisted):
        verdict, seen = _ask(target, tmp_path, transcripts, alias, f"unlisted-{index}")
        if verdict != "refused":
            violated.add("PKI-ID-3")
            what = "the responder's own alias" if alias == own else "a stranger"
            problems.append(f"{alias!r} ({what}, not on the allow list): {seen}")
    if problems:
        raise ConformanceFailure(
            f"PKI-ID-3/4: allow list {list(target.allow)}; a valid certificate of each alias "
            "asked for a missing name. Expected EROR not_found for every listed alias (the "
            "verdict is taken on the client's CN, byte for byte) and EROR forbidden, or a "
            "refusal, for every other. Got:\n" + "\n".join(problems),
            violates=tuple(sorted(violated)),
        )
