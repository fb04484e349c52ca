"""A refused character at either end of a name, or of one of its components, is refused
like anywhere else (docs/SPEC.md §3.5 APP-NAME-2, APP-NAME-8); both profiles.

APP-NAME-2 refuses a name that "contains" NUL, a backslash or a control character
(U+0000–U+001F, U+007F), APP-NAME-8 one containing a C1 control (U+0080–U+009F) or a
bidirectional embedding, override or isolate — wherever it is. test_app_names.py puts
every C0 control and DEL at offset 1 of a real name, a NUL and a backslash at every
offset, and one of each after 100 characters; the places where the usual ways of writing
the check stop short are the ENDS:

- a regular expression anchored with `$` (Python's `re.match(r"[^\\x00-\\x1f]*$", name)`,
  PCRE, Perl, Ruby, PHP's preg_match): `$` also matches just before a final line feed, so
  `"report.txt\\n"` passes a rule that refuses every control character elsewhere;
- a loop that stops one short or starts one late (`for i in range(len(name) - 1)`,
  `i < len - 1`, a scan from index 1 after a separate first-character test);
- a rule applied per component whose loop skips the first or the last component, or
  whose split leaves out what follows the last `/`.

So, for each refused character — LF, CR, TAB, NUL, U+0001, U+001F, DEL, U+0085, U+009F,
U+202E, U+2069 and the backslash — the names it ends or begins, the directory component
it ends, the last component it begins, and the name that is that character alone.
Gets, all on one connection (a refusal is non-fatal): `EROR forbidden` for each — a
`not_found` says the character was never looked at. Puts of the same shapes (around a
fresh name): `EROR forbidden` before any data, never stored (a directory component holding
the character makes the name refused too, although the stored basename would not hold
it). A connection is replaced after any other answer.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Needs `get` (the get case)
and `put` (the put case).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

__all__: list[str] = []

# Characters APP-NAME-2 (C0, DEL, NUL, backslash) and APP-NAME-8 (C1, bidi) refuse.
_REFUSED = {
    "lf": "\n",
    "cr": "\r",
    "tab": "\t",
    "nul": "\x00",
    "c0-01": "\x01",
    "c0-1f": "\x1f",
    "del": "\x7f",
    "c1-85": "\x85",
    "c1-9f": "\x9f",
    "bidi-202e": "\u202e",
    "bidi-2069": "\u2069",
    "backslash": "\\",
}

# position -> a name with `c` at that boundary, around the plain name `base` (a file name,
# possibly a nested one) and a directory component `d`.
_POSITIONS: dict[str, Callable[[str, str], str]] = {
    "last-of-name": lambda base, c: base + c,
    "first-of-name": lambda base, c: c + base,
    "last-of-directory": lambda base, c: "d" + c + "/" + base,
    "first-of-last-component": lambda base, c: "d/" + c + base,
    "alone": lambda base, c: c,
}


def _names(base: str) -> dict[str, str]:
    """case -> name, for every refused character at every boundary around `base`."""
    return {
        f"{label}-{position}": make(base, char)
        for label, char in _REFUSED.items()
        for position, make in _POSITIONS.items()
    }


def _fatal(code: int | None) -> bool:
    """ERR-2's fatal codes: the connection is over."""
    return code in (1, 2, 3, 4, 8, 9, 10, 11, 14)


@pytest.mark.req("APP-NAME-2", "APP-NAME-8")
def test_get_of_a_name_with_a_refused_character_at_an_end_is_forbidden(
    target: Target, app_channel: AppChannel
) -> None:
    """RQFL of each boundary name built around a real file of the share (a check that
    stops short serves it, or answers not_found): `EROR forbidden`, on one connection."""
    require(target, "get")
    known = next((f.name for f in target.files), "hello.txt")
    names = _names(known)
    channel: Channel = app_channel()
    wrong: list[str] = []
    for case, name in sorted(names.items()):
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect([ExpectError("forbidden")])
        if outcome.ok:
            continue
        wrong.append(f"{case} {name!r}: {outcome.describe().splitlines()[1].strip()}")
        channel.close()  # served, or answered otherwise: start afresh
        channel = app_channel()
    channel.close()
    if wrong:
        raise ConformanceFailure.evidence(
            f"APP-NAME-2/8: {len(wrong)} of {len(names)} gets of a name with a refused "
            "character (C0, DEL, NUL, backslash, C1, bidi) at its first or last position, "
            "or at either end of a component",
            "EROR forbidden (non-fatal) for each: the rules hold for every character of the "
            "name, its ends included",
            "\n".join(wrong[:24]) + ("\n…" if len(wrong) > 24 else ""),
        )


@pytest.mark.req("APP-NAME-2", "APP-NAME-8")
def test_put_of_a_name_with_a_refused_character_at_an_end_is_forbidden(
    target: Target, app_channel: AppChannel
) -> None:
    """PUTF of each boundary name around a fresh name: `EROR forbidden` before any data
    (an accepted one is completed, so that the connection stays usable, and reported)."""
    require(target, "put")
    names = _names(fresh_name("sft-boundary") + ".txt")
    data = b"boundary\n"
    channel: Channel = app_channel()
    wrong: list[str] = []
    for case, name in sorted(names.items()):
        answer, final = put_file(channel, name, data)
        frame = answer.frame
        if answer.ok and frame is not None and frame.error_name == "forbidden":
            continue
        if frame is not None and frame.type == b"RSFL":
            got = "accepted (RSFL) and then " + (
                final.describe().splitlines()[1].strip() if final is not None else "nothing"
            )
        else:
            got = answer.describe().splitlines()[1].strip()
        wrong.append(f"{case} {name!r}: {got}")
        last = final.frame if final is not None else frame
        if last is None or last.type not in (b"DONE", b"EROR") or _fatal(last.error_code):
            channel.close()
            channel = app_channel()
    channel.close()
    if wrong:
        raise ConformanceFailure.evidence(
            f"APP-NAME-2/8: {len(wrong)} of {len(names)} puts of a name with a refused "
            "character (C0, DEL, NUL, backslash, C1, bidi) at its first or last position, "
            "or at either end of a component",
            "EROR forbidden for each, before any data: such a name never reaches the inbox",
            "\n".join(wrong[:24]) + ("\n…" if len(wrong) > 24 else ""),
        )
