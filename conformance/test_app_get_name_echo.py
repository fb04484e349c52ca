"""A get's RSFL names the request exactly, whatever its characters (docs/SPEC.md §3.3
APP-GET-7, APP-GET-2, §1 FRM-14).

APP-GET-7: the `name` of the RSFL answering an RQFL MUST be the request's name, unchanged.
What breaks it is the responder's JSON ENCODER, the inverse of the decoder every other
case exercises: a hand-rolled `\\u` escaper that writes a code point above U+FFFF as
`\\u1f600` (five hex digits: JSON reads `\\u1f60` and a `0`) instead of a surrogate pair,
one that escapes UTF-16 units of the wrong byte order, or one that drops or replaces what
it does not know. The name then comes back as another string — the initiator that checks
it fails an honest transfer, the one that displays it shows a wrong name.

The class (lens 2 of round 18, "encoder vs decoder"): files named with characters at the
encoder's boundaries — the first and a late supplementary-plane code point, an emoji,
U+FFFD and a private-use character, U+2028 (raw in JSON, escaped by some encoders), HTML
characters `<>&` (escaped as `\\u003c` by Go's encoder: still the same string once
decoded) and a quotation mark — are written into the share (when the target declares it
on this host) and each is got: RSFL.name equals the request once decoded, and the bytes
are the file's. One connection. Both profiles.

A second case (round 26) looks for a responder that opens the right file but builds the
answer's name from a cleaned-up form of it — what a display or log helper does: `strip()`,
Windows' trimming of trailing dots and spaces, white space collapsed to one blank, Unicode
blanks (U+00A0, U+2003, U+3000) taken for spaces, or the name lower-cased. Names §3.5
allows hold all of these; one sits in a sub-directory.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, get_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure

# id -> the character under test, put inside an otherwise plain name.
_CHARACTERS: dict[str, str] = {
    "first-astral-U+10000": "\U00010000",
    "emoji-U+1F600": "\U0001f600",
    "clef-U+1D11E": "\U0001d11e",
    "late-plane-U+10FFFD": "\U0010fffd",
    "replacement-U+FFFD": "\ufffd",
    "private-use-U+E000": "\ue000",
    "line-separator-U+2028": "\u2028",
    "decomposed-e-U+0301": "e\u0301",  # NFD: an NFC-ing encoder changes it
    "zero-width-nbsp-U+FEFF": "\ufeff",
    "html-chars": "<>&",
    "quotation-mark": '"',
}


# id -> a name pattern ({t} the run's tag), valid by §3.5.
_PATTERNS: dict[str, str] = {
    "leading-space": " sft-b26-{t}-lead.txt",
    "trailing-space": "sft-b26-{t}-trail.txt ",
    "spaces-both-ends": "  sft-b26-{t}-both.txt  ",
    "double-space-inside": "sft-b26-{t}  two.txt",
    "trailing-dot": "sft-b26-{t}-dot.",
    "trailing-dots-and-space": "sft-b26-{t}-dots.. .",
    "nbsp-at-end": "sft-b26-{t}-nbsp\u00a0",
    "em-space-at-start": "\u2003sft-b26-{t}-em",
    "ideographic-space-at-end": "sft-b26-{t}-ideo\u3000",
    "upper-case": "SFT-B26-{t}-UPPER.TXT",
    "nested-blanks": "sft-b26-{t}-dir/ inner .txt ",
}


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    return share


@contextlib.contextmanager
def _files_in(share: Path, names: list[str]) -> Iterator[dict[str, bytes]]:
    contents: dict[str, bytes] = {}
    made_dirs: list[Path] = []
    try:
        for name in names:
            path = share / name
            if path.parent != share and not path.parent.exists():
                path.parent.mkdir()
                made_dirs.append(path.parent)
            data = f"file named {name!r}\n".encode("utf-8", "backslashreplace")
            path.write_bytes(data)
            contents[name] = data
        yield contents
    finally:
        for name in names:
            with contextlib.suppress(OSError):
                (share / name).unlink()
        for directory in made_dirs:
            with contextlib.suppress(OSError):
                directory.rmdir()


def _echoes_each(channel: Channel, share: Path, names: dict[str, str]) -> None:
    """Gets each of `names` (id -> name), written into the share, on `channel`: RSFL.name
    is the request once decoded, and the bytes are the file's."""
    with _files_in(share, list(names.values())) as contents:
        for kind, name in names.items():
            got = get_file(channel, name)
            rsfl = got.frames[0].json() or {}
            echoed = rsfl.get("name")
            if echoed != name:
                failure = ConformanceFailure.evidence(
                    f"{kind}: RQFL {name!r} ({name.encode()!r}) of a file of the share",
                    f"RSFL.name == the request, unchanged [APP-GET-7]: {name!r}",
                    f"RSFL.name {echoed!r} (payload {got.frames[0].payload[:160]!r})",
                )
                failure.violates = ("APP-GET-7",)
                raise failure
            if got.data != contents[name]:
                raise ConformanceFailure(
                    f"APP-GET-2: {kind}: the get of {name!r} returned {len(got.data)} bytes "
                    f"that are not the file's {len(contents[name])}"
                )


@pytest.mark.req("APP-GET-7", "APP-GET-2")
def test_rsfl_names_the_request_whatever_its_characters(
    target: Target, app_channel: AppChannel
) -> None:
    """Files of the share named with characters at a JSON encoder's boundaries: each get's
    RSFL.name, decoded, is the request's name, and the bytes are the file's."""
    share = _share(target)
    tag = uuid.uuid4().hex[:8]
    names = {
        kind: f"sft-b18-{tag}-{char}-{i}.txt" for i, (kind, char) in enumerate(_CHARACTERS.items())
    }
    _echoes_each(app_channel(), share, names)


@pytest.mark.req("APP-GET-7", "APP-GET-2")
def test_rsfl_names_the_request_with_its_blanks_dots_and_case(
    target: Target, app_channel: AppChannel
) -> None:
    """Files named with blanks at either end or doubled, trailing dots, Unicode blanks,
    upper case, one in a sub-directory: each RSFL.name is the request, unchanged."""
    share = _share(target)
    tag = uuid.uuid4().hex[:8]
    _echoes_each(app_channel(), share, {k: p.format(t=tag) for k, p in _PATTERNS.items()})
