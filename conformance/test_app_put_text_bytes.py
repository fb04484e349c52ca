"""A put whose bytes look like text is stored byte for byte (docs/SPEC.md §3.4 APP-PUT-5,
§3.6); both profiles.

"The responder MUST verify size and SHA-256 … and answer `DONE {size, sha256}` only once
the file is durably stored under its final name": the file stored is the file verified.
A receiver that hashes the bytes as they arrive but writes them through a text layer —
a universal-newline stream (CRLF and a lone CR become LF), a C runtime in text mode (a
Ctrl-Z ends the file, LF becomes CRLF), a decoder that drops a byte order mark or stops
at a NUL, a "sanitiser" that strips trailing white space — verifies one file and stores
another, and its DONE tells the initiator the transfer succeeded. Random test data
rarely holds these bytes; here the content is made of them.

Each content below is put on one connection (each must be acknowledged with its own
DONE); the inbox's copy is then compared byte for byte. Needs the inbox's path (target
file key `inbox`): a responder on the suite's own host.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure

_CONTENTS: dict[str, bytes] = {
    "CRLF line ends": b"first line\r\nsecond line\r\n\r\nlast line\r\n",
    "lone CR and LF": b"\r\rcarriage\rreturns\n\nand line feeds\n\r",
    "only CRLF": b"\r\n",
    "a NUL inside and at the end": b"before\x00after\x00",
    "Ctrl-Z (DOS end of file)": b"text\x1amore after the end-of-file mark\x1a",
    "a UTF-8 byte order mark": b"\xef\xbb\xbfafter the BOM\n",
    "a UTF-16 text": "UTF-16 \u00e9t\u00e9\r\n".encode("utf-16"),
    "trailing white space": b"spaces and tabs at the end \t \n \n\t",
    "no final line end": b"no newline at the end",
}


@pytest.mark.req("APP-PUT-5")
def test_text_like_contents_are_stored_byte_for_byte(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None:
        pytest.skip("needs the inbox's path (target file key `inbox`)")
    channel = app_channel()
    problems: list[str] = []
    for label, data in _CONTENTS.items():
        name = fresh_name("sft-text-bytes")
        offer, final = put_file(channel, name, data)
        if final is None:
            problems.append(f"{label}: the put was not accepted ({offer.describe()})")
            channel = app_channel()
            continue
        want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if final.frame is None or final.frame.type != b"DONE":
            problems.append(f"{label}: DONE answered {final.describe()}")
            channel = app_channel()
            continue
        receipt = final.frame.json() or {}
        if {k: receipt.get(k) for k in want} != want:
            problems.append(f"{label}: DONE {receipt} is not the put's own {want}")
        path = inbox / name
        stored = path.read_bytes() if path.is_file() else None
        if stored != data:
            shown = "nothing" if stored is None else f"{len(stored)} bytes {stored[:48]!r}"
            problems.append(
                f"{label}: acknowledged with DONE, but {name!r} holds {shown}, "
                f"not the {len(data)} bytes sent {data[:48]!r}"
            )
    if problems:
        raise ConformanceFailure.evidence(
            "APP-PUT-5: puts whose content is text-like bytes (line ends, NUL, Ctrl-Z, BOM, "
            "UTF-16, trailing white space), one connection",
            "each acknowledged with its own DONE and stored byte for byte under its name",
            "\n".join(problems),
        )
