"""A put refused at its PUTF leaves nothing in the inbox (docs/SPEC.md §3.6 APP-STORE-3).

Both profiles, for a responder on the suite's host that declares its `inbox` (SKIP
otherwise). APP-STORE-3: "on any failure ... the receiver MUST remove the temporary file".
A put refused at its PUTF (`exists`, a reserved `.sft-partial-` name, `too_large`, a name
with a `..` component) sends no data; a responder that opens its temporary before it
checks the name (or the size) and returns on the refusal without removing it leaves an
empty `.sft-partial-*` file behind for every refusal — a disk that fills with names, and
files the next start's sweep must clean up.

Oracle: the `.sft-partial-*` names of the inbox are listed right before and right after
each refused PUTF (its answer comes after whatever it created); a name that appeared in
that window and is still there, empty, 2 s after the connection closed is
that refusal's. Another case's live put in the same window would have to stay empty and
unwritten for those 2 s to be mistaken for it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_LINGER = 2.0  # seconds a temporary of a refused put may take to go


def _temporaries(inbox: Path) -> set[str]:
    return {p.name for p in inbox.glob(".sft-partial-*")}


@pytest.mark.req("APP-STORE-3")
def test_puts_refused_at_putf_leave_no_temporary(
    target: Target, app_channel: AppChannel
) -> None:
    """PUTFs refused `exists`, `forbidden` (reserved name, `..`) and `too_large`, one
    after another on one connection: after the close, none left a `.sft-partial-*` file."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("the target declares no inbox directory (`inbox`)")
    inbox = target.inbox
    stored = fresh_name()
    _answer, final = put_file(app_channel(), stored, b"sft-exists")
    offers = {
        "a put of a name already stored": {"name": stored, "size": 5},
        "a put of a reserved .sft-partial- name": {
            "name": ".sft-partial-" + fresh_name("conformance"),
            "size": 5,
        },
        "a put in a directory of a reserved name": {
            "name": "d/.sft-partial-" + fresh_name("conformance"),
            "size": 5,
        },
        "a put named with a '..' component": {"name": "../" + fresh_name(), "size": 5},
        "a put above the max file size": {
            "name": fresh_name(),
            "size": target.limits.max_file_size + 1,
        },
    }
    if final is None or final.frame is None or final.frame.type != b"DONE":
        del offers["a put of a name already stored"]
    channel = app_channel()
    suspects: dict[str, str] = {}
    refused = 0
    for what, offer in offers.items():
        before = _temporaries(inbox)
        started = time.time()
        channel.send_frame("PUTF", offer)
        answer = channel.expect(
            [
                ExpectError("exists", "forbidden", "too_large", "unsupported"),
                ExpectFrame("RSFL", {"accept": True}),
            ]
        )
        if answer.frame is None or answer.frame.type != b"EROR":
            # Accepted or closed: other cases judge that answer; carry on afresh.
            channel.close()
            channel = app_channel()
            continue
        refused += 1
        for name in _temporaries(inbox) - before:
            suspects[name] = f"{what} ({answer.frame.describe(80)}), at {started:.3f}"
    channel.close()
    if not refused:
        pytest.skip("the target refused none of the PUTFs")
    deadline = time.monotonic() + _LINGER
    left = dict(suspects)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {n: w for n, w in left.items() if _still_empty(inbox / n)}
    if left:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: {refused} PUTFs refused before any data, then the close",
            "no temporary file remains: a refused put must leave nothing in the inbox",
            f"still in {inbox} {_LINGER:g} s after the close: "
            + "; ".join(f"{n} (appeared with {w})" for n, w in sorted(left.items())),
        )


def _still_empty(path: Path) -> bool:
    """Still there and empty (never written to): what a refused put's temporary is."""
    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_size == 0
