"""Profile eke-legacy: the client receives a file past the sizes of a quick test (§7.3.3).

Message 19 announces the file's length in ASCII digits (up to 16 of them) and message 22 is
that many raw bytes (the seed sends them in pieces of 1024); the client then sends message
23 and compares message 24 with the SHA-1 of what it received (LEG-EKE-FMT-1: its messages
in the order of the table; LEG-EKE-FMT-6). The other client cases serve files of 700-2 500
bytes: they fit in every buffer a client has. A client that reads the file through a fixed
buffer (its connection buffer of 8 KiB, a 64 KiB array, a 1 MiB read), keeps a counter too
narrow, or treats message 22 as one message read whole, passes all of them and fails on
the first real file: it never sends message 23, or keeps fewer bytes. Here an honest server serves
files just past 8 KiB, 64 KiB and 1 MiB, each announced and digested honestly, and the
client MUST complete the exchange and keep exactly those bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.test_legacy_eke0 import _completed_the_handshake, _run_client_to_the_file

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Just past the buffers a C, Java, Go or Node client commonly reads through.
SIZES = {"past-8KiB": 8 * 1024 + 7, "past-64KiB": 64 * 1024 + 13, "past-1MiB": (1 << 20) + 3}


@pytest.mark.req("LEG-EKE-FMT-1", "LEG-EKE-FMT-6")
@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
def test_a_file_past_a_buffer_is_received_whole(
    size: int, eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    content = os.urandom(size)
    run = _run_client_to_the_file(eke_legacy, tmp_path, content, content, "honest")
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    _completed_the_handshake(run)
    if 1 not in run.log.got:
        pytest.skip(f"not judged: the client sent nothing ({run.log.error}; {run.stderr!r})")
    if run.succeeded and run.saved == content and 23 in run.log.got:
        return
    if run.saved is None:
        kept = "kept nothing"
    else:
        sha1 = hashlib.sha1(run.saved, usedforsecurity=False).hexdigest()
        kept = f"kept {len(run.saved)} bytes (SHA-1 {sha1})"
    sent23 = "sent message 23" if 23 in run.log.got else "never sent message 23"
    pytest.fail(
        "LEG-EKE-FMT-1, LEG-EKE-FMT-6 (the client reads message 22, the announced number of "
        "bytes, sends message 23 and keeps the file whose SHA-1 is message 24) violated: an "
        f"honest server announced {size} bytes in message 19, sent them all "
        f"with message 24 {hashlib.sha1(content, usedforsecurity=False).hexdigest()}; the "
        f"client {sent23}, {run.how} and {kept} "
        f"(the suite's server: {run.log.error or 'no error'}; stderr {run.stderr[-200:]!r})",
        pytrace=False,
    )
