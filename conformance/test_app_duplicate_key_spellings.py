"""A key given twice in two spellings is a duplicate key (docs/SPEC.md §1 FRM-9); both
profiles.

FRM-9: a receiver MUST answer `bad_frame` (fatal) to a control payload "that has a
duplicate key at any level". JSON (RFC 8259) lets a key be written with `\\u` escapes:
`"n\\u0061me"` IS the key `name`. A duplicate check made on the raw text (a scanner that
compares key tokens as written, a regular expression run before the parser, a parser that
does not unescape keys and so keeps both) lets `{"name": "a", "n\\u0061me": "b"}` through
— and which of the two is "the" name then depends on the library (first wins, last wins,
the escaped one ignored). test_app_json_encodings.py sends escaped keys alone (they MUST
be understood, VEC-2); here each payload holds the same key twice, once plain and once
escaped, in both orders, with equal and with different values: each MUST be refused
`bad_frame` and the connection closed, in a get, in a put's PUTF and in its DONE.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


def _esc(key: str) -> str:
    """`key` with its second character written as a \\u escape."""
    return f"{key[0]}\\u{ord(key[1]):04x}{key[2:]}"


def _rqfl_payloads(name: str, other: str) -> dict[str, bytes]:
    e = _esc("name")
    return {
        "RQFL plain then escaped": f'{{"name":"{name}","{e}":"{other}"}}'.encode(),
        "RQFL escaped then plain": f'{{"{e}":"{other}","name":"{name}"}}'.encode(),
        "RQFL equal values": f'{{"name":"{name}","{e}":"{name}"}}'.encode(),
    }


@pytest.mark.req("FRM-9")
def test_a_key_twice_in_two_spellings_is_bad_frame(target: Target, app_channel: AppChannel) -> None:
    cases: dict[str, tuple[bytes, bytes, bytes | None]] = {}
    if target.has("get"):
        shared = known_file(target)
        for label, payload in _rqfl_payloads(shared.name, fresh_name("sft-missing")).items():
            cases[label] = (b"RQFL", payload, None)
    if target.has("put"):
        s = _esc("size")
        name = fresh_name("sft-dup-spelling")
        cases["PUTF size plain then escaped"] = (
            b"PUTF",
            f'{{"name":"{name}","size":1,"{s}":2}}'.encode(),
            None,
        )
        cases["PUTF name escaped then plain, equal"] = (
            b"PUTF",
            f'{{"{_esc("name")}":"{name}-b","name":"{name}-b","size":1}}'.encode(),
            None,
        )
        data = b"d"
        digest = hashlib.sha256(data).hexdigest()
        cases["DONE sha256 twice"] = (
            b"DONE",
            f'{{"size":1,"sha256":"{digest}","{_esc("sha256")}":"{digest}"}}'.encode(),
            data,
        )
    if not cases:
        require(target, "get")
    problems: list[str] = []
    for label, (frame_type, payload, put_data) in cases.items():
        channel = app_channel()
        if put_data is not None:
            channel.send_frame("PUTF", {"name": fresh_name("sft-dup-done"), "size": len(put_data)})
            answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
            if answer.frame is None or answer.frame.type != b"RSFL":
                problems.append(f"{label}: the put was not accepted ({answer.describe()})")
                continue
            channel.send_frame("DATA", put_data)
        channel.send_frame(frame_type, payload)
        outcome = channel.expect([ExpectError("bad_frame")])
        if not outcome.ok:
            problems.append(
                f"{label}: {frame_type.decode()} {payload.decode()}\n  {outcome.describe()}"
            )
    if problems:
        raise ConformanceFailure.evidence(
            "FRM-9: control payloads holding one key twice, once written with a \\u escape",
            "EROR bad_frame, then the close, for each (a duplicate key, whatever its spelling)",
            "\n".join(problems),
        )
