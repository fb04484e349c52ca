"""FRM-9: JSON's grammar is RFC 8259's, not the runtime's idea of white space, digits or
escapes (both profiles).

test_framing.py's table of malformed payloads covers what lenient *parsers* accept
(comments, trailing commas, single quotes, NaN, hex numbers). A hand-written parser fails
differently: it asks its runtime's character classes what is white space or a digit —
Java's `Character.isWhitespace` (VT, FF, U+001C-U+001F, U+2028, U+3000),
`Character.digit(c, 16)` (fullwidth and Arabic-Indic digits in a `\\u` escape), Python's
`str.isspace`/`int()` (U+00A0 too), C's `isspace` (VT, FF) — and accepts bytes RFC 8259
refuses: white space is only space, tab, LF and CR (§2), a `\\u` escape four ASCII hex
digits (§7), the escapes the nine of §7, the literals lower-case `true`, `false`, `null`
(§3), numbers ASCII digits with a digit after `-` and after `e` (§6).

Each malformed token sits in a member the schema does not define (FRM-10), beside the
name of a file no share holds: a receiver whose parser takes it answers the request
(`not_found`) instead of `bad_frame`, so the case tells the two apart.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel
from conformance.scenario import Expect, Scenario, Send
from conformance.target import Target
from conformance.wire import ExpectError, frame_bytes

_NAME = b'"sft-conformance-no-such-file.txt"'


def _member(value: bytes) -> bytes:
    return b'{"name":' + _NAME + b',"x":' + value + b"}"


def _between(space: bytes) -> bytes:
    """`space` between two tokens, where RFC 8259 allows white space."""
    return b'{"name":' + _NAME + b"," + space + b'"x":1}'


# name -> the whole payload
_GRAMMAR = {
    # white space beyond RFC 8259's four characters
    "ws-vertical-tab": _between(b"\x0b"),
    "ws-form-feed": _between(b"\x0c"),
    "ws-file-separator": _between(b"\x1c"),
    "ws-nul": _between(b"\x00"),
    "ws-no-break-space": _between("\u00a0".encode()),
    "ws-line-separator": _between("\u2028".encode()),
    "ws-ideographic-space": _between("\u3000".encode()),
    # \\u escapes: four ASCII hex digits, nothing else
    "escape-fullwidth-digits": _member(('"\\u' + "\uff10\uff10\uff14\uff11" + '"').encode()),
    "escape-arabic-indic-digits": _member(('"\\u' + "\u0660\u0660\u0664\u0661" + '"').encode()),
    "escape-three-digits": _member(b'"\\u041"'),
    "escape-capital-u": _member(b'"\\U00000041"'),
    # escapes outside the nine of RFC 8259 section 7
    "escape-x": _member(b'"\\x41"'),
    "escape-single-quote": _member(b'"\\\'"'),
    "escape-a": _member(b'"\\a"'),
    # literals are lower-case
    "literal-upper-case": _member(b"TRUE"),
    "literal-title-case": _member(b"Null"),
    # numbers
    "number-minus-alone": _member(b"-"),
    "number-empty-exponent": _member(b"1e"),
    "number-arabic-indic-digit": _member("\u0661".encode()),
    "number-fullwidth-digit": _member("\uff11".encode()),
    "number-underscore": _member(b"1_000"),
}


@pytest.mark.req("FRM-9", "ERR-3")
@pytest.mark.parametrize("case", sorted(_GRAMMAR))
def test_json_outside_rfc8259_grammar_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """A control payload that is not RFC 8259 JSON by one character class is `bad_frame`
    (then the close), like any other malformed payload."""
    payload = _GRAMMAR[case]
    scenario = Scenario(
        f"RQFL whose payload has {case}",
        (
            Send(frame_bytes("RQFL", payload), note=f"RQFL {payload[:70]!r}"),
            Expect(ExpectError("bad_frame")),
        ),
        ("FRM-9",),
    )
    scenario.run(app_channel()).check()
