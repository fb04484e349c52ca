"""A responder's put integrity: a lie the first round left out (SPEC §3.4 APP-PUT-5).
Could move into test_app_put.py.

Fewer bytes than announced, with a `DONE` that agrees with the offer (`size` = PUTF's
size) and carries the digest of the bytes actually sent: a responder that compares the
sizes announced (PUTF, DONE) and the digest of what arrived, but never counts the bytes
that arrived, stores a truncated file. It must answer `integrity_failed` and store
nothing under the name.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import Target
from conformance.test_app_put import _assert_name_free
from conformance.wire import ConformanceFailure

PAYLOAD = os.urandom(3000)


@pytest.mark.req("APP-PUT-5", "APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("missing", [1, 1000])
def test_put_short_of_its_size_with_agreeing_done_is_refused(
    target: Target, app_channel: AppChannel, missing: int
) -> None:
    """PUTF size N, N - `missing` bytes of DATA, DONE {size: N, sha256: SHA-256 of the
    bytes sent}: `integrity_failed` (fatal), nothing stored under the name."""
    require(target, "put")
    name = fresh_name()
    sent = PAYLOAD[:-missing]
    answer, final = put_file(
        app_channel(),
        name,
        sent,
        announce=len(PAYLOAD),
        done_size=len(PAYLOAD),
        done_sha=hashlib.sha256(sent).hexdigest(),
    )
    if final is None:
        raise ConformanceFailure(f"PUTF was not accepted: {answer.describe()}")
    if not final.ok or final.frame is None or final.frame.type != b"EROR":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: PUTF size {len(PAYLOAD)}, {len(sent)} bytes of DATA, then DONE "
            f"{{size: {len(PAYLOAD)}, sha256 of the {len(sent)} bytes sent}}",
            "EROR integrity_failed, then close; nothing stored",
            final.describe(),
        )
    _assert_name_free(app_channel, target, name, sent)
