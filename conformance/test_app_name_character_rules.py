"""Names §3.5 allows, refused by a character rule wider than the SPEC's (docs/SPEC.md §3.4
APP-PUT-2, §3.5 APP-NAME-1/2/7/8).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. §3.5 refuses characters by
exact lists: the drive-letter rule is `[A-Za-z]:` at the start (APP-NAME-2), the bidi rule
is U+202A–U+202E and U+2066–U+2069 (APP-NAME-8), and the limits count the name's UTF-8
bytes (APP-NAME-1). A responder MUST NOT refuse a put "for any character §3.5 allows"
(APP-PUT-2), nor a name within the limits for its length (APP-NAME-7: a get of it that
names no file is `not_found`).

The class of bug: a rule written with a library's character class or encoding instead
of the SPEC's list —
- the drive-letter test with a Unicode `isalpha()` / `\\p{L}` / `Character.isLetter`:
  `é:`, `ж:`, a full-width `ａ:` or a title-case `ǅ:` refused;
- the bidi test with Unicode's Bidi_Control property or the Cf category: the marks
  U+200E (LRM), U+200F (RLM) and U+061C (ALM), which neither embed, override nor isolate,
  refused — and with them the joiners of real names (ZWJ in emoji sequences, ZWNJ in
  Persian words);
- the length measured on an encoded copy of the name (its JSON text with `\\uXXXX`
  escapes, UTF-16 units, a quoted form): a name of 2-byte characters, of quotes or of
  emoji well within 4096 UTF-8 bytes refused `forbidden`.
Puts are checked on the wire (RSFL accept, DONE, then `exists` for the basename) and, when
the target declares its inbox, on disk; gets of the long names must be `not_found`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import AppChannel, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


def _tag() -> str:
    return uuid.uuid4().hex[:10]


def _label(name: str) -> str:
    special = sorted({f"U+{ord(c):04X}" for c in name if ord(c) > 0x7E})
    shown = name if len(name) <= 80 else f"{name[:60]}...({len(name.encode())} bytes)"
    return f"{shown!r}" + (f" [{', '.join(special[:6])}]" if special else "")


def _long(piece: str, tag: str) -> str:
    """A name of at most 4096 UTF-8 bytes made of `piece` in components of at most 255
    bytes, ending in a component that carries the tag (so that puts never collide)."""
    width = len(piece.encode())
    component = piece * (255 // width)
    last = f"{tag}-" + piece * ((255 - len(tag) - 1) // width)
    parts: list[str] = []
    while len("/".join([*parts, component, last]).encode()) <= 4096:
        parts.append(component)
    name = "/".join([*parts, last])
    assert len(name.encode()) <= 4096 and all(
        1 <= len(p.encode()) <= 255 for p in name.split("/")
    )
    return name


# id -> a function of a fresh tag giving a name §3.5 allows.
_DRIVE_LIKE: dict[str, Callable[[str], str]] = {
    "latin-small-e-acute": lambda t: f"\u00e9:sft-b16-{t}.txt",
    "cyrillic-zhe": lambda t: f"\u0436:sft-b16-{t}",
    "fullwidth-a": lambda t: f"\uff41:sft-b16-{t}.txt",
    "titlecase-dz": lambda t: f"\u01c5:sft-b16-{t}",
    "greek-alpha": lambda t: f"\u03b1:sft-b16-{t}",
    "digit": lambda t: f"7:sft-b16-{t}",
    "colon-later": lambda t: f"ab:sft-b16-{t}",
}
_MARKS: dict[str, Callable[[str], str]] = {
    "lrm": lambda t: f"sft-b16-{t}-\u200e-left.txt",
    "rlm": lambda t: f"sft-b16-{t}-\u05e9\u05dc\u05d5\u05dd\u200f.txt",
    "alm": lambda t: f"sft-b16-{t}-\u0645\u0644\u0641\u061c.txt",
    "zwj-emoji": lambda t: f"sft-b16-{t}-\U0001f468\u200d\U0001f469\u200d\U0001f467.txt",
    "zwnj-persian": lambda t: f"sft-b16-{t}-\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.txt",
}
_LONG: dict[str, Callable[[str], str]] = {
    "two-byte": lambda t: _long("\u00e9", f"sft-b16-{t}"),
    "three-byte": lambda t: _long("\u65e5", f"sft-b16-{t}"),
    "four-byte": lambda t: _long("\U0001f600", f"sft-b16-{t}"),
    "quotes": lambda t: _long('"', f"sft-b16-{t}"),
    "no-break-space": lambda t: _long("\u00a0", f"sft-b16-{t}"),
}
_PUT_NAMES = {
    **{f"drive-like-{k}": v for k, v in _DRIVE_LIKE.items()},
    **{f"mark-{k}": v for k, v in _MARKS.items()},
    **{f"long-{k}": v for k, v in _LONG.items()},
}


@pytest.mark.req("APP-PUT-2", "APP-PUT-1")
@pytest.mark.parametrize("kind", list(_PUT_NAMES))
def test_put_of_a_name_beside_the_character_rules_is_stored(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A PUTF of a name none of §3.5's rules refuses is accepted and stored under its
    basename: `forbidden` here is a character class or a length measure wider than the
    SPEC's."""
    require(target, "put")
    offered = _PUT_NAMES[kind](_tag())
    base = offered.rsplit("/", 1)[-1]
    data = f"put of a {kind} name\n".encode()
    channel = app_channel()
    answer, final = put_file(channel, offered, data)
    if answer.frame is None or answer.frame.type != b"RSFL":
        failure = ConformanceFailure.evidence(
            f"APP-PUT-2: PUTF of {_label(offered)} ({kind}: no rule of §3.5 refuses it — "
            "the drive-letter rule is [A-Za-z]: only, the bidi rule U+202A-U+202E and "
            "U+2066-U+2069 only, the limits count UTF-8 bytes)",
            "RSFL {accept: true}: the put is stored under its basename",
            answer.describe(),
        )
        failure.violates = ("APP-PUT-2",)
        raise failure
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-5: the put of {_label(offered)} ({kind}), accepted",
            f"DONE {want}",
            final.describe() if final is not None else "nothing",
        )
        failure.violates = ("APP-PUT-2",)
        raise failure
    channel.send_frame("PUTF", {"name": base, "size": 1})
    again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if again.frame is None or again.frame.error_name != "exists":
        failure = ConformanceFailure.evidence(
            f"APP-PUT-2: PUTF {_label(offered)} acknowledged with DONE, then PUTF of its "
            f"basename {_label(base)}",
            "EROR exists: the put was stored under its basename",
            again.describe(),
        )
        failure.violates = ("APP-PUT-2",)
        raise failure
    if target.inbox is not None:
        stored = target.inbox / base
        if not stored.is_file() or stored.read_bytes() != data:
            raise ConformanceFailure.evidence(
                f"APP-PUT-2: the put of {_label(offered)} in the declared inbox {target.inbox}",
                f"{_label(base)} holding the {len(data)} bytes sent",
                "missing" if not stored.is_file() else f"{stored.stat().st_size} other bytes",
            )


