"""Refusing a long name costs time in proportion to the name, never more (docs/SPEC.md §3.5
APP-NAME-1, APP-NAME-2, APP-NAME-8, §6 LIM-5; both profiles).

A name is at most 4,096 bytes (APP-NAME-1), and the rules that refuse it (APP-NAME-2: a
control character, a backslash, an empty, `.` or `..` component; APP-NAME-8: C1 controls
and bidirectional overrides) are each one pass over its characters. Implementations
sometimes write them as ONE regular expression over the whole name — components of
allowed characters, each optionally followed by a separator, `(?:[^/ctl]+/?)*` — and a
quantifier nested in a quantifier backtracks: on a long run of ordinary characters
ended by a character the class refuses, the engine tries every way to cut the run into
components, 2^n of them. A backtracking engine holds its thread for centuries; CPython's
`re` holds the interpreter lock while it does, so every connection stalls (LIM-5: "MUST
keep serving other connections ... whatever one connection sends"). A recursive split of
the components or a re-join per component grows faster than the name in the same way.

So: names of up to 4,095 bytes made of ordinary characters in components of 200 (well
within APP-NAME-1), with the offending character at the very end — a C0 control, a
backslash, a C1 control, a bidirectional override, an empty and a `..` last component —
each asked for with RQFL on one connection. Each MUST be answered `forbidden` (non-fatal:
the next probe goes on the same connection) within a few seconds, and then a second
connection MUST still be served a known file. Only the refusal's promptness and the
service to others are judged here; the code is test_app_names.py's.

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, get_file, known_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

_PROMPT = 5.0  # seconds: a pass over 4 KiB takes microseconds; this is the machine's slack
_COMPONENT = "a" * 200


def _long(tail: str) -> str:
    """Components of 200 ordinary characters, then `tail`, the whole at most 4,095 bytes."""
    room = 4095 - len(tail.encode("utf-8"))
    body = "/".join([_COMPONENT] * (room // 201))
    return body + tail


# label -> a name within APP-NAME-1's lengths that APP-NAME-2 / APP-NAME-8 refuse at its end.
_PROBES: dict[str, str] = {
    "a C0 control (U+0001) after 4 KiB": _long("b" * 40 + "\x01"),
    "a backslash after 4 KiB": _long("b" * 40 + "\\x"),
    "a C1 control (U+0085) after 4 KiB": _long("b" * 40 + "\x85"),
    "a right-to-left override (U+202E) after 4 KiB": _long("b" * 40 + "\u202e"),
    "an empty last component after 4 KiB": _long("b" * 40 + "//x"),
    "a `..` last component after 4 KiB": _long("b" * 40 + "/.."),
}


@pytest.mark.req("LIM-5", "APP-NAME-2")
def test_long_refused_names_are_refused_promptly_and_others_served(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    known = known_file(target)
    channel = app_channel()
    late: list[str] = []
    for label, name in _PROBES.items():
        channel.send_frame("RQFL", {"name": name})
        answer = channel.expect(
            [ExpectError(), ExpectFrame("RSFL"), ExpectClose()], timeout=_PROMPT
        )
        if not answer.ok:
            late.append(
                f"RQFL of {len(name.encode())} bytes ending in {label}: no answer within "
                f"{_PROMPT:g} s"
            )
            break
        frame = answer.frame
        if frame is None or frame.type != b"EROR" or frame.error_name != "forbidden":
            # A fatal or other answer: the codes are judged elsewhere; a new connection
            # carries the remaining probes.
            channel.close()
            channel = app_channel()
    channel.close()
    if late:
        # LIM-5: is anyone else served while that refusal is being worked out?
        started = time.monotonic()
        try:
            other = app_channel()
            try:
                get_file(other, known.name)
            finally:
                other.close()
            served = f"a second connection was served {known.name!r} meanwhile"
            broken: tuple[str, ...] = ("APP-NAME-2",)
        except Exception as exc:  # the channel's own setup failing is the evidence too
            served = f"a second connection was NOT served ({str(exc).splitlines()[0]})"
            broken = ("APP-NAME-2", "LIM-5")
        raise ConformanceFailure(
            "Context:  names within APP-NAME-1's lengths (components of 200 ordinary "
            "characters) whose last characters APP-NAME-2 or APP-NAME-8 refuse, one RQFL "
            "each on one connection\n"
            f"Expected: each refused `forbidden` within {_PROMPT:g} s (one pass over at most "
            "4,096 bytes), other connections served meanwhile (LIM-5)\n"
            f"Actual:   {'; '.join(late)}; {served} "
            f"(after {time.monotonic() - started:.1f} s)\n"
            "Note:     a name check that backtracks (a nested quantifier over the whole name) "
            "or splits recursively takes time far beyond the name's length",
            violates=broken,
        )
