"""Control payloads in another Unicode encoding than UTF-8 (docs/SPEC.md §1 FRM-8, FRM-9).

A control payload "MUST be a UTF-8 encoded JSON object" (FRM-8) and one that is not valid
JSON in UTF-8 is `bad_frame`, fatal (FRM-9). The class of bug: the JSON library is handed
the payload's BYTES and picks their encoding itself — Python's `json.loads(bytes)` detects
UTF-16 and UTF-32 (with or without a byte order mark) from the pattern of NUL bytes,
Jackson's `ObjectMapper.readTree(byte[])` and .NET's readers do the same — so a payload in
UTF-16 or UTF-32 is read as the request it spells, where a reader that decodes UTF-8
first sees NUL bytes between the characters and answers `bad_frame`. (A UTF-8 byte order
mark is not in the family: RFC 8259 §8.1 lets a parser ignore it.)

Each payload names a file the share holds (a lenient reader then serves it: RSFL) or
offers a fresh put (a lenient reader accepts it: RSFL accept). Both profiles.
Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import json

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import frame_bytes

# codec name -> byte order mark written before the text (b"" for none)
_ENCODINGS = {
    "utf-16-le": ("utf-16-le", b""),
    "utf-16-be": ("utf-16-be", b""),
    "utf-16-le-bom": ("utf-16-le", b"\xff\xfe"),
    "utf-16-be-bom": ("utf-16-be", b"\xfe\xff"),
    "utf-32-le": ("utf-32-le", b""),
    "utf-32-be": ("utf-32-be", b""),
    "utf-32-le-bom": ("utf-32-le", b"\xff\xfe\x00\x00"),
    "utf-32-be-bom": ("utf-32-be", b"\x00\x00\xfe\xff"),
}


def _encoded(obj: dict[str, object], case: str) -> bytes:
    codec, bom = _ENCODINGS[case]
    return bom + json.dumps(obj, separators=(",", ":")).encode(codec)


@pytest.mark.req("FRM-9", "FRM-8", "ERR-3")
@pytest.mark.parametrize("case", list(_ENCODINGS))
def test_a_get_request_in_utf16_or_utf32_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    file = known_file(target)
    payload = _encoded({"name": file.name}, case)
    channel = app_channel()
    channel.send_raw(frame_bytes("RQFL", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=(
            f"FRM-8/FRM-9: RQFL for {file.name!r} encoded in {case} ({payload[:24]!r}...): "
            "not a UTF-8 JSON text (a reader that lets its JSON library detect the "
            "encoding serves the file)"
        ),
        violates=("FRM-9",),
    )


@pytest.mark.req("FRM-9", "FRM-8", "ERR-3")
@pytest.mark.parametrize("case", ["utf-16-le", "utf-16-be-bom", "utf-32-le"])
def test_a_put_offer_in_utf16_or_utf32_is_bad_frame(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    require(target, "put")
    name = fresh_name("sft-b16-enc")
    payload = _encoded({"name": name, "size": 1}, case)
    channel = app_channel()
    channel.send_raw(frame_bytes("PUTF", payload))
    expect_fatal(
        channel,
        "bad_frame",
        context=(
            f"FRM-8/FRM-9: PUTF of {name!r} encoded in {case} ({payload[:24]!r}...): not a "
            "UTF-8 JSON text (a reader that lets its JSON library detect the encoding "
            "accepts the put)"
        ),
        violates=("FRM-9",),
    )
