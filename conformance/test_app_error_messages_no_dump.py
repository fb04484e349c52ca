"""No EROR a responder sends carries a stack trace or a debug dump (docs/SPEC.md ERR-6:
"An endpoint MUST NOT answer any input with a stack trace, a debug dump ...").

The inputs most likely to reach an implementation's catch-all are the ones its parser
was not written for: JSON nested thousands of levels deep (Python's json raises
RecursionError, which is not a ValueError; a recursive-descent parser overflows its
stack), integers far beyond 64 bits, numbers that overflow a double, lone surrogates. A
catch-all that answers `internal` with the exception's text "for debugging" (a Python
traceback or an exception's repr, a Java or Node.js stack, a Go panic) passes every case
that looks only at the code — a deep-nesting RQFL answered `internal` is FRM-9's failure,
not this one's — so this case looks at the message of whatever EROR comes back, on both
profiles, for each such input in a RQFL, a PUTF and a BYE_, each on a fresh connection.

Only the message is judged here: which code answers the input (bad_frame, not_found,
forbidden, ...) is for test_framing.py. No answer at all (a close) is not this case's
concern either.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import re

import pytest

from conformance._wire_fixtures import AppChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame, frame_bytes

__all__: list[str] = []

_NAME = b'"sft-conformance-no-such-file.txt"'
_DEEP = b"[" * 20000 + b"]" * 20000
_DEEP_OBJ = b'{"k":' * 8000 + b"1" + b"}" * 8000

_INPUTS: dict[str, tuple[str, bytes]] = {
    "rqfl-deep-array": ("RQFL", b'{"name":' + _NAME + b',"x":' + _DEEP + b"}"),
    "rqfl-deep-object": ("RQFL", b'{"name":' + _NAME + b',"x":' + _DEEP_OBJ + b"}"),
    "rqfl-deep-first": ("RQFL", b'{"x":' + _DEEP + b',"name":' + _NAME + b"}"),
    "putf-deep-array": ("PUTF", b'{"name":' + _NAME + b',"size":1,"x":' + _DEEP + b"}"),
    "putf-huge-size": ("PUTF", b'{"name":' + _NAME + b',"size":' + b"9" * 5000 + b"}"),
    "putf-overflow-float": ("PUTF", b'{"name":' + _NAME + b',"size":1e999}'),
    "bye-deep-array": ("BYE_", b'{"x":' + _DEEP + b"}"),
    "rqfl-lone-surrogate": ("RQFL", b'{"name":"x\\ud800\\udc00\\udfff.txt"}'),
}

# What a stack trace or a debug dump looks like in the languages implementations are
# written in. An ordinary parser message ("Expecting value: line 1 column 1 (char 0)",
# "unexpected end of JSON input") matches none of these.
_DUMP_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a Python stack frame", re.compile(r'File "[^"]*", line \d+')),
    ("an exception's repr", re.compile(r"\b[A-Z]\w*(?:Error|Exception|Exit)\((?:'|\"|\))")),
    ("a Java stack frame", re.compile(r"\bat [\w$]+(?:\.[\w$<>]+)+\([\w$]*(?:\.java)?:?\d*\)")),
    ("a Java exception header", re.compile(r"Exception in thread|\bCaused by: \w")),
    (
        "a Node.js stack frame",
        re.compile(r"\bat [\w$.<>\[\] ]+ \((?:node:|/|file:)[^)]*:\d+:\d+\)"),
    ),
    ("a Go panic", re.compile(r"\bpanic: |goroutine \d+ \[")),
    ("a Rust panic or Debug dump", re.compile(r"panicked at |\b[A-Z]\w+ \{ \w+: ")),
    (
        "a C++ or sanitizer dump",
        re.compile(r"terminate called after|AddressSanitizer|Segmentation fault"),
    ),
)


def _dump_in(message: str) -> str | None:
    for label, pattern in _DUMP_PATTERNS:
        found = pattern.search(message)
        if found is not None:
            return f"{label}: {found.group(0)!r}"
    return None


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize("case", sorted(_INPUTS))
def test_no_stack_trace_in_answers_to_parser_hostile_input(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    frame_type, payload = _INPUTS[case]
    channel = app_channel()
    channel.send_raw(frame_bytes(frame_type, payload))
    outcome = channel.expect(
        [ExpectError(), ExpectFrame("RSFL"), ExpectFrame("BYE_"), ExpectClose()]
    )
    frame = outcome.frame
    if frame is None or frame.type != b"EROR":
        return  # a close, an acceptance or BYE_: nothing said, nothing dumped
    obj = frame.json()
    message = obj.get("message") if obj is not None else None
    text = message if isinstance(message, str) else frame.payload.decode("utf-8", "replace")
    dump = _dump_in(text)
    if dump is not None:
        raise ConformanceFailure.evidence(
            f"ERR-6: {frame_type} with {case} ({len(payload)} bytes) answered by an EROR"
            " whose message is a stack trace or debug dump",
            "an EROR message for people, without the implementation's internals",
            f"{frame.describe(300)}",
            f"found {dump}",
        )
