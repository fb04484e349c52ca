"""VEC-2: a receiver accepts any valid JSON encoding of a payload, not only the compact one.

Once listed "not observable" with the known-answer vectors — but a responder receives
the suite's request payloads, and the suite chooses their bytes. Each request below is
the same RQFL of a known file, in an encoding other than the vectors' compact form:
white space around every token, `\\u` escapes of plain letters, and both. Each MUST be
served exactly like the compact one (a receiver that compares a payload with its own
re-encoding, or refuses escapes "as an injection vector", refuses them).
"""

from __future__ import annotations

import json
from typing import cast

import pytest

from conformance._wire_fixtures import AppChannel, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.test_app_toctou import _AlreadySent
from conformance.wire import ConformanceFailure


def _escaped(text: str) -> str:
    """`text` with every ASCII letter written as a \\u escape."""
    return "".join(f"\\u{ord(c):04x}" if c.isascii() and c.isalpha() else c for c in text)


def _encodings(name: str) -> dict[str, bytes]:
    quoted = json.dumps(name, ensure_ascii=False)[1:-1]
    return {
        "white space": f'\n{{ \t"name" :\r\n "{quoted}"  }}\n'.encode(),
        "escaped letters": f'{{"{_escaped("name")}":"{_escaped(quoted)}"}}'.encode(),
        "both": f'{{ "{_escaped("name")}" : "{_escaped(quoted)}" }} '.encode(),
    }


@pytest.mark.req("VEC-2")
def test_request_payloads_in_any_json_encoding_are_served(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    shared = known_file(target)
    channel = app_channel()
    reader = cast(Channel, _AlreadySent(channel))
    problems = []
    for label, payload in _encodings(shared.name).items():
        channel.send_frame("RQFL", payload)
        try:
            result = get_file(reader, shared.name)
        except ConformanceFailure as exc:
            problems.append(f"{label} {payload!r}: {str(exc).splitlines()[:3]}")
            channel = app_channel()
            reader = cast(Channel, _AlreadySent(channel))
            continue
        if len(result.data) != shared.size:
            problems.append(f"{label} {payload!r}: {len(result.data)} bytes, want {shared.size}")
    if problems:
        raise ConformanceFailure(
            f"Expected: RQFL of {shared.name!r} served in any valid JSON encoding (VEC-2)\n"
            "Actual:   " + "\n          ".join(problems)
        )
