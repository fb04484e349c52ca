"""Names that disguise themselves (docs/SPEC.md §3.5, APP-NAME-8): C1 controls and bidi
formatting characters are refused with `forbidden`, in gets and in puts.

`invoice\\u202efdp.exe` shows as `invoiceexe.pdf`; U+0085 (NEL) is a line break to many
terminals and is white space to Python's `str.strip`. The family is every character
of the rule — the 32 C1 controls U+0080–U+009F, the embeddings/overrides
U+202A–U+202E and the isolates U+2066–U+2069 — at the start, inside and at the end of
a name built on a file the share holds (so a responder that strips or drops the
character serves that file), and inside a directory component. The other side of the
boundary is checked too: U+00A0 and U+202F are ordinary characters, and a name whose
UTF-8 bytes fall in 0x80–0x9F (`€`, `Ā`) holds no C1 control.

Fixtures (conformance/plugin.py): `target` (each profile under test), `app_channel()`.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

C1_CONTROLS = tuple(chr(c) for c in range(0x80, 0xA0))
BIDI_CONTROLS = tuple(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
DISGUISING = C1_CONTROLS + BIDI_CONTROLS
# Next to the rule's ranges, or encoded with bytes 0x80-0x9F: ordinary name characters.
# (The other format characters — U+200E, U+200F, U+061C, the joiners — are ordinary too:
# APP-NAME-8 says so; test_app_name_character_rules.py puts them.)
ORDINARY = ("\u00a0", "\u00a1", "\u202f", "€", "Ā", "ŀ")


def _base_name(target: Target) -> str:
    """A file the share holds, if the target lists one: stripping the character serves it."""
    for candidate in target.files:
        if "/" not in candidate.name and candidate.size > 0:
            return candidate.name
    return "hello.txt"


def _placements(base: str, char: str) -> dict[str, str]:
    stem, dot, ext = base.rpartition(".")
    middle = f"{stem}{char}{dot}{ext}" if dot else f"{base[:1]}{char}{base[1:]}"
    return {
        "start": f"{char}{base}",
        "middle": middle,
        "end": f"{base}{char}",
        "directory": f"sub{char}/{base}",
    }


def _label(char: str) -> str:
    return f"U+{ord(char):04X}"


@pytest.mark.req("APP-NAME-8")
@pytest.mark.parametrize(
    "family",
    [pytest.param(C1_CONTROLS, id="c1"), pytest.param(BIDI_CONTROLS, id="bidi")],
)
def test_get_of_disguising_name_is_forbidden(
    target: Target, app_channel: AppChannel, family: tuple[str, ...]
) -> None:
    require(target, "get")
    channel = app_channel()
    base = _base_name(target)
    for char in family:
        for where, name in _placements(base, char).items():
            channel.send_frame("RQFL", {"name": name})
            outcome = channel.expect([ExpectError("forbidden")])
            if not outcome.ok:
                raise ConformanceFailure.evidence(
                    f"APP-NAME-8: RQFL of {name!r} ({_label(char)} at the {where})",
                    "EROR forbidden (non-fatal)",
                    outcome.describe(),
                )
    # Non-fatal: the same connection still answers a plain request.
    channel.send_frame("RQFL", {"name": fresh_name()})
    channel.expect([ExpectError("not_found")]).check("RQFL of a missing name after forbidden")


@pytest.mark.req("APP-NAME-8")
def test_put_of_disguising_name_is_forbidden(target: Target, app_channel: AppChannel) -> None:
    """Every character of the rule in a put's stored name (start, inside, end) and in a
    directory component of the put's name: EROR forbidden, never RSFL."""
    require(target, "put")
    channel = app_channel()
    for char in DISGUISING:
        base = fresh_name("sft-conformance-ctl")
        for where, name in _placements(base, char).items():
            channel.send_frame("PUTF", {"name": name, "size": 1})
            outcome = channel.expect([ExpectError("forbidden")])
            if not outcome.ok:
                raise ConformanceFailure.evidence(
                    f"APP-NAME-8: PUTF of {name!r} ({_label(char)} at the {where})",
                    "EROR forbidden (non-fatal), nothing stored",
                    outcome.describe(),
                )
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 1})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF after forbidden")


@pytest.mark.req("APP-NAME-8", "APP-NAME-7")
def test_ordinary_non_ascii_names_are_not_refused(target: Target, app_channel: AppChannel) -> None:
    """The rule is on code points: characters beside its ranges, and characters whose
    UTF-8 encoding holds bytes 0x80-0x9F, are ordinary. A get of such a name that names
    no file is `not_found`, not `forbidden`."""
    require(target, "get")
    channel = app_channel()
    for char in ORDINARY:
        name = fresh_name(f"sft-conformance{char}x")
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect([ExpectError("not_found")])
        if not outcome.ok:
            raise ConformanceFailure.evidence(
                f"APP-NAME-8: RQFL of {name!r} ({_label(char)}, not a control character)",
                "EROR not_found (the name is valid and names no file)",
                outcome.describe(),
            )
