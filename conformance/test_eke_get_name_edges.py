"""sft-eke/1 server: a get's RSFL names the request exactly, blanks, dots and case included
(docs/SPEC.md §3.3 APP-GET-7, APP-GET-2, §3.5 APP-NAME-3).

APP-GET-7: the `name` of the RSFL that answers an RQFL MUST be the request's name,
unchanged. The responder opens the right file but builds the answer's name from a
cleaned-up form of it — what a display or log helper does: `strip()` (the blanks at the
ends of a name), Windows' trimming of trailing dots and spaces, white space collapsed to
one blank, Unicode blanks (U+00A0, U+2003, U+3000) taken for spaces, or the name
lower-cased. Names §3.5 allows hold all of these. Files so named are written into the
share (when the target declares it on this host), each at the top and one in a
sub-directory, and each is got on one connection: RSFL.name is the request once decoded,
and the bytes are the file's.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import get_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure

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


@pytest.mark.req("APP-GET-7", "APP-GET-2")
def test_rsfl_names_the_request_with_its_blanks_dots_and_case(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel]
) -> None:
    share = _share(eke_target)
    tag = uuid.uuid4().hex[:8]
    names = {kind: pattern.format(t=tag) for kind, pattern in _PATTERNS.items()}
    channel = eke_channel_factory()
    with _files_in(share, list(names.values())) as contents:
        for kind, name in names.items():
            got = get_file(channel, name)
            rsfl = got.frames[0].json() or {}
            echoed = rsfl.get("name")
            if echoed != name:
                failure = ConformanceFailure.evidence(
                    f"{kind}: RQFL {name!r} of a file of the share",
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
