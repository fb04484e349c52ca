"""sft-pki/1 INITIATOR: the responder's `RSFL` and `DONE` may be written as any JSON text
of their object — members in any order, white space between tokens, strings with escapes
(docs/SPEC.md FRM-8, FRM-9, APP-GET-7).

FRM-8: a control payload is a JSON object (RFC 8259): its members are unordered (§4),
white space is allowed around every token (§2), and any character of a string may be
written as an escape (§7): `"\\u006fffered"` IS the string `offered`. FRM-9 names what
is malformed (`bad_frame`); an object in another spelling is not. The class of bug is a
reader that knows one spelling of the object, its own sender's: an sscanf or a regular
expression expecting `{"size":N,"sha256":"..."}` in that order, compact; a comparison of
RSFL.name with the request on the raw payload text, before the escapes are decoded
(APP-GET-7 lets an initiator fail a get whose RSFL names ANOTHER file, not one whose
name is spelled otherwise). The responders of the suite's other cases write the
reference's own compact, ordered encoding.

The suite plays the responder (test_pki_initiator_transfer.py's machinery) and answers the
get honestly, its frames spelled:

- `reordered`: `RSFL {"sha256", "size", "name"}` and `DONE {"sha256", "size"}`;
- `escaped-name`: RSFL.name written `"\\u006fffered\\u002ebin"` (= `offered.bin`, the
  name asked for);
- `spaced` (slow): space, tab, CR and LF around every token of both;
- `escaped-digest` (slow): DONE.sha256 with its first two digits as `\\u00XX` escapes.

The get MUST complete: exit 0, the file kept byte for byte under its final name, no
other file left.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_N = pki_lies.NAME.encode()
_S = str(pki_lies.SIZE).encode()
_D = pki_lies.DIGEST.encode()
assert _N == b"offered.bin"  # the escaped spelling below is of this name


def _esc(text: bytes) -> bytes:
    return b"".join(b"\\u%04x" % c for c in text)


_WS = b" \t\r\n"

# variant: (RSFL payload, DONE payload)
_SPELLINGS: dict[str, tuple[bytes, bytes]] = {
    "reordered": (
        b'{"sha256":"' + _D + b'","size":' + _S + b',"name":"' + _N + b'"}',
        b'{"sha256":"' + _D + b'","size":' + _S + b"}",
    ),
    "escaped-name": (
        b'{"name":"'
        + _esc(b"o")
        + b"ffered"
        + _esc(b".")
        + b'bin","size":'
        + _S
        + b',"sha256":"'
        + _D
        + b'"}',
        b'{"size":' + _S + b',"sha256":"' + _D + b'"}',
    ),
    "spaced": (
        _WS
        + b"{"
        + _WS
        + b'"name"'
        + _WS
        + b":"
        + _WS
        + b'"'
        + _N
        + b'"'
        + _WS
        + b","
        + _WS
        + b'"size"'
        + _WS
        + b":"
        + _WS
        + _S
        + _WS
        + b"}"
        + _WS,
        _WS
        + b"{"
        + _WS
        + b'"size"'
        + _WS
        + b":"
        + _WS
        + _S
        + _WS
        + b","
        + _WS
        + b'"sha256"'
        + _WS
        + b":"
        + _WS
        + b'"'
        + _D
        + b'"'
        + _WS
        + b"}"
        + _WS,
    ),
    "escaped-digest": (
        b'{"name":"' + _N + b'","size":' + _S + b"}",
        b'{"size":' + _S + b',"sha256":"' + _esc(_D[:2]) + _D[2:] + b'"}',
    ),
}
_REQS = {"escaped-name": ("FRM-9", "APP-GET-7")}
_SLOW = frozenset({"spaced", "escaped-digest"})


def _spelled(variant: str) -> pki_lies.Lie:
    rsfl, done = _SPELLINGS[variant]

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("RSFL", rsfl)
        r.data(pki_lies.CONTENT)
        r.frame("DONE", done)

    return lie


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(
            v,
            marks=[pytest.mark.req(*_REQS.get(v, ("FRM-9",)))]
            + ([pytest.mark.slow] if v in _SLOW else []),
            id=v,
        )
        for v in _SPELLINGS
    ],
)
def test_initiator_reads_any_json_spelling_of_rsfl_and_done(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _spelled(variant))
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    if not run.succeeded or kept != pki_lies.CONTENT or leftovers(run):
        shown = "no file" if kept is None else f"{len(kept)} bytes"
        if kept is not None and kept != pki_lies.CONTENT:
            shown += " (not the content sent)"
        reaction = got.responder.reaction
        rsfl, done = _SPELLINGS[variant]
        raise ConformanceFailure.evidence(
            f"FRM-9: an honest get of {pki_lies.SIZE} bytes whose RSFL and DONE are valid "
            f"JSON objects in another spelling ({variant}): RSFL {rsfl[:160]!r}, DONE "
            f"{done[:160]!r}",
            "the get completes: exit code 0, the file under its final name, no other file",
            f"exit code {run.returncode}, {shown}, other files {leftovers(run)}; its "
            f"answer: {reaction.describe() if reaction is not None else '-'}",
            note=got.describe(),
        )
