"""Puts of growing sizes on one connection, each judged by its own announcement (SPEC
§3.4 APP-PUT-5, APP-PUT-4, §3.2 APP-2).

A connection carries several transfers (APP-2), and a put is checked against what its own
`PUTF` and `DONE` announce (APP-PUT-5): the responder MUST store a put whose bytes match
them. What a responder sets up for the connection's first put — a writer sized for it, a
buffer, a byte budget or a limit taken from its `PUTF.size`, a count of DATA frames — and
keeps for the next puts caps a LATER, LARGER put: refused `integrity_failed` ("more data
than announced"), cut short, or stored truncated, although every byte matches its own
announcement. Sequences that shrink (test_app_put_sequence.py: the max file size first)
never show it; this one grows: 1 byte, then 1 000 bytes, then 70 000 (past a 64 KiB
buffer), then 1 MiB + 1 (past a DATA frame's maximum: two frames), within the max file
size. Each put is acknowledged with a DONE carrying its own size and SHA-256; where the
target declares an inbox on this host, each is stored with exactly its bytes.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure

_SIZES = (1, 1000, 70_000, 1024 * 1024 + 1)


@pytest.mark.req("APP-PUT-5", "APP-2")
def test_later_larger_puts_on_one_connection(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    limit = target.limits.max_file_size
    sizes = [size for size in _SIZES if size <= limit]
    if len(sizes) < 3:
        pytest.skip(f"the max file size ({limit} B) leaves no room for growing puts")
    channel = app_channel(timeout=max(10.0, sum(sizes) / (2 * 1024 * 1024)))
    done: list[str] = []
    for index, size in enumerate(sizes):
        data = os.urandom(size)
        name = fresh_name("sft-growing-put")
        context = f"put {index + 1} of {len(sizes)} on one connection, {size} B, after " + (
            ", ".join(done) if done else "nothing"
        )
        # 64 KiB DATA frames (the 1 MiB + 1 put: 17 of them), the frame size a sender picks.
        answer, final = put_file(channel, name, data)
        if answer.frame is None or answer.frame.type != b"RSFL":
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: {context}",
                f"RSFL {{accept: true}}: a fresh name, within the max file size ({limit} B)",
                answer.describe(),
            )
        want = {"size": size, "sha256": hashlib.sha256(data).hexdigest()}
        receipt = final.frame.json() if final is not None and final.frame is not None else None
        got = {k: receipt.get(k) for k in want} if isinstance(receipt, dict) else receipt
        if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
            failure = ConformanceFailure.evidence(
                f"APP-PUT-5: {context}: every byte sent as announced, then DONE {want}",
                f"DONE {want}: the put is judged by its own PUTF and DONE, not by an "
                "earlier put of the connection",
                final.describe() if final is not None else "nothing",
                "a size, buffer or frame count taken from the connection's first put?"
                if index
                else "",
            )
            failure.violates = ("APP-PUT-5",)
            raise failure
        if target.inbox is not None:
            stored = target.inbox / name
            if not stored.is_file() or stored.read_bytes() != data:
                raise ConformanceFailure.evidence(
                    f"APP-PUT-5: {context}, acknowledged with DONE, in the declared inbox "
                    f"{target.inbox}",
                    f"{name!r} holding exactly the {size} bytes sent",
                    "missing" if not stored.is_file() else f"{stored.stat().st_size} bytes",
                )
        done.append(f"{size} B")