def _get_answer(channel: Channel, name: str) -> tuple[bool, str]:
    channel.send_frame("RQFL", {"name": name})
    outcome = channel.expect([ExpectError("not_found")])
    return outcome.ok, outcome.describe()


@pytest.mark.req("APP-NAME-7", "APP-NAME-1")
def test_get_of_long_names_in_multibyte_characters_is_not_found(
    target: Target, app_channel: AppChannel
) -> None:
    """Gets of names near 4096 UTF-8 bytes made of 2-, 3- and 4-byte characters, quotes
    and no-break spaces (U+00A0), naming no file: `not_found` — never
    `forbidden`, which would be the length measured on an escaped or re-encoded copy."""
    require(target, "get")
    channel = app_channel()
    refused: list[str] = []
    for kind, make in _LONG.items():
        name = make(_tag())
        ok, got = _get_answer(channel, name)
        if not ok:
            refused.append(f"{kind}: RQFL of {_label(name)}: {got}")
            channel = app_channel()  # a fatal answer ends that connection
    if refused:
        raise ConformanceFailure.evidence(
            "APP-NAME-7: gets of names within APP-NAME-1's limits (at most 4096 UTF-8 "
            "bytes, components of at most 255) that name no file",
            "EROR not_found for each",
            "\n".join(refused),
        )
