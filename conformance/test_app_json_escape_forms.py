"""Every escape form JSON allows is read as the character it denotes (SPEC §8 VEC-2, §3.4
APP-PUT-2).

VEC-2: "Receivers MUST accept any valid JSON encoding of a payload (member order, white
space, escapes)". test_app_json_encodings.py writes plain letters as `\\u` escapes with
lower-case hex digits; RFC 8259 §7 allows more, and each is a place where a hand-written
or "hardened" decoder slips:
- `\\u` escapes whose hex digits are upper case (`\\u006E`) or mixed (`\\u006e\\u0061`):
  a decoder that accepts only `[0-9a-f]` answers bad_frame;
- the escaped solidus `\\/`: a decoder that keeps the backslash turns `sub\\/x` into a
  name holding a backslash, refused forbidden (APP-NAME-2), or never matches the file;
- a character outside the BMP written as a UTF-16 surrogate pair (`\\uD83D\\uDE00`, in
  upper and lower case): a decoder that decodes each half alone holds two lone
  surrogates and refuses the name (FRM-15's reading is for LONE surrogates only).
Gets of a known file (its name in each form) must serve it; puts (PUTF and DONE in each
form) must be stored under the decoded name — the basename of a name with an escaped
solidus (APP-PUT-2) — which a compact PUTF of the same name then finds `exists`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import cast

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.test_app_toctou import _AlreadySent
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


def _escape_letters(text: str, upper: bool | None) -> str:
    """ASCII letters as \\u escapes; hex digits upper case, lower case, or alternating."""
    out = []
    for index, char in enumerate(text):
        if char.isascii() and char.isalpha():
            digits = f"{ord(char):04x}"
            if upper or (upper is None and index % 2):
                digits = digits.upper()
            out.append(f"\\u{digits}")
        else:
            out.append(char)
    return "".join(out)


def _solidus(text: str) -> str:
    return text.replace("/", "\\/")


def _pairs(text: str, upper: bool) -> str:
    """Characters outside the BMP as escaped surrogate pairs."""
    out = []
    for char in text:
        if ord(char) > 0xFFFF:
            value = ord(char) - 0x10000
            high, low = 0xD800 + (value >> 10), 0xDC00 + (value & 0x3FF)
            pair = f"\\u{high:04x}\\u{low:04x}"
            out.append(pair.upper().replace("\\U", "\\u") if upper else pair)
        else:
            out.append(char)
    return "".join(out)


# How a name's JSON text (quoted, compact) is rewritten; each rewriting is valid JSON.
_FORMS: dict[str, Callable[[str], str]] = {
    "upper-case hex escapes": lambda t: _escape_letters(t, True),
    "mixed-case hex escapes": lambda t: _escape_letters(t, None),
    "escaped solidus": _solidus,
    "surrogate pair, lower case": lambda t: _pairs(t, False),
    "surrogate pair, upper case": lambda t: _pairs(t, True),
}


def _json_text(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)[1:-1]


@pytest.mark.req("VEC-2")
def test_gets_with_every_escape_form_are_served(target: Target, app_channel: AppChannel) -> None:
    require(target, "get")
    shared = known_file(target)
    nested = next((f for f in target.files if "/" in f.name and f.size > 0), None)
    channel = app_channel()
    reader = cast(Channel, _AlreadySent(channel))
    problems = []
    for label, rewrite in _FORMS.items():
        file = nested if label == "escaped solidus" and nested is not None else shared
        text = rewrite(_json_text(file.name))
        if text == _json_text(file.name):
            continue  # nothing to rewrite in this name (no solidus, no astral character)
        payload = f'{{"{rewrite("name")}":"{text}"}}'.encode()
        channel.send_frame("RQFL", payload)
        try:
            result = get_file(reader, file.name)
        except ConformanceFailure as exc:
            problems.append(f"{label}: RQFL {payload!r}\n    {str(exc).splitlines()[0]}")
            channel = app_channel()
            reader = cast(Channel, _AlreadySent(channel))
            continue
        if len(result.data) != file.size:
            problems.append(f"{label}: RQFL {payload!r}: {len(result.data)} bytes, not {file.size}")
    if problems:
        raise ConformanceFailure.evidence(
            "VEC-2: RQFL of known files, the name (and the key) written in escape forms "
            "RFC 8259 allows",
            "each served like the compact request",
            "\n".join(problems),
        )


@pytest.mark.req("VEC-2", "APP-PUT-2", "FRM-15")
def test_puts_with_every_escape_form_are_stored_under_the_decoded_name(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    problems = []
    channel = app_channel()
    for label, rewrite in _FORMS.items():
        base = fresh_name("sft-escape-\N{GRINNING FACE}")
        name = f"sft-escape-dir/{base}" if label == "escaped solidus" else base
        data = f"a put whose payloads use {label}\n".encode()
        digest = hashlib.sha256(data).hexdigest()
        putf = (
            f'{{"{rewrite("name")}":"{rewrite(_json_text(name))}","{rewrite("size")}":{len(data)}}}'
        ).encode()
        done = f'{{"{rewrite("size")}":{len(data)},"{rewrite("sha256")}":"{digest}"}}'.encode()
        channel.send_frame("PUTF", putf)
        answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
        if answer.frame is None or answer.frame.type != b"RSFL":
            problems.append(f"{label}: PUTF {putf!r}\n    {answer.describe()}")
            channel = app_channel()
            continue
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", done)
        final = channel.expect(
            [ExpectFrame("DONE", {"size": len(data), "sha256": digest}), ExpectError()]
        )
        if final.frame is None or final.frame.type != b"DONE":
            problems.append(f"{label}: DONE {done!r}\n    {final.describe()}")
            channel = app_channel()
            continue
        channel.send_frame("PUTF", {"name": base, "size": 1})
        again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL"), ExpectError()])
        if again.frame is None or again.frame.error_name != "exists":
            problems.append(
                f"{label}: PUTF {putf!r} was stored, but a compact PUTF of {base!r} (the "
                f"decoded basename) is not `exists`: {again.describe()}"
            )
            if again.frame is not None and again.frame.type == b"RSFL":
                channel = app_channel()  # it owes DATA for a put the suite will not send
    if problems:
        raise ConformanceFailure.evidence(
            "VEC-2/APP-PUT-2: puts whose PUTF and DONE use escape forms RFC 8259 allows "
            "(the name with a directory part where the solidus is escaped)",
            "each accepted, acknowledged with DONE, and stored under the decoded name's "
            "basename (a compact PUTF of it is then `exists`)",
            "\n".join(problems),
        )
