"""After refusing a schema-malformed request with `bad_frame`, the responder closes
(docs/SPEC.md ERR-3; the refusal itself is FRM-9/FRM-11).

Belongs beside conformance/test_framing.py's
`test_malformed_payload_of_every_frame_type_is_bad_frame`, which judges the `bad_frame`
answer (its FAIL on a late close names ERR-3, which that case does not cite, so a run
selected by requirement does not see it). A schema check written in the same handler as
the request's non-fatal refusals (`forbidden`, `too_large`, `exists`) easily takes their
exit — "answer, then back to IDLE" — and keeps the connection. Here a valid get is
pipelined behind the malformed request, in the same write: after the `bad_frame` the
responder closes and never serves it.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.scenario import expect_fatal, send_split_frames
from conformance.target import Target
from conformance.wire import control, frame_bytes

_NAME = fresh_name("sft-conformance-schema")
# (request type, payload, what is wrong): well-formed JSON objects that break the schema.
_MALFORMED: dict[str, tuple[str, dict[str, object]]] = {
    "PUTF-missing-size": ("PUTF", {"name": _NAME}),
    "PUTF-missing-name": ("PUTF", {"size": 4}),
    "PUTF-size-string": ("PUTF", {"name": _NAME, "size": "4"}),
    "PUTF-sha256-upper": ("PUTF", {"name": _NAME, "size": 4, "sha256": "A" * 64}),
    "RQFL-name-number": ("RQFL", {"name": 7}),
}


@pytest.mark.req("ERR-3", "FRM-9")
@pytest.mark.parametrize("case", sorted(_MALFORMED))
def test_bad_frame_for_a_malformed_request_ends_the_connection(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """A request that breaks its schema, then a get of a known file in the same write:
    `bad_frame`, then the close; the get is never served."""
    frame_type, payload = _MALFORMED[case]
    if frame_type == "PUTF":
        require(target, "put")
    file = known_file(target)
    channel = app_channel()
    frames = [
        frame_bytes(frame_type, control(payload)),
        frame_bytes("RQFL", control({"name": file.name})),
    ]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    expect_fatal(
        channel,
        "bad_frame",
        context=f"{frame_type} {payload!r} ({case}), then RQFL {file.name!r} in the same write",
        violates=("FRM-9",),
    )
