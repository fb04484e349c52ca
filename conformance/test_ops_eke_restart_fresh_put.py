"""sft-eke/1: the start-up sweep takes an EARLIER run's temporaries only (§3.6 APP-STORE-3).

APP-STORE-3: "A responder MUST also remove, when it starts, the `.sft-partial-*` files
that an earlier run left in its inbox (it owns its inbox)." The earlier run's, not its
own: a sweep that runs behind the server's readiness (a background thread, so that a
large inbox does not delay the start) and removes every `.sft-partial-*` it finds then
takes the temporary of a put the new run has already accepted. The put then fails at
its DONE (its bytes are gone: `internal`, or `integrity_failed`), or is "stored" empty —
a verified put not stored (APP-PUT-5).

Case (declared restart and put): the restart, and as soon as the restarted server serves
(an EKE1 answered: test_eke_restart.py's restart_until_serving), an honest put of 64 KiB
whose DATA goes out in three parts over about two seconds, each pause well within the
idle timeout (LIM-2 lets the initiator pause that long): the put MUST be answered DONE
with its own size and digest.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_ops_eke_restart_midway import _session
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_SIZE = 64 * 1024
_PARTS = 3
_SPAN = 2.0  # seconds after the restarted server first served that the put stays open


@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_a_put_begun_as_the_restarted_server_serves_is_stored(
    eke_target: Target, eke_sources: SourceAddresses, tmp_path: Path
) -> None:
    require(eke_target, "put")
    needs_restart(eke_target)
    if _SIZE > eke_target.limits.max_file_size:
        pytest.skip(f"the max file size ({eke_target.limits.max_file_size} B) is below {_SIZE}")
    # Each pause stays well inside the idle timeout (LIM-2: never closed before it).
    pause = min(_SPAN / (_PARTS - 1), 0.6 * eke_target.limits.idle_timeout)
    name = fresh_name("ops-restart-fresh-put")
    data = bytes(range(256)) * (_SIZE // 256)
    digest = hashlib.sha256(data).hexdigest()
    restart_until_serving(eke_target, eke_sources)
    served = time.monotonic()
    channel = _session(eke_target, eke_sources, tmp_path)
    try:
        channel.send_frame("PUTF", {"name": name, "size": _SIZE})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            f"PUTF {name!r} to the restarted server"
        )
        step = _SIZE // _PARTS
        for index in range(_PARTS):
            if index:
                time.sleep(pause)  # the put stays open across the server's first seconds
            end = _SIZE if index == _PARTS - 1 else (index + 1) * step
            channel.send_frame("DATA", data[index * step : end])
        channel.send_frame("DONE", {"size": _SIZE, "sha256": digest})
        answer = channel.expect([ExpectFrame("DONE"), ExpectError()])
        frame = answer.frame
        spanned = time.monotonic() - served
        got = frame.json() if frame is not None else None
        if (
            frame is not None
            and frame.type == b"DONE"
            and got is not None
            and got.get("size") == _SIZE
            and got.get("sha256") == digest
        ):
            return
        shown = frame.describe() if frame is not None else "nothing (closed or timed out)"
        raise ConformanceFailure(
            f"Expected: DONE {{size: {_SIZE}, sha256: {digest[:16]}…}} for a put of {name!r} "
            f"accepted right after the restarted server first served, its DATA sent in "
            f"{_PARTS} parts {pause:.2f} s apart ({spanned:.2f} s after it served)\n"
            f"Actual:   {shown}\n"
            "APP-STORE-3: the start-up sweep removes the temporaries an EARLIER run left, "
            "not those of puts the new run accepted (a sweep running behind readiness takes "
            "them); APP-PUT-5: a verified put is stored and answered DONE",
            violates=("APP-STORE-3",),
        )
    finally:
        channel.close()
