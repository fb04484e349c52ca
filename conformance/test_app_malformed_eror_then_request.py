"""A malformed EROR still ends the connection, whatever is answered to it (docs/SPEC.md
§2 ERR-8, §3.2's last row).

ERR-8 lets a receiver answer a malformed `EROR` (no integer `code`, not an object, not
JSON) with `bad_frame` or close without answering; either way it MUST NOT process any
further frame of the connection. test_framing.py pipelines a get behind the malformed
`EROR` and judges the close that must follow; this case judges what comes AFTER the
answer: a responder that answers `bad_frame` through its request-refusal path (the code
that answers a bad `RQFL` non-fatally, a `name` refused) sends the right frame and then
stays in IDLE, serving the next request — the malformed `EROR` treated as one more bad
request instead of the end of the connection.

Each case sends the malformed `EROR` alone and reads the answer (the close, or `EROR
bad_frame`). When the connection is still open after it, a request follows (a get of a
known file, or a put of a fresh name): any answer to it — served, accepted or refused —
means the request was processed and FAILs ERR-8. A connection that closes late without
processing anything is ERR-3's business (test_framing.py), not judged here.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import time
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut

__all__: list[str] = []

_ANSWER_WAIT: Final = 3.0  # the answer to the malformed EROR (ERR-3's 2 s, plus slack)
_REQUEST_WAIT: Final = 3.0  # an answer to the request sent after it

_MALFORMED: Final = {
    "no-code": b'{"name":"not_found","message":"suite"}',
    "code-string": b'{"code":"5","name":"forbidden","message":"suite"}',
    "code-null": b'{"code":null,"name":"forbidden","message":"suite"}',
    "code-fraction": b'{"code":6.5,"name":"not_found","message":"suite"}',
    "array": b"[6]",
    "not-json": b"not_found",
}


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("form", sorted(_MALFORMED))
def test_no_request_is_processed_after_a_malformed_eror(
    target: Target, app_channel: AppChannel, form: str
) -> None:
    """A malformed EROR in IDLE, its answer read; then a request: never answered."""
    if not (target.has("get") and target.files) and not target.has("put"):
        pytest.skip("the target declares neither get (with a known file) nor put")
    payload = _MALFORMED[form]
    channel = app_channel()
    try:
        channel.send_frame("EROR", payload)
        first = channel.recv_frame(time.monotonic() + _ANSWER_WAIT)
        if isinstance(first, Closed):
            return
        if isinstance(first, ReceivedFrame) and not (
            first.type == b"EROR" and first.error_code == 1
        ):
            failure = ConformanceFailure.evidence(
                f"ERR-8: EROR {payload!r} in IDLE",
                "EROR bad_frame, or the close without an answer",
                first.describe(),
            )
            failure.violates = ("ERR-8",)
            raise failure
        if isinstance(first, ReceivedFrame):
            # bad_frame sent: the close must follow; a frame instead is judged below.
            after = channel.recv_frame(time.monotonic() + _ANSWER_WAIT)
            if isinstance(after, Closed):
                return
            if isinstance(after, ReceivedFrame):
                failure = ConformanceFailure.evidence(
                    f"ERR-8: EROR {payload!r} in IDLE, answered EROR bad_frame",
                    "the close: nothing more of the connection",
                    after.describe(),
                )
                failure.violates = ("ERR-8",)
                raise failure
        answered = "EROR bad_frame" if isinstance(first, ReceivedFrame) else "nothing"
        assert isinstance(first, ReceivedFrame | TimedOut)
        request: tuple[str, dict[str, object]]
        if target.has("get") and target.files:
            name = target.files[0].name
            request = ("RQFL", {"name": name})
        else:
            name = fresh_name("sft-malformed-eror-then")
            request = ("PUTF", {"name": name, "size": 1})
        if not channel.send_frame(*request):
            return  # the responder is gone: nothing processed
        reply = channel.recv_frame(time.monotonic() + _REQUEST_WAIT)
        if isinstance(reply, ReceivedFrame):
            failure = ConformanceFailure.evidence(
                f"ERR-8: EROR {payload!r} in IDLE, answered {answered} and the connection "
                f"left open; then {request[0]} {name!r}",
                "no further frame processed: the close, never an answer to the request",
                f"{reply.describe()}: the request after the malformed EROR was processed",
            )
            failure.violates = ("ERR-8",)
            raise failure
    finally:
        channel.close()
