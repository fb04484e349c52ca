"""Names holding Unicode separators and invisible characters that §3.5 allows (docs/SPEC.md
§3.4 APP-PUT-2, §3.5 APP-NAME-2/8).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. §3.5 refuses characters by
exact lists: C0 and DEL (APP-NAME-2), C1 U+0080–U+009F and the bidi embeddings,
overrides and isolates (APP-NAME-8), and nothing else — "characters outside these ranges
MUST NOT be refused by it", and a put MUST NOT be refused "for any character §3.5 allows"
(APP-PUT-2).

The class of bug: a name rule written with a library predicate about lines, spaces or
printability instead of the SPEC's lists —
- "a name is one line": `str.splitlines()`, `\\R`, a `lines()` iterator: U+2028 LINE
  SEPARATOR and U+2029 PARAGRAPH SEPARATOR split the name, which is then refused;
- "printable names only": Python's `str.isprintable()`, `unicode.IsPrint`, `iswprint`:
  every separator but the ASCII space (U+3000, U+1680, U+205F, U+2028) and every format
  character (U+00AD soft hyphen, U+200B zero width space, U+2060 word joiner, U+FEFF,
  U+180E) count as unprintable;
- "no white space in names" with a Unicode `isspace()` / `\\s` (U+3000, U+1680, U+205F):
  ASCII space and U+00A0 are the cases such a rule is usually tested with.
Each name carries the character inside (after a tag, before the extension); the put must
be accepted, acknowledged with DONE, and the name then exists (`exists` for a second
PUTF). One connection carries every put: a refusal is non-fatal.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from conformance._wire_fixtures import AppChannel, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

# character -> what it is (none is in a range §3.5 refuses).
_CHARACTERS = {
    "\u2028": "LINE SEPARATOR (Zl)",
    "\u2029": "PARAGRAPH SEPARATOR (Zp)",
    "\u3000": "IDEOGRAPHIC SPACE (Zs)",
    "\u1680": "OGHAM SPACE MARK (Zs)",
    "\u205f": "MEDIUM MATHEMATICAL SPACE (Zs)",
    "\u00ad": "SOFT HYPHEN (Cf)",
    "\u200b": "ZERO WIDTH SPACE (Cf)",
    "\u2060": "WORD JOINER (Cf)",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE / BOM (Cf)",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR (Cf)",
}


@pytest.mark.req("APP-PUT-2", "APP-NAME-8")
def test_put_of_names_with_separator_and_format_characters_is_stored(
    target: Target, app_channel: AppChannel
) -> None:
    """A PUTF of `sft-b17-TAG-a<c>b.txt` for each character `c` above is accepted and
    stored: `forbidden` is a line, space or printability rule wider than §3.5's lists."""
    require(target, "put")
    channel = app_channel()
    problems: list[str] = []
    for char, what in _CHARACTERS.items():
        name = f"sft-b17-{uuid.uuid4().hex[:10]}-a{char}b.txt"
        shown = f"{name!r} (U+{ord(char):04X} {what})"
        data = f"a name with U+{ord(char):04X}\n".encode()
        answer, final = put_file(channel, name, data)
        if answer.frame is None or answer.frame.type != b"RSFL":
            problems.append(f"PUTF {shown}: {answer.describe()}")
            channel = app_channel()
            continue
        want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        done = final.frame.json() if final is not None and final.frame is not None else None
        got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
        if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
            problems.append(f"put of {shown}, accepted: {final.describe() if final else 'nothing'}")
            channel = app_channel()
            continue
        channel.send_frame("PUTF", {"name": name, "size": 1})
        again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
        if again.frame is None or again.frame.error_name != "exists":
            problems.append(f"second PUTF of {shown} after its DONE: {again.describe()}")
            channel = app_channel()
            continue
        if target.inbox is not None:
            stored = target.inbox / name
            if not stored.is_file() or stored.read_bytes() != data:
                problems.append(f"{shown}: not stored as sent in the declared inbox {target.inbox}")
    if problems:
        failure = ConformanceFailure.evidence(
            "APP-PUT-2: puts of names holding a Unicode separator or format character (none "
            "is C0, DEL, C1 or a bidi embedding/override/isolate, the only characters §3.5 "
            "refuses)",
            "RSFL {accept: true}, DONE, then `exists` for the name, for each",
            "\n".join(problems),
        )
        failure.violates = ("APP-PUT-2",)
        raise failure
