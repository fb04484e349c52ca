"""An optional member of the wrong JSON type, as a responder receives it (docs/SPEC.md §1).

Runs over both profiles (the `target` fixture). FRM-9: an optional member the schema
defines (`PUTF.sha256`) that is present with the wrong JSON type is malformed, not
"absent". test_app_json_nulls.py checks `null`; this file checks every other JSON type a
string member can be given: a number, `true`/`false`, an array (also one holding the right
digest) and an object. The wrong implementations it catches: a validator that returns early
on a type it did not expect (`if not isinstance(v, str): continue  # not ours`), a decoder
that drops members it cannot map (a Go `*string` left nil by a lenient decoder, a
`getOrNull`), or one that compares a list's first element. The answer is `bad_frame`, then
the close; the data sent right behind the PUTF (as a responder that accepted would take it)
is never stored.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, frame_bytes

_DATA = b"a put whose PUTF.sha256 has the wrong type\n"
_SHA = hashlib.sha256(_DATA).hexdigest()

# PUTF.sha256 values of every JSON type but string (null: test_app_json_nulls.py).
_WRONG_TYPES: dict[str, object] = {
    "number": 5,
    "zero": 0,
    "true": True,
    "false": False,
    "empty-array": [],
    "array-of-the-digest": [_SHA],
    "empty-object": {},
    "object-with-the-digest": {"sha256": _SHA},
}


@pytest.mark.req("FRM-9", "FRM-12")
@pytest.mark.parametrize("case", sorted(_WRONG_TYPES))
def test_putf_sha256_of_another_json_type_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """PUTF {name, size, sha256: <not a string>}, then (as if accepted) the DATA and an
    honest DONE in the same write: `bad_frame` and the close; nothing stored."""
    require(target, "put")
    name = fresh_name()
    offer = {"name": name, "size": len(_DATA), "sha256": _WRONG_TYPES[case]}
    payload = json.dumps(offer, separators=(",", ":")).encode()
    channel = app_channel()
    channel.send_raw(
        frame_bytes("PUTF", payload)
        + frame_bytes("DATA", _DATA)
        + frame_bytes("DONE", json.dumps({"size": len(_DATA), "sha256": _SHA}).encode())
    )
    expect_fatal(
        channel,
        "bad_frame",
        context=f"FRM-9: PUTF {payload.decode()} ({case}): an optional member present with "
        "the wrong JSON type is malformed, not absent",
        violates=("FRM-9",),
    )
    if target.inbox is not None and (target.inbox / name).exists():
        raise ConformanceFailure(
            f"FRM-9: the put offered with PUTF {payload.decode()} ({case}) was stored as "
            f"{target.inbox / name}"
        )
