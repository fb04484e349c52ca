"""An announced digest that is a string but not a digest, as a responder receives it
(docs/SPEC.md §1 FRM-12, FRM-9; §3.4 APP-PUT-1); both profiles.

`PUTF.sha256` is optional; when present it is a `sha256` member, and "`sha256` members
MUST be exactly 64 lowercase hexadecimal characters" [FRM-12] — a payload that breaks the
frame's schema is `bad_frame` (fatal) [FRM-9]. test_app_member_types.py and
test_app_json_nulls.py give the member another JSON type (a number, an array, null); this
file gives it the right JSON type and a wrong form. The wrong implementations it catches
take a present-but-empty string for an absent member (Go's `omitempty` zero value, a
`if (sha256)` truthiness test, `obj.get("sha256") or None`), check the form only when the
string is non-empty, compare digests case-blind, or accept any string and compare it only
at DONE (where an empty or malformed one is just "another digest"). The empty string is
the boundary; each other form is one way a digest is mistyped: 63 and 65 characters,
upper case, a trailing line end, a `0x` prefix, a non-hex letter.

Each offer is sent with the DATA and an honest DONE behind it in the same write (as an
initiator that was accepted would send them): the answer is `bad_frame` and the close,
and nothing is stored under the offered name.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, frame_bytes

_DATA = b"a put whose PUTF.sha256 is a string but not a digest\n"
_SHA = hashlib.sha256(_DATA).hexdigest()

# PUTF.sha256 strings that are not 64 lowercase hex digits (FRM-12); none is "absent".
_WRONG_FORMS: dict[str, str] = {
    "empty": "",
    "63-digits": _SHA[:63],
    "65-digits": _SHA + "0",
    "upper-case": _SHA.upper(),
    "line-end": _SHA + "\n",
    "0x-prefix": "0x" + _SHA[:62],
    "non-hex-letter": _SHA[:63] + "g",
}


@pytest.mark.req("FRM-12", "FRM-9")
@pytest.mark.parametrize("form", list(_WRONG_FORMS))
def test_putf_sha256_of_a_wrong_form_is_bad_frame(
    target: Target, app_channel: AppChannel, form: str
) -> None:
    """PUTF {name, size, sha256: <a string that is not 64 lowercase hex digits>}, then the
    DATA and an honest DONE in the same write: `bad_frame` and the close; nothing stored."""
    require(target, "put")
    name = fresh_name("sft-putf-digest-form")
    offer = {"name": name, "size": len(_DATA), "sha256": _WRONG_FORMS[form]}
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
        context=f"FRM-12: PUTF {payload.decode()!r} ({form}): a sha256 member must be exactly "
        "64 lowercase hex digits; a present one of another form is malformed, not absent",
        violates=("FRM-12",),
    )
    if target.inbox is not None and (target.inbox / name).exists():
        raise ConformanceFailure(
            f"FRM-12: the put offered with PUTF {payload.decode()!r} ({form}) was stored as "
            f"{target.inbox / name}"
        )
