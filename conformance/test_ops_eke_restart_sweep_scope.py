"""What the sft-eke/1 server's start-up sweep takes: every stale temporary, nothing else.

docs/SPEC.md APP-STORE-3: "A responder MUST also remove, when it starts, the
`.sft-partial-*` files that an earlier run left in its inbox (it owns its inbox)." APP-NAME-9
reserves that prefix, exactly, and nothing else; APP-PUT-5: `DONE` only once the file is
durably stored under its final name — a restart that deletes it took the `DONE` back.

test_eke_restart_state.py plants one stale temporary and stores three names far from the
prefix (`.sft-notes-*`, `.hidden-*`, `sft-conformance-*`). The sweeps that slip between
them, each one line of a port:

- a loop that returns after its first removal (the other leftovers stay for good);
- a prefix compared one byte short (`strncmp(name, ".sft-partial-", 12)`): `.sft-partial_x`
  and `.sft-partialx` are taken for temporaries;
- a prefix compared case-blind (`strcasecmp`, a case-insensitive glob): `.SFT-PARTIAL-x`,
  an ordinary name (APP-NAME-9 is on the exact bytes), is deleted;
- "leftovers" judged by content: an empty file (the placeholder an earlier version put
  under the final name) is deleted, and with it every stored empty put;
- and its mirror, temporaries judged by their size: an empty `.sft-partial-*` ("just
  created: it may be a live transfer's") is kept, although a put killed before its first
  DATA leaves exactly that.

So: three stale temporaries of different random-part shapes and sizes (0, 1 and 29 bytes;
dated twice the idle timeout
and 10 s back: no live transfer can be writing them, whatever the age rule), five stored
puts whose names sit next to the prefix (one byte off, case off) and an empty put, then
the declared restart (`[eke] restart_cmd`): every temporary must be gone and every stored
file still there, unchanged. A put the responder refuses is left out (not judged here:
test_app_reserved_prefix_lookalikes.py judges names). One restart for the whole class.
Without a restart command or a declared inbox the case SKIPs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_SWEEP_WITHIN = 5.0  # the sweep may run just after the server accepts again


def _stale_temporaries(inbox: Path, age: float) -> list[Path]:
    """Three leftovers of a killed run: the prefix with random parts of three shapes."""
    parts = [
        os.urandom(12).hex(),  # the reference's shape
        f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}",  # uuid-like
        f"Q{secrets.token_hex(3)}.tmp",  # mkstemp-like: letters, a suffix
    ]
    # Three sizes too: empty (a put killed before its first DATA), one byte, a few dozen.
    sizes = [0, 1, 29]
    then = time.time() - age
    made = []
    for part, size in zip(parts, sizes, strict=True):
        path = inbox / f".sft-partial-{part}"
        path.write_bytes(b"left by a run killed mid-put\n"[:size])
        os.utime(path, (then, then))
        made.append(path)
    return made


@pytest.mark.profile("eke")
@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_restart_sweeps_every_temporary_and_keeps_every_stored_file(
    eke_target: Target, app_channel: AppChannel, eke_sources: SourceAddresses
) -> None:
    require(eke_target, "put")
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    tag = secrets.token_hex(5)
    contents = {
        f".sft-partial_{tag}": secrets.token_bytes(300),  # byte 13 is not `-`
        f".sft-partial{tag}": secrets.token_bytes(300),  # the prefix without its dash
        f".SFT-PARTIAL-{tag}": secrets.token_bytes(300),  # the prefix in upper case
        f".Sft-Partial-{tag}.txt": secrets.token_bytes(300),
        f"empty-{tag}.txt": b"",  # an empty put
    }
    age = 2 * eke_target.limits.idle_timeout + 10.0
    stale: list[Path] = []
    stored: list[str] = []
    try:
        channel = app_channel()
        for name, data in contents.items():
            channel.send_frame("PUTF", {"name": name, "size": len(data)})
            answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
            if answer.frame is None or answer.frame.type != b"RSFL":
                continue  # refused: names are judged elsewhere
            if data:
                channel.send_frame("DATA", data)
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
            channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
            stored.append(name)
        channel.close()
        stale = _stale_temporaries(inbox, age)
        restart_until_serving(eke_target, eke_sources)
        deadline = time.monotonic() + _SWEEP_WITHIN
        while any(p.exists() for p in stale) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the sweep is the target's own work
        app_channel().close()  # served: whatever the sweep does is done by now
        left = [p.name for p in stale if p.exists()]
        lost = [n for n in stored if not (inbox / n).is_file()]
        changed = [n for n in stored if n not in lost and (inbox / n).read_bytes() != contents[n]]
        broken = []
        problems = []
        if left:
            broken.append("APP-STORE-3")
            problems.append(
                f"{len(left)} of {len(stale)} stale temporaries still in the inbox: "
                + ", ".join(left)
            )
        if lost or changed:
            broken.append("APP-PUT-5")
            problems.append(f"stored puts gone: {lost or 'none'}; changed: {changed or 'none'}")
        if broken:
            raise ConformanceFailure(
                "Context:  puts stored and confirmed with DONE "
                f"({', '.join(map(repr, stored)) or 'none'}), {len(stale)} `.sft-partial-*` "
                f"files dated {age:g} s back ({', '.join(p.name for p in stale)}), then a "
                "restart of the responder\n"
                "Expected: every `.sft-partial-*` file removed (APP-STORE-3) and every stored "
                "file still there, unchanged (APP-PUT-5: the sweep takes the reserved prefix "
                "`.sft-partial-`, exactly, and nothing else)\n"
                f"Actual:   {'; '.join(problems)}",
                violates=tuple(broken),
            )
        if not stored:
            pytest.skip("the responder refused every put of the case")
    finally:
        for name in contents:
            (inbox / name).unlink(missing_ok=True)
        for path in stale:
            path.unlink(missing_ok=True)
