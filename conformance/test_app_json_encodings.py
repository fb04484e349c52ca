"""VEC-2: a receiver accepts any valid JSON encoding of a payload, not only the compact one.

Once listed "not observable" with the known-answer vectors — but a responder receives
the suite's request payloads, and the suite chooses their bytes. Each request below is
the same RQFL of a known file, in an encoding other than the vectors' compact form:
white space around every token, `\\u` escapes of plain letters, and both. Each MUST be
served exactly like the compact one (a receiver that compares a payload with its own
re-encoding, or refuses escapes "as an injection vector", refuses them).
"""

from __future__ import annotations

import hashlib
import json
from typing import cast

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.test_app_toctou import _AlreadySent
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


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


def _put_encodings(name: str, size: int, digest: str) -> dict[str, tuple[bytes, bytes]]:
    """(PUTF payload, DONE payload) in encodings other than the compact one."""
    return {
        "white space": (
            f'{{\n  "name" : "{name}",\n  "size" : {size}\n}}\n'.encode(),
            f'{{ "size" :\t{size} ,\r\n "sha256" : "{digest}" }}'.encode(),
        ),
        "members reversed": (
            f'{{"size":{size},"name":"{name}"}}'.encode(),
            f'{{"sha256":"{digest}","size":{size}}}'.encode(),
        ),
        "escaped letters": (
            f'{{"{_escaped("name")}":"{_escaped(name)}","{_escaped("size")}":{size}}}'.encode(),
            f'{{"{_escaped("size")}":{size},"{_escaped("sha256")}":"{digest}"}}'.encode(),
        ),
    }


@pytest.mark.req("VEC-2", "APP-PUT-5")
def test_put_payloads_in_any_json_encoding_are_stored(
    target: Target, app_channel: AppChannel
) -> None:
    """PUTF and DONE in other valid encodings — white space around every token, members
    in the other order, keys and the name written with `\\u` escapes — are a put like the
    compact one: accepted, acknowledged with DONE {size, sha256}, stored under the
    decoded name (a new PUTF of it, compact, is `exists`). Catches a receiver that reads
    a member out of the raw text (a regex, a fixed order, a search for `"sha256":"`)."""
    require(target, "put")
    problems = []
    for label in ("white space", "members reversed", "escaped letters"):
        name = fresh_name("sft-json")
        data = f"a put encoded with {label}\n".encode()
        digest = hashlib.sha256(data).hexdigest()
        putf, done = _put_encodings(name, len(data), digest)[label]
        channel = app_channel()
        channel.send_frame("PUTF", putf)
        answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
        if answer.frame is None or answer.frame.type != b"RSFL":
            problems.append(f"{label}: PUTF {putf!r} answered {answer.describe()}")
            continue
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", done)
        want = {"size": len(data), "sha256": digest}
        final = channel.expect([ExpectFrame("DONE", want), ExpectError()])
        if final.frame is None or final.frame.type != b"DONE":
            problems.append(f"{label}: DONE {done!r} answered {final.describe()}")
            continue
        channel.send_frame("PUTF", {"name": name, "size": 1})
        again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL")])
        if again.frame is None or again.frame.error_name != "exists":
            problems.append(f"{label}: stored, but PUTF {name!r} again: {again.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            "VEC-2/APP-PUT-5: puts whose PUTF and DONE are valid JSON in other encodings",
            "each stored like a compact one, under its decoded name",
            "\n".join(problems),
        )
