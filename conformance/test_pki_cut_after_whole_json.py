"""A responder's put whose DONE is cut after a whole JSON object (SPEC FRM-7, §3.6).

Every byte of the file, then a DONE whose header announces its JSON object followed by
white space (valid JSON: RFC 8259 allows it around a value), of which only the object is
sent before the stream ends. What arrived parses and vouches for the data; the frame is
still partial, so it is no frame [FRM-7]: the put fails and nothing is stored
[APP-STORE-3]. A responder that reads a control payload "up to its length or the end of
the stream" and parses what it got stores the file. test_app_put.py cuts its DONE
inside the JSON, where such a reader fails at the parse. Checked on the wire (a new
PUTF of the name is accepted, not `exists`) and, when the target declares it, in the
inbox. Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.test_app_put import _assert_name_free
from conformance.wire import ConformanceFailure, ExpectFrame, control, header_bytes

__all__: list[str] = []

PAYLOAD = os.urandom(2500)


@pytest.mark.req("FRM-7", "APP-STORE-3")
@pytest.mark.parametrize("padding", [1, 64], ids=["1-space", "64-spaces"])
def test_put_whose_done_is_cut_after_its_json_is_not_stored(
    target: Target, app_channel: AppChannel, padding: int
) -> None:
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    for offset in range(0, len(PAYLOAD), 1000):
        channel.send_frame("DATA", PAYLOAD[offset : offset + 1000])
    body = control({"size": len(PAYLOAD), "sha256": hashlib.sha256(PAYLOAD).hexdigest()})
    channel.send_raw(header_bytes("DONE", len(body) + padding) + body)
    channel.close()
    what = (
        f"the stream ended after the JSON of a DONE announcing {padding} more byte(s) of "
        "white space (a complete put otherwise)"
    )
    if target.inbox is not None and (target.inbox / name).exists():
        raise ConformanceFailure.evidence(
            f"FRM-7: {what}",
            "a partial frame is no frame: the put fails, nothing under the final name",
            f"{name!r} was stored in {target.inbox}",
        )
    try:
        _assert_name_free(app_channel, target, name, PAYLOAD)
    except ConformanceFailure as exc:
        raise ConformanceFailure(f"FRM-7: {what}: {exc}") from None
