"""Lock-out by silent clients, continued (SPEC §6 LIM-9), sft-eke/1. Could move into
test_lockout.py.

test_lockout.py shows that an honest client gets in while `max_connections` silent
sockets hold every slot. That passes for a responder that makes room by closing the
NEWEST unfinished handshake too, yet such a responder keeps honest clients out of a
flood that goes on: the honest client, admitted, is itself the newest unfinished
handshake the moment the next silent socket arrives, and is closed before it can send
EKE3. LIM-9 names the policy that keeps room for handshakes that complete: close the
OLDEST unfinished one.

Here: `max_connections` silent sockets (one per source address), then an honest client
sends EKE1 and reads EKE2, then ONE more silent socket arrives, then the honest client
sends EKE3: it must get EKE4. Of the unfinished connections, every silent one is older
than the honest client, so closing the oldest never touches it. (Source addresses are
127.x.y.z: a target on loopback.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.eke_channel import password_key_cached
from conformance.eke_support import sources_for, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_lockout import _fresh, _limits, _silent
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after


@pytest.mark.req("LIM-9", "LIM-4")
def test_a_flood_that_goes_on_does_not_close_an_honest_handshake(
    eke_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _, total = _limits(eke_target)
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    sources = sources_for(eke_target)
    addresses = _fresh(sources, total + 2)
    honest_from, later, flood = addresses[0], addresses[1], addresses[2:]
    timeout = max(3.0, eke_target.limits.handshake_timeout * 2)
    with _silent(eke_target, flood, transcripts):
        hs = start_handshake(eke_target, account.user, pw, source=honest_from, timeout=timeout)
        transcripts.add(hs.raw)
        started = time.monotonic()
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure.evidence(
                    f"LIM-9: an honest EKE1 from {honest_from} while {len(flood)} silent "
                    f"connections held every slot (max_connections {total})",
                    "EKE2 (the oldest unfinished connection closed to make room)",
                    event.describe(),
                )
            eke3 = hs.client.on_eke2(hs.eke2)
            with _silent(eke_target, [later], transcripts):
                hs.send_eke3(eke3)
                answer = hs.raw.recv_frame(deadline_after(timeout))
            age = time.monotonic() - started
            if not (isinstance(answer, ReceivedFrame) and answer.type == b"EKE4"):
                if age >= eke_target.limits.handshake_timeout:
                    inconclusive(
                        f"the honest handshake took {age:.2f} s, beyond the handshake "
                        f"timeout ({eke_target.limits.handshake_timeout} s): too slow a "
                        f"run to judge ({answer.describe()})"
                    )
                raise ConformanceFailure.evidence(
                    f"LIM-9: an honest client from {honest_from}, admitted into a full "
                    f"server and past EKE2, then one more silent connection from {later} "
                    f"({len(flood)} older silent ones still unfinished)",
                    "EKE4: the honest handshake is not the oldest unfinished connection, "
                    "so it is not the one closed to admit the newcomer",
                    answer.describe(),
                )
            hs.client.on_eke4(answer.json() or {})
        finally:
            hs.raw.close()
