"""sft-pki/1 INITIATOR: a name holding URL punctuation is asked for whole (docs/SPEC.md
APP-NAME-3).

"A name is not a URL: `?`, `#`, `;`, `&` and `+` are characters of it, and no query,
fragment or parameter is split off" (APP-NAME-3). test_client_pki_request_names.py gives
the client names a tidy-minded client trims, folds or decodes; none holds these
characters, so a client that reads its argument as the path of a URL — `urlsplit`, or
`split('?')[0]` / `split('#')[0]`, a `;param` cut RFC 3986's old way, `+` decoded to a
space as in a form — passes it. Here each character gets a name of its own (a client may
mistreat one and not the others): the suite plays the responder and the RQFL's `name`
must be exactly the name the client was given. (For sft-eke/1 the same rule is
test_eke_client_name_literals.py's.)

A client that refuses such a name before connecting never reaches the suite: the case is
then an ERROR (nothing judged), not a PASS.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_request_names import _check_name_asked

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_NAMES = {
    "query": "report.txt?v=2",
    "fragment": "notes#draft.txt",
    "query-then-fragment": "a?b#c",
    "semicolon-parameter": "data;type=a.csv",
    "ampersand": "r&d.txt",
    "plus": "c++ notes.txt",
}


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("label", list(_NAMES))
def test_pki_initiator_asks_for_a_name_with_url_punctuation_whole(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    _check_name_asked(
        target,
        tmp_path,
        transcripts,
        _NAMES[label],
        label,
        " (no query, fragment or parameter split off, no form decoding)",
    )
