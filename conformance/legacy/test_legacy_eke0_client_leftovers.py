"""Profile eke-legacy: what a client leaves behind when it refuses a file (§7.3.3).

When message 24 differs from the SHA-1 of what arrived, the client "MUST NOT keep the
file and MUST report the failure" (LEG-EKE-FMT-6). test_legacy_eke0.py and
test_legacy_eke0_client_end.py judge the client by its exit status and by the file at
OUT. A client can pass them and still:
- keep the file under another name: it streams into a temporary file beside OUT
  (`OUT.tmp`, `.OUT.part-1234`) and renames it when the digests match, but the refusal
  path (`die()`, an early `return err` past a `Close` without a `Remove`) leaves the
  temporary file there with every byte it received — the file is kept, only not where
  the user looks first;
- fail open on a digest it cannot read: it decodes message 24 from hex to compare bytes,
  and a message 24 that does not decode (not 40 hex digits) is logged and "not checked",
  the file kept — where a digest that is not the SHA-1 of the file is a mismatch.

The suite plays an honest eke/0 server (test_legacy_eke0_client_end.py's) and sends, as
message 24, a digest that is not the file's.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.test_legacy_eke0_client_end import _judged, _run

pytestmark = pytest.mark.xdist_group("eke-legacy")


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest().encode()


def _copies(directory: Path, content: bytes) -> list[str]:
    """Files in `directory` (the client's OUT is `received.bin` there) holding a non-empty
    prefix of `content` — the whole of it or what arrived before a failure."""
    found = []
    for path in sorted(directory.iterdir()):
        if path.name == "client.password" or not path.is_file():
            continue
        data = path.read_bytes()
        if data and content.startswith(data):
            found.append(f"{path.name!r} ({len(data)} of the {len(content)} bytes)")
    return found


@pytest.mark.req("LEG-EKE-FMT-6")
def test_a_refused_file_leaves_no_copy_beside_out(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    """A 3000-byte file (three 1024-byte sends) and, as message 24, the SHA-1 of other
    bytes: the client reports the failure and no file in OUT's directory holds what it
    received."""
    content = os.urandom(3000)
    run = _run(eke_legacy, tmp_path, content, _sha1(os.urandom(3000)))
    _judged(run, 23)
    left = _copies(tmp_path, content)
    assert not left, (
        "LEG-EKE-FMT-6 (when message 24 differs from the SHA-1 of what arrived the client "
        f"MUST NOT keep the file): after a wrong digest the client {run.how}, and OUT's "
        f"directory holds {', '.join(left)}: the file was kept under another name"
    )


@pytest.mark.req("LEG-EKE-FMT-6")
def test_a_digest_that_is_not_hex_is_no_match(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """Message 24 as 40 bytes that are not hex digits, then as the file's SHA-1 with its
    last digit replaced by 'g': neither is the SHA-1 of the file; the client MUST NOT keep
    the file and MUST report the failure."""
    kept = []
    for number, label in enumerate(
        ("40 letters that are no hex digits", "the file's SHA-1 with its last digit 'g'")
    ):
        content = os.urandom(1500)
        digest = b"z" * 40 if number == 0 else _sha1(content)[:39] + b"g"
        directory = tmp_path / f"run-{number}"
        run = _run(eke_legacy, directory, content, digest)
        _judged(run, 23)
        left = _copies(directory, content)
        if run.succeeded or run.saved is not None or left:
            if run.saved is not None:
                what = "kept the file" if run.saved == content else f"saved {len(run.saved)} bytes"
            else:
                what = "left " + ", ".join(left) if left else "saved nothing"
            kept.append(
                f"message 24 {digest.decode()!r} ({label}): the client {run.how} and {what}"
            )
    assert not kept, (
        "LEG-EKE-FMT-6 (the client MUST compare message 24 with the SHA-1 of what it "
        "received and MUST NOT keep a file whose digest differs): "
        + "; ".join(kept)
        + " — a digest it could not read was taken for a match"
    )
