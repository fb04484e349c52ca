"""The refusals of unusual names are frames a receiver can parse (FRM-14, ERR-1).

A responder that echoes the refused name in its `EROR` message — a courtesy ERR-5 allows
up to 64 characters — has to build that message as JSON text. Written by hand (a C
responder's `snprintf("{\"message\":\"no such file: %.64s\"}", name)`), the echo breaks
the frame: a cut after 64 BYTES splits a multi-byte character (the payload is no longer
UTF-8), a quote or a backslash-free control character ends or breaks the JSON string,
and an echo of the whole name makes the message longer than ERR-1's 512 characters. The
look-alike and length cases judge the CODE of such answers; this case judges the frame
itself, for names whose echo breaks at each of those places: every frame the target sends
back must be well formed (FRM-14, and ERR-1 for the `EROR` members).

The names name no file (the codes, `not_found` or `forbidden`, are the other name cases'
business); a target that ends the connection is reconnected and the rest still asked.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ERROR_CODES, ConformanceFailure, ReceivedFrame

_PREFIX = "sft-conformance-no-such-"
# Names whose echo, cut or whole, breaks a hand-built JSON frame; none exists.
_NAMES = {
    "euro-cut-at-64-bytes": _PREFIX + "€" * 30 + ".txt",
    "cut-inside-a-character": _PREFIX + "a" * (64 - len(_PREFIX) - 1) + "€€.txt",
    "two-byte-characters": _PREFIX + "é" * 40,
    "four-byte-characters": _PREFIX + "😀" * 20,
    "double-quote": _PREFIX + 'say "hi".txt',
    "quote-and-brace": _PREFIX + '"}, "code": 1, "x": "',
    "control-character": _PREFIX + "tab\there",
    "long-component": _PREFIX + "x" * 600,
    "long-name": _PREFIX + "d/" * 1100 + "f",
}


def _answers(channel: Channel, name: str, timeout: float) -> list[ReceivedFrame] | None:
    """The frames answering RQFL `name` (a refusal, or RSFL DATA* DONE), or None when the
    connection ended or went silent first."""
    channel.send_frame("RQFL", {"name": name})
    deadline = time.monotonic() + timeout
    frames: list[ReceivedFrame] = []
    for _ in range(64):  # a refusal is one frame; a served file stops at DONE
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            return frames or None
        frames.append(event)
        if event.type in (b"EROR", b"DONE"):
            return frames
    return frames


@pytest.mark.req("FRM-14", "ERR-1")
def test_refusals_of_unusual_names_are_well_formed(target: Target, app_channel: AppChannel) -> None:
    """RQFL for names whose echo in a message breaks a hand-built frame: every answer is
    a well-formed frame (strict UTF-8 JSON, EROR members per ERR-1)."""
    timeout = max(3.0, min(10.0, 2 * target.limits.idle_timeout))
    channel = app_channel()
    malformed: list[str] = []
    for case, name in _NAMES.items():
        frames = _answers(channel, name, timeout)
        if frames is None:  # ended (or silent): ask the next name on a fresh connection
            channel.close()
            channel = app_channel()
            continue
        for frame in frames:
            problems = frame.violations()
            if problems:
                malformed.append(f"{case} ({len(name.encode())} bytes): {frame.describe(90)}")
                malformed.extend(f"    {p}" for p in problems)
                malformed.append(f"    hex: {frame.raw[:96].hex(' ')}")
        if frames and frames[-1].type == b"EROR" and frames[-1].error_code not in (5, 6, 7):
            channel.close()  # a fatal answer ends the connection (ERR-3): start afresh
            channel = app_channel()
    if malformed:
        raise ConformanceFailure.evidence(
            "FRM-14/ERR-1: the answers to names whose echo breaks a hand-built frame",
            "well-formed frames: UTF-8 JSON objects, EROR with code, name and a message of "
            "at most 512 characters",
            "\n".join(malformed),
            note="an echoed name must be escaped as JSON and cut on a character boundary",
        )


def _situations(target: Target) -> list[tuple[str, str, dict[str, object]]]:
    """(what, frame type, payload) for every non-fatal refusal the target can be led to,
    from what it declares; each is answered with one EROR and the connection lives on."""
    found: list[tuple[str, str, dict[str, object]]] = []
    if target.has("get"):
        found.append(("get of a missing file", "RQFL", {"name": _PREFIX + "file.txt"}))
        found.append(("get of '../x'", "RQFL", {"name": "../x"}))
        for key in ("directories", "too_large", "escape_symlinks"):
            for name in [str(n) for n in target.extra.get(key, [])][:2]:
                found.append((f"get of {name!r} ({key})", "RQFL", {"name": name}))
    if target.has("put"):
        size = target.limits.max_file_size + 1
        found.append(("put above the max size", "PUTF", {"name": _PREFIX + "big", "size": size}))
        found.append(("put of '../x'", "PUTF", {"name": "../x", "size": 1}))
        found.append(("put of a reserved name", "PUTF", {"name": ".sft-partial-x", "size": 1}))
    return found


_TABLE = {code: name for name, code in ERROR_CODES.items()}


@pytest.mark.req("ERR-2", "ERR-1")
def test_every_refusal_is_a_code_of_the_closed_list(
    target: Target, app_channel: AppChannel
) -> None:
    """Each refusal the target gives — a missing file, a bad name, a directory, a file
    above the max size, a link out of the share, a put too large, a reserved name — is an
    `EROR` whose code is in §2's closed list, with the table's name (ERR-2, ERR-1).
    Catches a responder that invents a code for a situation the table has no word for
    ("is a directory", "name too long", "quota") or borrows a fatal one."""
    situations = _situations(target)
    if not situations:
        pytest.skip("the target declares neither get nor put")
    timeout = max(3.0, min(10.0, 2 * target.limits.idle_timeout))
    channel = app_channel()
    wrong: list[str] = []
    for what, frame_type, payload in situations:
        channel.send_frame(frame_type, payload)
        event = channel.recv_frame(time.monotonic() + timeout)
        if not isinstance(event, ReceivedFrame) or event.type != b"EROR":
            # Served, closed or silent: the code is the other cases' business; go on.
            channel.close()
            channel = app_channel()
            continue
        code, name = event.error_code, (event.json() or {}).get("name")
        problems = [p for p in event.violations() if "ERR-" in p]
        # A fatal code of the list is the other cases' business (APP-GET-2, APP-PUT-1).
        if code not in _TABLE:
            problems.append(f"code {code!r} is not in §2's closed list (1..14)")
        elif name != _TABLE[code]:
            problems.append(f"name {name!r} is not the table's {_TABLE[code]!r} for {code}")
        if problems:
            wrong.append(f"{what}: {event.describe(120)}: {'; '.join(problems)}")
            channel.close()
            channel = app_channel()
    if wrong:
        raise ConformanceFailure.evidence(
            "ERR-2: the refusals of ordinary requests",
            "EROR with a code of §2's closed list and the table's name for it",
            "\n".join(wrong),
        )
