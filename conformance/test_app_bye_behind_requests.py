"""A request that BYE_ follows in the same write is still answered, before the end
(docs/SPEC.md §3.2 APP-2, §3.4 APP-PUT-5, §3.7 APP-BYE-1); both profiles.

APP-2: the initiator MAY pipeline requests and the responder MUST process them in order;
`BYE_` is a request (APP-1) and ends the connection only when its turn comes (APP-BYE-1).
test_app_bye_pipelined.py judges the frame AFTER a `BYE_` (never answered). This is the
other side: the request BEFORE it. The class of bug: a responder that looks ahead —
"the initiator is leaving, nobody is left to tell" — and, with a `BYE_` already
received, skips the answer it owes: the receipt `DONE` of a verified put (stored, or
dropped), the rest of a get, a refusal; or that handles `BYE_` as soon as it is read and
closes with the earlier request unanswered.

Each request is sent with `BYE_` right behind it: in one write over sft-pki/1 (one TLS
record), as two records sent back to back over sft-eke/1 (a record holds one frame,
EKE-REC-1). For the put, PUTF is answered first, then the data, `DONE` and `BYE_` go
together. The answer must come whole, then the `BYE_` echo or the close:

- a put: its `DONE {size, sha256}` (APP-PUT-5);
- a get of a known file: `RSFL`, its bytes, `DONE`;
- a get of a missing file: `EROR not_found`;
- a refused put (a name with a `..` component): `EROR forbidden`.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

_MAX_FRAMES: Final = 4096  # bounds the reads (a known file of a few MiB in DATA frames)


def _send_with_bye(channel: Channel, target: Target, frames: list[tuple[str, bytes]]) -> None:
    """`frames` then BYE_: one write over sft-pki/1, back-to-back records over sft-eke/1."""
    frames = [*frames, ("BYE_", b"{}")]
    if target.profile == "eke":
        for frame_type, payload in frames:
            channel.send_frame(frame_type, payload)
    else:
        channel.send_raw(b"".join(frame_bytes(t, p) for t, p in frames))


def _read_to_end(channel: Channel, target: Target) -> list[ReceivedFrame | str]:
    """Every frame until the connection ends (or the idle bound passes)."""
    deadline = deadline_after(target.limits.idle_timeout * 1.5 + 5.0)
    out: list[ReceivedFrame | str] = []
    for _ in range(_MAX_FRAMES):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            out.append(event.describe() if not isinstance(event, Closed) else "the close")
            break
        out.append(event)
    return out


def _shown(events: list[ReceivedFrame | str]) -> str:
    parts: list[str] = []
    for event in events:
        text = event if isinstance(event, str) else event.describe(80)
        if parts and parts[-1].startswith("DATA") and text.startswith("DATA"):
            continue  # one DATA line for a run of them
        parts.append(text)
    return " then ".join(parts)


def _judge(what: str, expected: str, events: list[ReceivedFrame | str], answer_ok: bool) -> None:
    """The answer judged by the caller; here: nothing but a BYE_ echo after it, then the
    close (a responder that leaves the connection open after BYE_ breaks APP-BYE-1)."""
    kinds = [e.type if isinstance(e, ReceivedFrame) else e for e in events]
    echo_first = b"BYE_" in kinds and any(
        k not in (b"BYE_", "the close") for k in kinds[kinds.index(b"BYE_") :]
    )
    if not answer_ok or echo_first or kinds[-1:] != ["the close"]:
        raise ConformanceFailure.evidence(
            f"APP-2: {what}, with BYE_ right behind it",
            f"{expected}, then the BYE_ echo or the close: the request before BYE_ is "
            "answered in order, and BYE_ ends the connection",
            _shown(events),
        )


def _frames(events: list[ReceivedFrame | str]) -> list[ReceivedFrame]:
    return [e for e in events if isinstance(e, ReceivedFrame) and e.type != b"BYE_"]


@pytest.mark.req("APP-2", "APP-PUT-5", "APP-BYE-1")
def test_put_with_bye_behind_its_done_is_acknowledged(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    data = b"a put whose DONE has BYE_ behind it\n"
    name = fresh_name("sft-bye-behind")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    accepted = channel.recv_frame(deadline_after(channel.timeout))
    if not (isinstance(accepted, ReceivedFrame) and accepted.type == b"RSFL"):
        pytest.skip(f"the put of {name!r} was not accepted: {accepted.describe()}")
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    _send_with_bye(channel, target, [("DATA", data), ("DONE", json.dumps(want).encode())])
    events = _read_to_end(channel, target)
    channel.close()
    answers = _frames(events)
    receipt = answers[0].json() if answers and answers[0].type == b"DONE" else None
    ok = (
        len(answers) == 1
        and isinstance(receipt, dict)
        and {k: receipt.get(k) for k in want} == want
    )
    _judge(f"a put of {len(data)} bytes (DATA, DONE)", f"DONE {want}", events, ok)


@pytest.mark.req("APP-2", "APP-BYE-1")
@pytest.mark.parametrize("kind", ["get-known-file", "get-missing-file", "refused-put"])
def test_request_with_bye_behind_it_is_answered(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    known = None
    if kind == "refused-put":
        require(target, "put")
        request = ("PUTF", {"name": f"sub/../{fresh_name('sft-bye-behind')}", "size": 1})
        expected = "EROR forbidden"
    elif kind == "get-missing-file":
        require(target, "get")
        request = ("RQFL", {"name": fresh_name("sft-bye-behind")})
        expected = "EROR not_found"
    else:
        require(target, "get")
        known = next((f for f in target.files if f.size <= 4 * 1024 * 1024), None)
        if known is None:
            pytest.skip("the target lists no known file of at most 4 MiB")
        request = ("RQFL", {"name": known.name})
        expected = f"RSFL, {known.size} bytes of DATA, DONE"
    frame_type, payload = request
    channel = app_channel()
    _send_with_bye(channel, target, [(frame_type, json.dumps(payload).encode())])
    events = _read_to_end(channel, target)
    channel.close()
    answers = _frames(events)
    if kind == "get-known-file":
        data = b"".join(f.payload for f in answers if f.type == b"DATA")
        done = answers[-1].json() if answers and answers[-1].type == b"DONE" else None
        ok = (
            bool(answers)
            and answers[0].type == b"RSFL"
            and isinstance(done, dict)
            and done.get("sha256") == hashlib.sha256(data).hexdigest()
            and known is not None
            and len(data) == known.size
        )
    else:
        wanted = "forbidden" if kind == "refused-put" else "not_found"
        ok = len(answers) == 1 and answers[0].error_name == wanted
    _judge(f"{frame_type} {payload}", expected, events, ok)
