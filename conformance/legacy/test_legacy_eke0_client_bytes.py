"""Profile eke-legacy: the client keeps the bytes it received, every one (§7.3.3).

Message 22 is the file "raw" and message 24 the SHA-1 of those bytes; the client compares
the two and keeps the file only when they match (LEG-EKE-FMT-6: a file that differs from
message 24 MUST NOT be kept). The digest a client compares is computed over what it
read; the file it keeps is what it wrote — and the two are not the same bytes when the
write goes through a text layer: a chunk turned into a string (`toString()`, `new
String(bytes)`, `decode()` with replacement), a text-mode stream that translates line
ends, a writer never flushed or a last chunk never written, a line reader that drops the
final newline. The client then reports success and keeps a file whose SHA-1 is not
message 24. The other client cases serve random bytes and judge what the client does
with a wrong digest; here an honest server serves a file built to break text layers —
every byte value, CR LF / LF / CR, NULs, a UTF-8 byte-order mark, invalid UTF-8, chunk
boundaries of 1024 crossed, a final newline — and whatever the client keeps MUST be
exactly that file (its SHA-1 is message 24). A client that keeps nothing of an honest
transfer is not judged here (test_the_client_speaks_the_format reports it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.test_legacy_eke0 import _completed_the_handshake, _run_client_to_the_file

pytestmark = pytest.mark.xdist_group("eke-legacy")


def _awkward_file() -> bytes:
    """2 500 bytes a text layer changes: all 256 values (NUL, CR, LF, bytes >= 0x80 that
    are no UTF-8), line ends of three kinds, a BOM, random bytes, a final newline."""
    return (
        b"\xef\xbb\xbf"
        + bytes(range(256)) * 4
        + b"line\r\nline\nline\rline\r\n\r\n\x00\x00\xff\xfe\xc3\x28\xe2\x82"
        + os.urandom(2500 - 3 - 1024 - 40 - 1)
        + b"\n"
    )


@pytest.mark.req("LEG-EKE-FMT-6")
def test_the_kept_file_is_the_bytes_received(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    content = _awkward_file()
    run = _run_client_to_the_file(eke_legacy, tmp_path, content, content, "honest")
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    _completed_the_handshake(run)
    if run.saved is None:
        pytest.skip(
            f"not judged: the client kept nothing of an honest transfer ({run.how}); "
            "test_the_client_speaks_the_format reports it"
        )
    if run.saved == content:
        return
    sha1 = hashlib.sha1(run.saved, usedforsecurity=False).hexdigest()
    first = next(
        (i for i, (a, b) in enumerate(zip(run.saved, content, strict=False)) if a != b),
        min(len(run.saved), len(content)),
    )
    pytest.fail(
        "LEG-EKE-FMT-6 (the client compares message 24 with the SHA-1 of the bytes it "
        "received, and MUST NOT keep a file that differs) violated: an honest server sent "
        f"{len(content)} bytes (every byte value, CR/LF, NULs, invalid UTF-8) with message 24 "
        f"{hashlib.sha1(content, usedforsecurity=False).hexdigest()}; the client {run.how} and "
        f"kept {len(run.saved)} bytes (SHA-1 {sha1}), which differ from them from offset "
        f"{first} (sent {content[first : first + 8]!r}, kept {run.saved[first : first + 8]!r})",
        pytrace=False,
    )
