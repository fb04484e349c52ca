"""Duplicate keys written with the other JSON escapes (docs/SPEC.md §1 FRM-9): a control
payload "that has a duplicate key at any level" is `bad_frame` (fatal); both profiles.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. RFC 8259 compares member
names as strings after unescaping. test_app_duplicate_key_spellings.py gives a schema
member twice, once with an ASCII letter written `\\u0061`; test_framing.py gives keys
twice as written. The class of bug here is the same — duplicates compared as written, or
unescaped only in part — met through the escapes a partial unescaper forgets: the
solidus `\\/` (`"x\\/y"` is `"x/y"`), a non-ASCII letter (`"\\u00e9"` is `"é"`, sent as
UTF-8 the first time), a character outside the BMP written as a surrogate pair
(`"\\ud83d\\ude00"` is U+1F600), and a nested object. The keys are unknown members
(FRM-10 ignores them — FRM-9 still refuses their duplicates), so a receiver that misses
the duplicate answers the request (`not_found`, the name is fresh) instead of
`bad_frame`.
"""

from __future__ import annotations

import uuid

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import frame_bytes

# id -> RQFL payload, `{name}` standing for a name no share holds.
_RQFL = {
    "solidus-escape": b'{"name":"{name}","x/y":1,"x\\/y":2}',
    "non-ascii-escape": '{"name":"{name}","\u00e9":1,"\\u00e9":2}'.encode(),
    "surrogate-pair-escape": '{"name":"{name}","\U0001f600":1,"\\ud83d\\ude00":2}'.encode(),
    "nested-escape": b'{"name":"{name}","x":{"k":1,"\\u006b":2}}',
}


@pytest.mark.req("FRM-9", "ERR-3")
@pytest.mark.parametrize("case", list(_RQFL))
def test_request_with_a_key_repeated_through_an_escape_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """An RQFL whose payload holds one unknown key twice, once spelt with an escape:
    `bad_frame`, then the close — not the request answered."""
    require(target, "get")
    missing = f"sft-b17-no-such-{uuid.uuid4().hex[:10]}.txt"
    payload = _RQFL[case].replace(b"{name}", missing.encode())
    channel = app_channel()
    channel.send_raw(frame_bytes("RQFL", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=f"FRM-9: RQFL {payload.decode()} (a key given twice, once escaped: {case})",
        violates=("FRM-9",),
    )
