"""Profile eke-legacy: a server that never sends message 24 (docs/SPEC.md §7.3.3, §7.3).

After message 22 the client sends `File delivered` (23) and reads message 24, the SHA-1
of the file, before it may keep the file (LEG-EKE-FMT-6). test_legacy_eke0_client_end.py
and test_legacy_eke0.py's client cases end a session with a digest (right, wrong or cut
short) and then the server's close, at once. A client can pass them and still keep the
file when message 24 does not come in time: a read timeout on message 24 taken for
"the file is complete by its length" (a short timeout armed for the digest only, or a
generic timeout handler that saves what it has). Here the suite's server serves the
whole file, reads message 23, stays silent for SILENCE seconds (no message 24, no close),
then closes without message 24: the client has nothing to compare the file with, so it
MUST NOT keep the file and MUST report the failure, whatever its timeout.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conformance.legacy.client_run import run_eke0_client
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.test_legacy_eke0_client_end import _judged, _Log, _Run, _serve

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the suite's server stays silent after message 23 before it closes without
# message 24: a client that gives up on message 24 sooner and keeps the file is caught;
# bounded so that the case stays short.
SILENCE = 5.0


@pytest.mark.req("LEG-EKE-FMT-6")
def test_no_message_24_is_no_match(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """The whole file (1500 bytes) and no message 24, the server silent for SILENCE
    seconds, then its close: the client MUST NOT keep the file and MUST report the
    failure (a command-line client: a non-zero exit status)."""
    content = os.urandom(1500)
    started = time.monotonic()
    served, done, saved = run_eke0_client(
        eke_legacy,
        tmp_path,
        lambda listener: _serve(
            listener, eke_legacy.password.encode(), content, None, silence=SILENCE
        ),
        serve_extra=SILENCE,
    )
    took = time.monotonic() - started
    log = served or _Log(error="the suite's server did not finish")
    run = _Run(log, saved, done.succeeded, done.success_evidence(), done.stderr[-400:])
    _judged(run, 23)
    if run.succeeded or run.saved is not None:
        what = "kept the file" if run.saved == content else (
            "saved nothing" if run.saved is None else f"saved {len(run.saved)} bytes"
        )  # fmt: skip
        pytest.fail(
            "LEG-EKE-FMT-6 (the client MUST compare message 24 with the SHA-1 of what it "
            "received; when the connection closes before message 24 it MUST NOT keep the "
            "file and MUST report the failure) violated: the server sent the whole file "
            f"({len(content)} bytes) and no message 24 (silent {SILENCE:.0f} s, then its "
            f"close); the client {run.how} and {what} after {took:.1f} s",
            pytrace=False,
        )
