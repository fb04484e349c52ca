"""Look-alikes of `.` and `/` in a put's name stay literal characters (docs/SPEC.md §3.4
APP-PUT-2, APP-PUT-3, §3.5 APP-NAME-3).

The seed's traversal, in modern dress: the name is checked (no `..` component, no
absolute path), THEN rewritten — a "homoglyph defence" mapping full-width and other
compatibility forms to ASCII, NFKC, a transliteration for the file system — and the
rewritten name is what reaches the file system. `．．／x` (U+FF0E U+FF0E U+FF0F) passes
every check of §3.5 as one component, and becomes `../x`: stored beside the inbox. A name
MUST be used literally (APP-NAME-3), and a put is stored under the basename of the name
as offered, in the inbox, never elsewhere (APP-PUT-2).

The neighbouring cases put full-width LETTERS and ligatures (test_app_put.py,
test_app_put_name_folds.py); a rewrite limited to the path syntax — dots and slashes, the
characters a traversal needs — passes them. Here each name holds look-alikes of `.` and
`/` only: full-width full stop and solidus, the one- and two-dot leaders, the small full
stop, the division and fraction slashes, the big solidus. Each put, on its own connection:
- accepted, its DONE answered DONE (a `forbidden` is not judged here: APP-PUT-2's
  refusals have their own cases), then a second PUTF of the same name is `exists` before
  any data (APP-PUT-3: the inbox holds that name now);
- in a declared inbox: the file is there under the name exactly as sent, with its bytes,
  and nothing appeared under the ASCII rewriting of the name, inside the inbox or beside
  it (what a rewriting responder left beside the inbox is removed by the case).
Both profiles.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

# id -> (name as offered, its ASCII rewriting); {t} is a fresh tag.
_NAMES: Final[dict[str, tuple[str, str]]] = {
    "fullwidth-dotdot-solidus": ("\uff0e\uff0e\uff0f{t}.txt", "../{t}.txt"),
    "two-dot-leader-solidus": ("\u2025\uff0f{t}.txt", "../{t}.txt"),
    "one-dot-leaders": ("\u2024\u2024\uff0f{t}.txt", "../{t}.txt"),
    "small-full-stops": ("\ufe52\ufe52\uff0f{t}.txt", "../{t}.txt"),
    "fullwidth-solidus-dir": ("d{t}\uff0ff.txt", "d{t}/f.txt"),
    "division-slash": ("..\u2215{t}.txt", "../{t}.txt"),
    "fraction-slash": ("..\u2044{t}.txt", "../{t}.txt"),
    "big-solidus": ("..\u29f8{t}.txt", "../{t}.txt"),
    "fullwidth-dot-reserved": ("\uff0esft-partial-{t}", ".sft-partial-{t}"),
}


def _rewritten_places(inbox: Path, rewritten: str) -> list[Path]:
    """Where a responder storing the rewriting would have put the file."""
    places = [inbox / Path(rewritten).name]
    if rewritten.startswith("../"):
        places.append(inbox.parent / rewritten[3:])
    else:
        places.append(inbox / rewritten)
    return places


@pytest.mark.req("APP-PUT-2", "APP-NAME-3", "APP-PUT-3")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_put_of_separator_look_alikes_is_stored_literally(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    require(target, "put")
    tag = f"sft-fold-{uuid.uuid4().hex[:12]}"
    offered, rewritten = (s.format(t=tag) for s in _NAMES[kind])
    data = f"{kind}: {offered}\n".encode()
    digest = hashlib.sha256(data).hexdigest()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": offered, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("forbidden")])
    answer.check(f"APP-PUT-2: PUTF {offered!r}")
    assert answer.frame is not None
    if answer.frame.type == b"EROR":
        pytest.skip(f"the target refuses {offered!r} (forbidden): judged by APP-PUT-2's cases")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": digest})
    channel.expect([ExpectFrame("DONE", {"size": len(data), "sha256": digest})]).check(
        f"APP-PUT-2: DONE of the put of {offered!r}"
    )
    problems: list[str] = []
    inbox = target.inbox
    if inbox is not None:
        literal = inbox / offered
        try:
            held = literal.read_bytes()
        except OSError as exc:
            held = None
            problems.append(f"the inbox has no file {offered!r} ({type(exc).__name__})")
        if held is not None and held != data:
            problems.append(f"{literal} does not hold the bytes of the put")
        for place in _rewritten_places(inbox, rewritten):
            if place.exists() or place.is_symlink():
                problems.append(f"a file appeared under the rewritten name: {place}")
                if place.parent == inbox.parent and place.is_file():
                    place.unlink()  # outside the inbox: the case's own debris
    channel.send_frame("PUTF", {"name": offered, "size": len(data)})
    again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL"), ExpectError()])
    if again.frame is None or again.frame.error_name != "exists":
        problems.append(
            f"a second PUTF {offered!r} (the inbox holds it now) was answered "
            f"{again.describe()}, not exists"
        )
    channel.close()
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-PUT-2/APP-NAME-3: a put of {offered!r} ({kind}: look-alikes of '.' and '/', "
            f"one component, rewritten by a normaliser as {rewritten!r}), stored with DONE",
            "the file in the inbox under the name exactly as sent; nothing under the "
            "rewritten name; a second PUTF of the name answered exists",
            "\n".join(problems),
        )
