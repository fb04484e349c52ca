"""A put is stored as the bytes received, whatever its name says about its content: no
text mode, no line-end or encoding conversion (docs/SPEC.md §3.6 APP-STORE-1, §3.4
APP-PUT-5); both profiles.

APP-STORE-1: "Every byte received is written"; APP-PUT-5: the responder verifies size and
SHA-256 "before storing" and answers `DONE` "only once the file is durably stored under
its final name". The `DONE` a responder sends repeats the initiator's digest: it shows
what was VERIFIED, not what was written. A responder that brings FTP's ASCII mode (or a
text-mode `fopen`, or a "normalise line ends" option) writes a text-looking name — `.txt`,
`.csv`, `.md`, `.log`, `.html`, a Windows `.bat` — through a conversion: CR LF turned into
LF (or LF into CR LF), a UTF-8 byte-order mark dropped, the file cut at a DOS end-of-file
byte (0x1A), trailing white space stripped. Its `DONE` is right and the file stored is
another. Cases that put random bytes under `.bin` names never see it.

Each case puts, on one connection, the same content under names of many extensions (and
none, and an upper-case one), the content holding every such trap: CR LF, a lone CR, a
lone LF, CR CR LF, a leading UTF-8 BOM, 0x1A in the middle, NUL, trailing spaces and tabs,
bytes 0x80-0xFF and no final line end; once in one `DATA` frame, once with a `DATA` frame
boundary between a CR and its LF. Each put must be acknowledged with `DONE`, and the file
in the declared `inbox` must hold exactly the bytes sent.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Needs the `put` feature and a
declared `inbox` (the responder on the suite's own host); SKIP otherwise.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_EXTENSIONS: Final = (
    ".txt", ".TXT", ".csv", ".md", ".log", ".html", ".xml", ".json", ".ini", ".bat",
    ".sh", ".c", ".py", "", ".bin",
)  # fmt: skip
_LINES: Final = (
    b"\xef\xbb\xbfheader;value\r\n"
    b"crlf line\r\n"
    b"lf line\n"
    b"lone cr\rafter it\r\r\n"
    b"trailing blanks  \t \r\n"
    b"nul \x00 and dos eof \x1a in the middle\r\n"
    b"eight-bit \x80\x85\x9f\xa0\xe9\xff\r\n"
    b"\r\n\n\r"
    b"no final line end"
)


def _contents() -> dict[str, tuple[bytes, int]]:
    """content and the DATA chunk size it is sent with."""
    split = b"x" * 4095 + b"\r\n" + _LINES  # the CR ends the first 4 KiB DATA frame
    return {"one-frame": (_LINES * 3, 64 * 1024), "cr-lf-split": (split, 4096)}


@pytest.mark.req("APP-STORE-1", "APP-PUT-5")
@pytest.mark.parametrize("shape", ["one-frame", "cr-lf-split"])
def test_put_is_stored_as_sent_whatever_its_extension(
    target: Target, app_channel: AppChannel, shape: str
) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None:
        pytest.skip("the target declares no `inbox` on this host")
    content, chunk = _contents()[shape]
    tag = uuid.uuid4().hex[:10]
    wrong: list[str] = []
    stored: list[Path] = []
    channel = app_channel()
    try:
        for extension in _EXTENSIONS:
            name = f"sft-as-sent-{tag}-{shape}{extension}"
            answer, final = put_file(channel, name, content, chunk=chunk)
            ok = (
                answer.frame is not None
                and answer.frame.type == b"RSFL"
                and final is not None
                and final.frame is not None
                and final.frame.type == b"DONE"
            )
            if not ok:
                then = answer.describe() if final is None else final.describe()
                wrong.append(f"{name!r}: not stored: {then.splitlines()[-1].strip()}")
                channel.close()
                channel = app_channel()
                continue
            path = inbox / name
            stored.append(path)
            data = path.read_bytes() if path.is_file() else None
            if data != content:
                got = "missing" if data is None else _difference(content, data)
                wrong.append(f"{name!r}: {got}")
    finally:
        channel.close()
        for path in stored:
            path.unlink(missing_ok=True)
    if wrong:
        raise ConformanceFailure.evidence(
            f"APP-STORE-1: puts of {len(content)} bytes ({shape}) holding CR LF, lone CR, a "
            "BOM, 0x1A, NUL and trailing blanks, under names of many extensions",
            "each acknowledged with DONE and stored byte for byte as sent",
            "\n".join(wrong),
        )


def _difference(sent: bytes, stored: bytes) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(sent, stored, strict=False)) if a != b),
        min(len(sent), len(stored)),
    )
    return (
        f"DONE answered, but the file holds {len(stored)} bytes (sha256 "
        f"{hashlib.sha256(stored).hexdigest()[:16]}...), not the {len(sent)} sent; first "
        f"difference at byte {at}: sent {sent[at : at + 8]!r}, stored {stored[at : at + 8]!r}"
    )
